package io.agentmesh.relay.config;

import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Wires the config file and the environment into one command's options: the shared start of `node run` and `relay run`. */
public final class ConfigSetup {
    /** The sections a config file may hold. */
    public static final Set<String> SECTIONS = Set.of("node", "relay");

    private ConfigSetup() {
    }

    /**
     * Locates and reads the config file for a command whose own arguments are {@code commandArgs}, checks it and the
     * environment against the command's options, and installs them as its defaults.
     *
     * @throws ConfigException naming the file and line (or variable) of anything refused; nothing is installed
     */
    public static OptionDefaults install(CommandLine command, String section, String envPrefix, String[] commandArgs,
                                         Map<String, String> env, Path defaultFile) throws IOException {
        OptionDefaults defaults = read(section, envPrefix, commandArgs, env, defaultFile);
        Class<?> type = command.getCommand().getClass();
        defaults.check(command.getCommandSpec(), () -> newInstance(type));
        command.setDefaultValueProvider(defaults);
        return defaults;
    }

    /** The defaults of {@code section} from the located file and the environment, not yet checked. */
    public static OptionDefaults read(String section, String envPrefix, String[] commandArgs, Map<String, String> env,
                                      Path defaultFile) throws IOException {
        Optional<Path> file = ConfigArgs.locate(commandArgs, env, defaultFile);
        Optional<ConfigFile> config = file.isEmpty() ? Optional.empty()
                : Optional.of(ConfigFile.read(file.get(), SECTIONS));
        return new OptionDefaults(section, config, env, envPrefix);
    }

    private static Object newInstance(Class<?> type) {
        try {
            return CommandLine.defaultFactory().create(type);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a " + type.getName() + " to check values on", e);
        }
    }
}
