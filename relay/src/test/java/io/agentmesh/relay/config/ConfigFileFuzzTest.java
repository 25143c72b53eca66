package io.agentmesh.relay.config;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.file.Path;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the one YAML config file of {@code node run} and {@code relay run} (docs/fuzzing.md):
 * any text must give a {@link ConfigFile} or a {@link ConfigException} naming the line, never another exception.
 */
class ConfigFileFuzzTest {
    private static final Set<String> SECTIONS = Set.of("node", "relay");

    @FuzzTest(maxDuration = "10s")
    void anyTextGivesAConfigOrAConfigException(String text) {
        if (text == null) {
            return; // Jazzer's null String; ConfigFile.read always passes the decoded text
        }
        try {
            ConfigFile config = ConfigFile.parse(Path.of("agentmesh.yaml"), text, SECTIONS);
            for (String section : SECTIONS) {
                config.section(section).values().forEach(v -> config.at(v.line()));
            }
        } catch (ConfigException refused) {
            // the documented refusal
        }
    }
}
