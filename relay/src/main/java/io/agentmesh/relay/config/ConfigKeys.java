package io.agentmesh.relay.config;

import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The config keys of a command, derived from its options so none is forgotten: a key is the option's long name
 * without the dashes ({@code --snapshot-every} is {@code snapshot-every}), its environment variable the prefix and
 * the key in capitals ({@code AGENTMESH_SNAPSHOT_EVERY}). Not configurable: help and version, hidden options, and
 * the options that choose the file itself ({@code --config}, {@code --home}).
 */
public final class ConfigKeys {
    /** Options that decide where the file is, so the file cannot set them. */
    public static final Set<String> CHOOSE_THE_FILE = Set.of("--config", "--home");
    /** Options that do something once instead of running (a config file must not turn them on). */
    public static final Set<String> ACTIONS = Set.of("--print-fingerprint");

    private ConfigKeys() {
    }

    /** The key of {@code arg}, or empty when it is not configurable. */
    public static Optional<String> keyOf(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o) || o.hidden() || o.usageHelp() || o.versionHelp()
                || CHOOSE_THE_FILE.contains(o.longestName()) || ACTIONS.contains(o.longestName())) {
            return Optional.empty();
        }
        return Optional.of(o.longestName().replaceFirst("^-+", ""));
    }

    /** Every configurable option of {@code spec}, in declaration order. */
    public static List<OptionSpec> configurable(CommandSpec spec) {
        List<OptionSpec> out = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (keyOf(o).isPresent()) {
                out.add(o);
            }
        }
        return out;
    }

    /** {@code prefix} + the key in capitals with underscores: {@code AGENTMESH_} + {@code snapshot-every}. */
    public static String envName(String prefix, String key) {
        return prefix + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** Whether {@code o} takes several values (a list option), which a file gives as a YAML list. */
    static boolean multiValue(OptionSpec o) {
        return o.isMultiValue();
    }

    /** The separator a list option splits its values on, so several values can come from one default. */
    static String splitOf(OptionSpec o) {
        if (o.splitRegex() == null || o.splitRegex().isEmpty()) {
            throw new IllegalStateException("option " + o.longestName() + " takes several values but declares no"
                    + " split = \",\", so a config file or environment variable cannot give more than one");
        }
        return o.splitRegex();
    }

    /**
     * The Markdown table of {@code spec}'s keys: key, flag, environment variable, default and description, one row
     * per configurable option; docs/operations.md holds the output, and a test keeps the two equal.
     */
    public static String markdownTable(CommandSpec spec, String envPrefix) {
        StringBuilder b = new StringBuilder("| key | flag | environment | default | what |\n|---|---|---|---|---|\n");
        for (OptionSpec o : configurable(spec)) {
            String key = keyOf(o).orElseThrow();
            String dflt = o.defaultValue() == null ? "" : "`" + o.defaultValue() + "`";
            String what = String.join(" ", o.description()).replace("${DEFAULT-VALUE}", o.defaultValue() == null
                    ? "none" : o.defaultValue()).replace("|", "\\|")
                    .replace("<", "&lt;").replace(">", "&gt;");
            b.append("| `").append(key).append(multiValue(o) ? "` (list)" : "`").append(" | `").append(o.longestName())
                    .append("` | `").append(envName(envPrefix, key)).append("` | ").append(dflt).append(" | ")
                    .append(what).append(" |\n");
        }
        return b.toString();
    }
}
