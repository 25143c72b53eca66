package io.agentmesh.relay.config;

import io.agentmesh.relay.RelayMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayConfigFileTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        Path f = dir.resolve("agentmesh.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    /** Parses `relay run` with {@code args} under {@code env} and the file, returning the effective option values. */
    private CommandLine.ParseResult parse(Map<String, String> env, String... args) throws IOException {
        CommandLine run = RelayMain.runCommandLine();
        ConfigSetup.install(run, "relay", RelayMain.ENV_PREFIX, args, env, dir.resolve(ConfigFile.DEFAULT_NAME));
        return run.parseArgs(args);
    }

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsDefault() throws IOException {
        write("""
                relay:
                  listen: 127.0.0.1:7611
                  max-circuits: 9
                  max-connections: 33
                """);
        Map<String, String> env = Map.of("AGENTMESH_RELAY_MAX_CIRCUITS", "8", "AGENTMESH_RELAY_MAX_CONNECTIONS", "44");
        CommandLine.ParseResult r = parse(env, "--max-connections", "55");
        assertEquals(55, (int) r.matchedOptionValue("--max-connections", 0));
        CommandLine.Model.CommandSpec spec = r.commandSpec();
        assertEquals(8, (int) spec.findOption("--max-circuits").getValue(), "env over file");
        assertEquals("127.0.0.1:7611", spec.findOption("--listen").getValue(), "file over default");
        assertEquals(32, (int) spec.findOption("--max-circuits-per-node").getValue(), "default when nothing else");
    }

    @Test
    void unknownKeyIsRefusedWithLineAndAllowedKeys() throws IOException {
        Path f = write("""
                relay:
                  listen: 127.0.0.1:7611

                  max-circuit: 9
                """);
        ConfigException e = assertThrows(ConfigException.class, () -> parse(Map.of()));
        assertTrue(e.getMessage().contains(f + " line 4"), e.getMessage());
        assertTrue(e.getMessage().contains("relay.max-circuit is not a setting"), e.getMessage());
        assertTrue(e.getMessage().contains("max-circuits-per-node"), "lists what is allowed: " + e.getMessage());
    }

    @Test
    void badValueIsRefusedWithLineAndWhatIsExpected() throws IOException {
        Path f = write("relay:\n  max-circuits: lots\n");
        ConfigException e = assertThrows(ConfigException.class, () -> parse(Map.of()));
        assertTrue(e.getMessage().startsWith(f + " line 2: relay.max-circuits"), e.getMessage());
        assertTrue(e.getMessage().contains("'lots' is not an int"), e.getMessage());
    }

    @Test
    void badEnvironmentValueNamesTheVariable() throws IOException {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse(Map.of("AGENTMESH_RELAY_CIRCUIT_MAX_BYTES", "1GB")));
        assertTrue(e.getMessage().startsWith("$AGENTMESH_RELAY_CIRCUIT_MAX_BYTES"), e.getMessage());
    }

    @Test
    void malformedFilesAreRefusedWithTheirLine() throws IOException {
        Set<String> sections = ConfigSetup.SECTIONS;
        Path bad = write("relay:\n  listen: [unclosed\n");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigFile.read(bad, sections)).getMessage()
                .contains("is not valid YAML"));
        Path unknownSection = write("rely:\n  listen: x\n");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigFile.read(unknownSection, sections)).getMessage()
                .contains("line 1: unknown section \"rely\""));
        Path twice = write("relay:\n  listen: a:1\n  listen: b:2\n");
        ConfigException dup = assertThrows(ConfigException.class, () -> ConfigFile.read(twice, sections));
        assertTrue(dup.getMessage().contains("line 3"), dup.getMessage());
        Path empty = write("relay:\n  listen:\n");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigFile.read(empty, sections)).getMessage()
                .contains("line 2: relay.listen has no value"));
        Path nested = write("relay:\n  listen:\n    host: x\n");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigFile.read(nested, sections)).getMessage()
                .contains("not a mapping"));
        Path alias = write("relay:\n  listen: &a x:1\n  http: *a\n");
        assertThrows(ConfigException.class, () -> ConfigFile.read(alias, sections));
    }

    @Test
    void homeAndConfigCannotComeFromTheFile() throws IOException {
        write("relay:\n  config: other.yaml\n");
        ConfigException e = assertThrows(ConfigException.class, () -> parse(Map.of()));
        assertTrue(e.getMessage().contains("it chooses the file"), e.getMessage());
    }

    @Test
    void aGivenConfigFileMustExist() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse(Map.of(), "--config", dir.resolve("missing.yaml").toString()));
        assertTrue(e.getMessage().contains("does not exist (given by --config)"), e.getMessage());
    }

    @Test
    void refusedConfigExitsTwoBeforeStarting() throws IOException {
        Path f = write("relay:\n  max-circuits: -\n");
        assertEquals(2, io.agentmesh.relay.RelayMainAccess.execute(Map.of(), "relay", "run", "--config",
                f.toString()));
    }

    @Test
    void everyRelayRunOptionIsAKey() throws IOException {
        CommandLine run = RelayMain.runCommandLine();
        StringBuilder yaml = new StringBuilder("relay:\n");
        for (CommandLine.Model.OptionSpec o : ConfigKeys.configurable(run.getCommandSpec())) {
            String value = o.defaultValue() != null ? o.defaultValue() : "x";
            yaml.append("  ").append(ConfigKeys.keyOf(o).orElseThrow()).append(": \"").append(value).append("\"\n");
        }
        write(yaml.toString());
        parse(Map.of());
        assertTrue(ConfigKeys.configurable(run.getCommandSpec()).size() >= 11);
    }
}
