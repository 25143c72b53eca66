package io.agentmesh.node.llm.route;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.cost.PriceTable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** A three-provider llm.json for the routing tests, and helpers to make attempt results. */
final class LlmTestConfigs {
    static final String PROVIDERS = """
            "providers": [
              {"id": "openai", "kind": "openai", "keyEnv": "OPENAI_API_KEY",
               "models": [{"name": "gpt-4o", "contextTokens": 128000, "maxOutputTokens": 16384},
                          {"name": "gpt-4o-mini", "contextTokens": 128000, "maxOutputTokens": 16384}]},
              {"id": "anthropic", "kind": "anthropic", "keyEnv": "ANTHROPIC_API_KEY",
               "models": [{"name": "claude-sonnet-4-5", "contextTokens": 200000, "maxOutputTokens": 64000},
                          {"name": "claude-haiku-4-5", "contextTokens": 200000, "maxOutputTokens": 64000,
                           "streaming": false}]},
              {"id": "deepseek", "kind": "deepseek", "keyEnv": "DEEPSEEK_API_KEY",
               "models": [{"name": "deepseek-v4-flash", "contextTokens": 1000000, "maxOutputTokens": 32000}]}
            ]""";
    static final String SMART = "\"smart\": [\"openai/gpt-4o\", \"anthropic/claude-sonnet-4-5\","
            + " \"deepseek/deepseek-v4-flash\"]";
    static final Target GPT4O = new Target("openai", "gpt-4o");
    static final Target MINI = new Target("openai", "gpt-4o-mini");
    static final Target SONNET = new Target("anthropic", "claude-sonnet-4-5");
    static final Target HAIKU = new Target("anthropic", "claude-haiku-4-5");
    static final Target FLASH = new Target("deepseek", "deepseek-v4-flash");

    private LlmTestConfigs() {
    }

    /** The providers above plus {@code extra} top-level members (without braces), e.g. a routing section. */
    static LlmConfig config(Path dir, String extra) throws Exception {
        Path f = dir.resolve("llm.json");
        Files.writeString(f, "{" + PROVIDERS + (extra.isEmpty() ? "" : ", " + extra) + "}");
        return LlmConfig.load(f, PriceTable.shipped());
    }

    static AttemptResult.Failed failed(Target t, ErrorClass error) {
        return new AttemptResult.Failed(t.providerId(), t.model(), 100, error, 0, OptionalLong.empty(), Usage.NONE,
                error.name());
    }

    static AttemptResult.Failed rateLimited(Target t, long retryAfterMs) {
        return new AttemptResult.Failed(t.providerId(), t.model(), 100, ErrorClass.RATE_LIMITED, 429,
                OptionalLong.of(retryAfterMs), Usage.NONE, "429");
    }

    static AttemptResult.Completed completed(Target t, long firstTokenMs) {
        return new AttemptResult.Completed(t.providerId(), t.model(), firstTokenMs + 10, firstTokenMs,
                new Usage(10, 0, 0, 5, 0), "stop", "req-1", "answer");
    }
}
