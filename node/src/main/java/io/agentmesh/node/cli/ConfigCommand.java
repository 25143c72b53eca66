package io.agentmesh.node.cli;

import io.agentmesh.relay.RelayMain;
import io.agentmesh.relay.config.ConfigArgs;
import io.agentmesh.relay.config.ConfigFile;
import io.agentmesh.relay.config.ConfigKeys;
import io.agentmesh.relay.config.ConfigSetup;
import io.agentmesh.relay.config.OptionDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code agentmesh config}: the one YAML config file of `node run` and `relay run` (docs/operations.md). `show`
 * prints every setting's effective value and where it came from; `keys` lists the keys, generated from the options.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"The YAML config file (<home>/agentmesh.yaml, or --config FILE): a node: section for `node run`"
                + " and a relay: section for `relay run`, one key per flag (--snapshot-every is snapshot-every:).",
                "Precedence: flag, then environment (AGENTMESH_<KEY>, AGENTMESH_RELAY_<KEY> for the relay), then the"
                        + " file, then the default. Unknown keys and bad values stop the command at start (exit 2)."},
        subcommands = {ConfigCommand.Show.class, ConfigCommand.Keys.class})
public final class ConfigCommand {
    /** The prefix of `node run`'s variables. */
    static final String NODE_ENV_PREFIX = "AGENTMESH_";
    /** Option names whose values are secrets (a path to a secret is not one). */
    private static final Pattern SECRET = Pattern.compile("token|secret|password|passphrase|api-key");

    private ConfigCommand() {
    }

    /** Installs the file's node: section and $AGENTMESH_* as the defaults of `node run` (args: its own). */
    static OptionDefaults installNodeRun(CommandLine run, String[] runArgs, Map<String, String> env)
            throws IOException {
        return ConfigSetup.install(run, "node", NODE_ENV_PREFIX, runArgs, env, defaultFile(runArgs, env));
    }

    /** {@code <home>/agentmesh.yaml}, home from --home, else $AGENTMESH_HOME, else ~/.agentmesh. */
    static Path defaultFile(String[] args, Map<String, String> env) {
        Path home = ConfigArgs.value(args, "--home").map(Path::of).orElseGet(() -> {
            String h = env.get("AGENTMESH_HOME");
            return h != null && !h.isBlank() ? Path.of(h) : Path.of(System.getProperty("user.home"), ".agentmesh");
        });
        return home.resolve(ConfigFile.DEFAULT_NAME);
    }

    /** Whether {@code o}'s value is a secret to mask: named like one and not a path to one. */
    static boolean secret(OptionSpec o) {
        return SECRET.matcher(o.longestName()).find() && !Path.class.isAssignableFrom(o.type())
                && !o.longestName().endsWith("-file") && !o.longestName().endsWith("-dir");
    }

    /**
     * The effective settings of {@code run} for {@code args}: one line per key with its value (secrets masked) and
     * where it came from: flag, the variable, the file and line, or default.
     */
    static List<String> effective(CommandLine run, String section, String envPrefix, String[] args,
                                  Map<String, String> env, Path defaultFile) throws IOException {
        OptionDefaults defaults = ConfigSetup.install(run, section, envPrefix, args, env, defaultFile);
        CommandLine.ParseResult parsed = run.parseArgs(args);
        List<String> lines = new ArrayList<>();
        lines.add("# " + section + " (" + defaults.file().map(f -> "file " + f.file()).orElse("no config file")
                + ")");
        for (OptionSpec o : ConfigKeys.configurable(run.getCommandSpec())) {
            String key = ConfigKeys.keyOf(o).orElseThrow();
            Object value = o.getValue();
            String shown = value == null ? "(none)" : secret(o) ? "****" : String.valueOf(value);
            String from = parsed.hasMatchedOption(o) ? "flag" : describe(defaults.originWithoutFlag(o));
            lines.add(String.format(Locale.ROOT, "%-28s %-40s %s", key + ":", shown, from));
        }
        return lines;
    }

