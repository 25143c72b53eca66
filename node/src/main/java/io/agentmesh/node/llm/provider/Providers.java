package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.protocol.time.Clock;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Builds the {@link LlmProvider} of a provider configured in llm.json ({@link ProviderConfig}). The one place that
 * knows which class serves which
 * {@link io.agentmesh.node.llm.ProviderKind}; adding a provider means a case here (docs/llm.md, "Adding a provider").
 */
public final class Providers {
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final ObjectMapper json;

    /**
     * @param clock  wall time for Retry-After dates, monotonic time for attempt timings
     * @param timers the watchdog's executor (first-token, idle and total deadlines); tasks on it only complete a
     *               future and cancel a request, never block
     */
    public Providers(Clock clock, ScheduledExecutorService timers) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.json = new ObjectMapper();
    }

    /**
     * @param key the provider's key, as the config layer read it; required except for OPENAI_COMPATIBLE (a local
     *            Ollama or vLLM usually has none)
     * @throws IllegalArgumentException when a required key is missing
     */
    public LlmProvider create(ProviderConfig endpoint, Optional<ApiKey> key) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(key, "key");
        return switch (endpoint.kind()) {
            case ANTHROPIC -> new AnthropicProvider(endpoint, required(endpoint, key), clock, timers, json);
            case OPENAI, AZURE_OPENAI, DEEPSEEK -> {
                required(endpoint, key);
                yield new OpenAiFamilyProvider(endpoint, key, clock, timers, json);
            }
            case OPENAI_COMPATIBLE -> new OpenAiFamilyProvider(endpoint, key, clock, timers, json);
        };
    }

    private static ApiKey required(ProviderConfig endpoint, Optional<ApiKey> key) {
        return key.orElseThrow(() -> new IllegalArgumentException("provider " + endpoint.id() + " (" + endpoint.kind()
                + ") needs an API key"));
    }
}
