package io.agentmesh.node.cli;

import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.state.StateException;
import io.agentmesh.state.store.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** The `agentmesh` command line. Errors print one clear line (what went wrong, what to do), never a stack trace. */
@Command(name = "agentmesh", mixinStandardHelpOptions = true, version = "agentmesh 0.1.0",
        description = "Keep one autonomous AI agent alive across several servers.",
        footer = {"", "Also (run through bin/agentmesh, from their own jars):",
                "  relay run   a relay for discovery and forwarding (agentmesh relay run --help)",
                "  sim run     deterministic simulation; sim live: real processes (agentmesh sim --help)",
                "  bench       benchmarks printing JSON (agentmesh bench --help)"},
        subcommands = {InitCommand.class, IdentityCommand.class, NodeCommand.class, StateCommand.class,
                UpCommand.class, StatusCommand.class, ActCommand.class, McpCommand.class, LlmCommand.class,
                BackupCommand.class, RestoreCommand.class, DrillCommand.class, ApiTokenCommand.class,
                ConfigCommand.class, ServiceCommand.class, DoctorCommand.class,
                WalletCommand.class,
                CommandLine.HelpCommand.class})
public final class AgentmeshCommand {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return execute(System.getenv(), args);
    }

    /** Runs the command line with {@code env} as the environment `node run` takes defaults from. */
    public static int execute(java.util.Map<String, String> env, String... args) {
        CommandLine cli = new CommandLine(new AgentmeshCommand());
        if (args.length >= 2 && args[0].equals("node") && args[1].equals("run")) {
            try {
                ConfigCommand.installNodeRun(cli.getSubcommands().get("node").getSubcommands().get("run"),
                        java.util.Arrays.copyOfRange(args, 2, args.length), env);
            } catch (IllegalArgumentException | IOException e) {
                cli.getErr().println("agentmesh: " + e.getMessage());
                cli.getErr().flush();
                return 2;
            }
        }
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("agentmesh: " + describe(e));
            if (System.getenv("AGENTMESH_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return e instanceof IllegalArgumentException || e instanceof IdentityException ? 2 : 1;
        });
        return cli.execute(args);
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException missing) {
            return "file not found: " + missing.getFile() + " (did you run `agentmesh init`, or pass the right --home?)";
        }
        if (e instanceof IOException || e instanceof IllegalArgumentException || e instanceof IdentityException
                || e instanceof StoreException || e instanceof StateException) {
            return e.getMessage();
        }
        return e.toString();
    }
}