    private static String describe(OptionDefaults.Origin origin) {
        return switch (origin.source()) {
            case ENV -> "env " + origin.where();
            case FILE -> "file " + origin.where();
            case FLAG -> "flag";
            case DEFAULT -> "default";
        };
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Print the effective settings of `node run` (or `relay run` with --relay) and where each"
                    + " came from: flag, env, file (with its line) or default; secrets masked.",
                    "Flags after `--` are read as `node run` would read them."},
            footer = {"", "Example:", "  agentmesh config show --home /var/lib/agentmesh -- --listen 100.64.0.7:7700"})
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--relay", description = "Show `relay run`'s settings (the relay: section) instead.")
        boolean relay;

        @Option(names = "--config", paramLabel = "FILE", description = "The config file (default: <home>/agentmesh.yaml"
                + " when present, or $AGENTMESH_CONFIG).")
        Path config;

        @Option(names = "--home", description = "Home directory holding agentmesh.yaml (default: $AGENTMESH_HOME or"
                + " ~/.agentmesh).")
        Path home;

        @Parameters(paramLabel = "FLAGS", arity = "0..*", description = "Flags as given to `node run` / `relay run`.")
        List<String> flags = new ArrayList<>();

        @Override
        public Integer call() throws IOException {
            List<String> args = new ArrayList<>(flags);
            if (config != null && ConfigArgs.value(args.toArray(String[]::new), "--config").isEmpty()) {
                args.addAll(0, List.of("--config", config.toString()));
            }
            if (home != null && !relay && ConfigArgs.value(args.toArray(String[]::new), "--home").isEmpty()) {
                args.addAll(0, List.of("--home", home.toString()));
            }
            Map<String, String> env = System.getenv();
            String[] argv = args.toArray(String[]::new);
            Path defaultFile = relay ? HomeOptions.home(home).resolve(ConfigFile.DEFAULT_NAME)
                    : home != null ? home.resolve(ConfigFile.DEFAULT_NAME) : defaultFile(argv, env);
            CommandLine run = relay ? RelayMain.runCommandLine() : new CommandLine(new NodeCommand.Run());
            List<String> lines = effective(run, relay ? "relay" : "node", relay ? RelayMain.ENV_PREFIX
                    : NODE_ENV_PREFIX, argv, env, defaultFile);
            PrintWriter out = spec.commandLine().getOut();
            lines.forEach(out::println);
            out.flush();
            return 0;
        }
    }

    @Command(name = "keys", mixinStandardHelpOptions = true,
            description = "List every key of the node: and relay: sections, generated from the flags (--markdown: the"
                    + " tables of docs/operations.md).")
    static final class Keys implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--markdown", description = "Print Markdown tables.")
        boolean markdown;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (markdown) {
                out.print(markdownTables());
            } else {
                for (String[] s : new String[][]{{"node", NODE_ENV_PREFIX}, {"relay", RelayMain.ENV_PREFIX}}) {
                    CommandLine run = s[0].equals("node") ? new CommandLine(new NodeCommand.Run())
                            : RelayMain.runCommandLine();
                    out.println(s[0] + ":");
                    for (OptionSpec o : ConfigKeys.configurable(run.getCommandSpec())) {
                        String key = ConfigKeys.keyOf(o).orElseThrow();
                        out.printf(Locale.ROOT, "  %-28s %s%n", key + (o.isMultiValue() ? " (list)" : ""),
                                ConfigKeys.envName(s[1], key));
                    }
                }
            }
            out.flush();
            return 0;
        }
    }

    /** The tables docs/operations.md holds (a test keeps them equal). */
    static String markdownTables() {
        return "### `node:` (`agentmesh node run`)\n\n"
                + ConfigKeys.markdownTable(new CommandLine(new NodeCommand.Run()).getCommandSpec(), NODE_ENV_PREFIX)
                + "\n### `relay:` (`agentmesh relay run`)\n\n"
                + ConfigKeys.markdownTable(RelayMain.runCommandLine().getCommandSpec(), RelayMain.ENV_PREFIX);
    }
}
