package io.agentmesh.relay.config;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the one YAML config file of {@code node run} and {@code relay run} (docs/fuzzing.md):
 * the bytes are decoded as {@link ConfigFile#read} decodes a file (strict UTF-8, whose failure it reports itself),
 * then parsed; any text must give a {@link ConfigFile} or a {@link ConfigException} naming the line, never another
 * exception.
 */
class ConfigFileFuzzTest {
    private static final Set<String> SECTIONS = Set.of("node", "relay");

    @FuzzTest(maxDuration = "10s")
    void anyTextGivesAConfigOrAConfigException(byte[] bytes) {
        if (bytes.length > ConfigFile.MAX_BYTES) {
            return; // ConfigFile.read refuses these before decoding
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException notUtf8) {
            return; // ConfigFile.read refuses these with its own message
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
