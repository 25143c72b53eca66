package io.agentmesh.relay.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the config file before picocli parses the command line: the defaults it provides are needed during that
 * parse, so {@code --config} (and {@code --home}, which holds the default file) are read from the arguments first.
 */
public final class ConfigArgs {
    /** The variable that names the config file when {@code --config} is not given. */
    public static final String CONFIG_ENV = "AGENTMESH_CONFIG";

    private ConfigArgs() {
    }

    /** The value of {@code option} among {@code args} before a {@code --}, as {@code --opt V} or {@code --opt=V}. */
    public static Optional<String> value(String[] args, String option) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            if (a.equals(option)) {
                if (i + 1 >= args.length) {
                    throw new ConfigException(option + " needs a value");
                }
                return Optional.of(args[i + 1]);
            }
            if (a.startsWith(option + "=")) {
                return Optional.of(a.substring(option.length() + 1));
            }
        }
        return Optional.empty();
    }

    /**
     * The config file to read: {@code --config}, else $AGENTMESH_CONFIG (either must exist), else
     * {@code defaultFile} when it exists, else none.
     */
    public static Optional<Path> locate(String[] args, Map<String, String> env, Path defaultFile) {
        Optional<String> given = value(args, "--config");
        if (given.isEmpty() && env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isBlank()) {
            given = Optional.of(env.get(CONFIG_ENV));
        }
        if (given.isPresent()) {
            Path p = Path.of(given.get());
            if (!Files.isRegularFile(p)) {
                throw new ConfigException("config file " + p + " does not exist (given by "
                        + (value(args, "--config").isPresent() ? "--config" : "$" + CONFIG_ENV) + ")");
            }
            return Optional.of(p);
        }
        return Files.isRegularFile(defaultFile) ? Optional.of(defaultFile) : Optional.empty();
    }
}
