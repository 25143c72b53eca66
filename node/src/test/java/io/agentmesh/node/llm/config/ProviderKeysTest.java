package io.agentmesh.node.llm.config;

import io.agentmesh.node.llm.cost.PriceTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keys from the environment and key files: found, fingerprinted, and never shown. */
class ProviderKeysTest {
    private static final String KEY = "sk-test-key-1";

    @TempDir
    Path dir;

    private LlmConfig config(Path keyFile) throws Exception {
        Path f = dir.resolve("llm.json");
        Files.writeString(f, """
                {"providers": [
                  {"id": "openai", "kind": "openai", "keyEnv": "OPENAI_API_KEY",
                   "models": [{"name": "gpt-4o", "contextTokens": 128000, "maxOutputTokens": 16384}]},
                  {"id": "anthropic", "kind": "anthropic", "keyFile": "%s",
                   "models": [{"name": "claude-haiku-4-5", "contextTokens": 200000, "maxOutputTokens": 64000}]},
                  {"id": "local", "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:11434/v1", "noKey": true,
                   "models": [{"name": "llama3", "contextTokens": 8192, "maxOutputTokens": 2048,
                               "price": {"inputPerMTok": 0, "outputPerMTok": 0}}]}
                ]}""".formatted(keyFile));
        return LlmConfig.load(f, PriceTable.shipped());
    }

    private Path keyFile(String content, String perms) throws Exception {
        Path k = dir.resolve("anthropic.key");
        Files.writeString(k, content);
        Files.setPosixFilePermissions(k, PosixFilePermissions.fromString(perms));
        return k;
    }

    @Test
    void keysComeFromTheEnvironmentAndFilesWithAFingerprintThatIsNotTheKey() throws Exception {
        Path k = keyFile("sk-test-key-2\n", "rw-------");
        ProviderKeys keys = ProviderKeys.load(config(k), Map.of("OPENAI_API_KEY", " " + KEY + " "));
        assertEquals(KEY, keys.key("openai").orElseThrow().reveal(), "surrounding blanks are not part of a key");
        assertEquals("sk-test-key-2", keys.key("anthropic").orElseThrow().reveal());
        // The first 8 hex digits of SHA-256("sk-test-key-1"), computed independently.
        assertEquals("c1fa6022", keys.key("openai").orElseThrow().fingerprint());
        assertEquals("1e65193b", keys.key("anthropic").orElseThrow().fingerprint());
        assertInstanceOf(ProviderKeys.KeyStatus.NoKeyNeeded.class, keys.byProvider().get("local"));
        assertEquals(Map.of("openai", "c1fa6022", "anthropic", "1e65193b", "local", "none"), keys.fingerprints());
    }

    @Test
    void aKeyNeverAppearsInToStringOrMessages() throws Exception {
        ApiKey key = new ApiKey(KEY);
        assertEquals("ApiKey[fingerprint=c1fa6022]", key.toString());
        ProviderKeys keys = ProviderKeys.load(config(keyFile("sk-test-key-2", "rw-------")),
                Map.of("OPENAI_API_KEY", KEY));
        assertFalse(keys.toString().contains(KEY), keys.toString());
        assertFalse(keys.toString().contains("sk-test-key-2"), keys.toString());
        String bad = assertThrows(IllegalArgumentException.class, () -> new ApiKey("sk-with space")).getMessage();
        assertFalse(bad.contains("sk-with"), bad);
        assertEquals(new ApiKey(KEY), key);
        assertNotEquals(new ApiKey("sk-test-key-2"), key);
    }

    @Test
    void aMissingKeyIsReportedPerProviderWithoutFailingTheOthers() throws Exception {
        ProviderKeys keys = ProviderKeys.load(config(dir.resolve("absent.key")), Map.of());
        assertEquals(Optional.empty(), keys.key("openai"));
        ProviderKeys.KeyStatus.Missing env = assertInstanceOf(ProviderKeys.KeyStatus.Missing.class,
                keys.byProvider().get("openai"));
        assertEquals("provider \"openai\": environment variable OPENAI_API_KEY is not set in the node's environment",
                env.reason());
        assertTrue(((ProviderKeys.KeyStatus.Missing) keys.byProvider().get("anthropic")).reason()
                .contains("absent.key does not exist"));
        assertEquals(Map.of("local", "none"), keys.fingerprints(), "only callable providers have a fingerprint");
        assertTrue(((ProviderKeys.KeyStatus.Missing) ProviderKeys.load(config(dir.resolve("absent.key")),
                Map.of("OPENAI_API_KEY", "  ")).byProvider().get("openai")).reason().contains("is empty"));
    }

    @Test
    void aKeyFileOthersCanReadOrThatHoldsMoreThanAKeyIsRefused() throws Exception {
        String readable = ((ProviderKeys.KeyStatus.Missing) ProviderKeys.load(config(keyFile(KEY, "rw-r--r--")),
                Map.of()).byProvider().get("anthropic")).reason();
        assertTrue(readable.contains("can be read by other users: chmod 600 it"), readable);
        String twoLines = ((ProviderKeys.KeyStatus.Missing) ProviderKeys.load(config(keyFile(KEY + "\nsecond",
                "rw-------")), Map.of()).byProvider().get("anthropic")).reason();
        assertTrue(twoLines.contains("must hold the key alone on one line"), twoLines);
        assertFalse(twoLines.contains(KEY), twoLines);
        String empty = ((ProviderKeys.KeyStatus.Missing) ProviderKeys.load(config(keyFile("\n", "rw-------")),
                Map.of()).byProvider().get("anthropic")).reason();
        assertTrue(empty.contains("is empty"), empty);
    }
}
