package io.agentmesh.relay.config;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The defaults of one command's options from the environment, then the config file: picocli asks it for an option
 * the command line did not give, so the precedence is flag, then environment ({@code <prefix><KEY>}), then file,
 * then the option's own default. {@link #check} refuses unknown keys and bad values before anything starts.
 */
public final class OptionDefaults implements CommandLine.IDefaultValueProvider {

    /** Where a value came from. */
    public enum Source { FLAG, ENV, FILE, DEFAULT }

    /** A value and where it came from, for {@code config show} and for messages. */
    public record Origin(Source source, String where) {
    }

    private final String section;
    private final Optional<ConfigFile> file;
    private final Map<String, String> env;
    private final String envPrefix;

    /**
     * @param section   the file's section for this command ({@code node}, {@code relay})
     * @param file      the config file, when there is one
     * @param env       the environment ({@code System.getenv()} in production)
     * @param envPrefix the prefix of this command's variables ({@code AGENTMESH_}, {@code AGENTMESH_RELAY_})
     */
    public OptionDefaults(String section, Optional<ConfigFile> file, Map<String, String> env, String envPrefix) {
        this.section = section;
        this.file = file;
        this.env = Map.copyOf(env);
        this.envPrefix = envPrefix;
    }

    public Optional<ConfigFile> file() {
        return file;
    }

    public String envPrefix() {
        return envPrefix;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o)) {
            return null;
        }
        Optional<String> key = ConfigKeys.keyOf(o);
        if (key.isEmpty()) {
            return null;
        }
        String fromEnv = env.get(ConfigKeys.envName(envPrefix, key.get()));
        if (fromEnv != null) {
            return fromEnv;
        }
        ConfigFile.Value v = file.map(f -> f.section(section).get(key.get())).orElse(null);
        if (v == null) {
            return null;
        }
        return o.isMultiValue() ? String.join(",", v.items()) : v.items().get(0);
    }

    /** Where {@code o}'s value comes from when the command line does not give it. */
    public Origin originWithoutFlag(OptionSpec o) {
        Optional<String> key = ConfigKeys.keyOf(o);
        if (key.isPresent()) {
            String var = ConfigKeys.envName(envPrefix, key.get());
            if (env.containsKey(var)) {
                return new Origin(Source.ENV, "$" + var);
            }
            ConfigFile.Value v = file.map(f -> f.section(section).get(key.get())).orElse(null);
            if (v != null) {
                return new Origin(Source.FILE, file.get().at(v.line()));
            }
        }
        return new Origin(Source.DEFAULT, "default");
    }

    /**
     * How to name {@code optionName} in an error about its value: the flag itself, or the variable or file line its
     * value came from when the command line did not give it ({@code matched} says whether it did).
     */
    public String label(String optionName, CommandSpec spec, boolean matched) {
        OptionSpec o = spec.findOption(optionName);
        if (o == null || matched) {
            return optionName;
        }
        Origin origin = originWithoutFlag(o);
        return switch (origin.source()) {
            case ENV -> optionName + " (from " + origin.where() + ")";
            case FILE -> optionName + " (from " + section + "." + ConfigKeys.keyOf(o).orElseThrow() + " at "
                    + origin.where() + ")";
            case FLAG, DEFAULT -> optionName;
        };
    }

    /**
     * Refuses, before anything starts, a key of this section that is no option of {@code spec}, a single value
     * given as a list, a list item holding the separator, and any value (from the file or the environment) that
     * the option's type refuses; {@code fresh} makes a new instance of the command to try each value on.
     */
    public void check(CommandSpec spec, Supplier<Object> fresh) {
        Map<String, OptionSpec> byKey = new java.util.LinkedHashMap<>();
        for (OptionSpec o : ConfigKeys.configurable(spec)) {
            byKey.put(ConfigKeys.keyOf(o).orElseThrow(), o);
        }
        if (file.isPresent()) {
            ConfigFile f = file.get();
            for (Map.Entry<String, ConfigFile.Value> e : f.section(section).entrySet()) {
                String where = f.at(e.getValue().line()) + ": " + section + "." + e.getKey();
                OptionSpec o = byKey.get(e.getKey());
                if (o == null) {
                    String hint = ConfigKeys.CHOOSE_THE_FILE.contains("--" + e.getKey())
                            ? " (it chooses the file, so give --" + e.getKey() + " or $AGENTMESH_"
                            + e.getKey().toUpperCase(java.util.Locale.ROOT) + " instead)" : "";
                    throw new ConfigException(where + " is not a setting" + hint + "; allowed: "
                            + String.join(", ", new TreeSet<>(byKey.keySet())));
                }
                ConfigFile.Value v = e.getValue();
                if (v.list() && !o.isMultiValue()) {
                    throw new ConfigException(where + " takes one value, not a list");
                }
                if (o.isMultiValue()) {
                    String split = ConfigKeys.splitOf(o);
                    for (String item : v.items()) {
                        if (java.util.regex.Pattern.compile(split).matcher(item).find()) {
                            throw new ConfigException(where + ": the item '" + item + "' holds the separator "
                                    + split + "; give one value per list item");
                        }
                    }
                }
                tryValue(o, o.isMultiValue() ? String.join(",", v.items()) : v.items().get(0), where, fresh);
            }
        }
        for (Map.Entry<String, OptionSpec> e : byKey.entrySet()) {
            String var = ConfigKeys.envName(envPrefix, e.getKey());
            if (env.containsKey(var)) {
                tryValue(e.getValue(), env.get(var), "$" + var, fresh);
            }
        }
    }

    private static void tryValue(OptionSpec o, String value, String where, Supplier<Object> fresh) {
        Class<?> type = o.type();
        if (type == boolean.class || type == Boolean.class) {
            if (!value.equals("true") && !value.equals("false")) {
                throw new ConfigException(where + " must be true or false, got '" + value + "'");
            }
            return;
        }
        List<String> args = new ArrayList<>(List.of(o.longestName() + "=" + value));
        try {
            new CommandLine(fresh.get()).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }
}
