package io.agentmesh.node.llm.provider;

import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.Timeouts;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad settings are refused with a clear error, before any provider exists. */
class ProviderSettingsTest {
    private static final URI URL = URI.create("https://api.example.com/v1");

    @Test
    void timeoutsMustBePositiveAndFitTheTotal() {
        assertThrows(IllegalArgumentException.class, () -> new Timeouts(0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Timeouts(1, 5_000, 1, 1_000));
        new Timeouts(1, 1_000, 1_000, 1_000);
    }

    @Test
    void aProviderNeedsASaneIdAndAnHttpUrlWithoutQuery() {
        assertThrows(IllegalArgumentException.class, () -> ProviderTestSupport.config("Open AI", ProviderKind.OPENAI,
                URL, Timeouts.DEFAULTS, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> ProviderTestSupport.config("openai", ProviderKind.OPENAI,
                URI.create("ftp://example.com"), Timeouts.DEFAULTS, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> ProviderTestSupport.config("openai", ProviderKind.OPENAI,
                URI.create("https://example.com/v1?api-version=1"), Timeouts.DEFAULTS, Optional.empty()));
    }

    @Test
    void onlyAzureTakesAnApiVersion() {
        assertThrows(IllegalArgumentException.class, () -> ProviderTestSupport.config("oa", ProviderKind.OPENAI, URL,
                Timeouts.DEFAULTS, Optional.of("2024-10-21")));
        // Azure's v1 URL takes none; a deployment URL takes one.
        ProviderTestSupport.config("az", ProviderKind.AZURE_OPENAI, URL, Timeouts.DEFAULTS, Optional.empty());
        ProviderTestSupport.config("az", ProviderKind.AZURE_OPENAI, URL, Timeouts.DEFAULTS, Optional.of("2024-10-21"));
    }

    @Test
    void everyKindButOpenAiCompatibleNeedsAKey() {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            Providers providers = new Providers(FakeProvider.clock(), timers);
            for (ProviderKind kind : new ProviderKind[]{ProviderKind.OPENAI, ProviderKind.ANTHROPIC,
                    ProviderKind.DEEPSEEK}) {
                assertThrows(IllegalArgumentException.class, () -> providers.create(ProviderTestSupport.config("p",
                        kind, URL, Timeouts.DEFAULTS, Optional.empty()), Optional.empty()));
            }
            try (LlmProvider local = providers.create(ProviderTestSupport.config("ollama",
                    ProviderKind.OPENAI_COMPATIBLE, URI.create("http://127.0.0.1:11434/v1"), Timeouts.DEFAULTS,
                    Optional.empty()), Optional.empty())) {
                assertEquals(ProviderKind.OPENAI_COMPATIBLE, local.kind());
            }
        } finally {
            timers.shutdownNow();
        }
    }

    @Test
    void aKeyNeverPrintsAndIsRedactedFromText() {
        ApiKey key = new ApiKey("sk-secret-123456");

        assertFalse(key.toString().contains("secret"));
        assertEquals("bad key [key] given", key.redact("bad key sk-secret-123456 given"));
        assertThrows(IllegalArgumentException.class, () -> new ApiKey("sk-with-newline\n"));
        assertThrows(IllegalArgumentException.class, () -> new ApiKey(""));
        assertTrue(key.equals(new ApiKey("sk-secret-123456")));
    }
}
