package io.agentmesh.sim.run;

import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.cost.NanoUsd;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.sim.world.FakeLlmProvider;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The LLM side of a simulated run: {@code llm} intents requested at {@code intentsPerSecond} over the whole mesh,
 * performed by each leader's real gateway under a small llm.json (two providers behind the alias "smart", three
 * attempts, one hard daily budget of {@code dailyBudgetNanoUsd}), against the run's {@link FakeLlmProvider}.
 *
 * @param on                 whether the voters run a gateway and the LLM checkers run
 * @param intentsPerSecond   the workload's rate (0: none; a test requests its own intents)
 * @param dailyBudgetNanoUsd the hard budget of every provider and model per UTC day
 * @param provider           how the simulated providers behave
 */
public record SimLlm(boolean on, double intentsPerSecond, long dailyBudgetNanoUsd, FakeLlmProvider.Behaviour provider) {
    /** $0.05 a day: at the default rate, the simulated prices and ~300 output tokens an answer, reached in minutes. */
    public static final long DEFAULT_DAILY_BUDGET_NANO_USD = 50_000_000L;
    public static final SimLlm OFF = new SimLlm(false, 0, DEFAULT_DAILY_BUDGET_NANO_USD,
            FakeLlmProvider.Behaviour.FLAKY);
    public static final int MAX_ATTEMPTS = 3;
    public static final String MODEL = "smart";
    /** The provider layer's deadlines: a request that hangs ends here (virtual time). */
    static final long TOTAL_MS = 4_000;

    public SimLlm {
        Objects.requireNonNull(provider, "provider");
        if (intentsPerSecond < 0 || Double.isNaN(intentsPerSecond)) {
            throw new IllegalArgumentException("--llm-intents-per-second must be >= 0");
        }
        if (dailyBudgetNanoUsd < 1) {
            throw new IllegalArgumentException("the daily LLM budget must be positive");
        }
    }

    /** The LLM workload at {@code intentsPerSecond} with the default budget and flaky providers. */
    public static SimLlm at(double intentsPerSecond) {
        return new SimLlm(true, intentsPerSecond, DEFAULT_DAILY_BUDGET_NANO_USD, FakeLlmProvider.Behaviour.FLAKY);
    }

    public SimLlm withDailyBudgetNanoUsd(long nanoUsd) {
        return new SimLlm(on, intentsPerSecond, nanoUsd, provider);
    }

    public SimLlm withProvider(FakeLlmProvider.Behaviour behaviour) {
        return new SimLlm(on, intentsPerSecond, dailyBudgetNanoUsd, behaviour);
    }

    /** The run's llm.json, the same on every node. */
    public String llmJson() {
        String provider = """
                {"id": "%s", "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:1/%<s", "noKey": true,
                 "timeouts": {"connectMs": 1000, "firstTokenMs": %d, "streamIdleMs": %<d, "totalMs": %<d},
                 "models": [{"name": "%s", "contextTokens": 100000, "maxOutputTokens": 1000,
                             "price": {"inputPerMTok": %s, "outputPerMTok": %s}}]}""";
        return "{\"providers\": [" + provider.formatted("alpha", TOTAL_MS, "m1", "3", "15") + ", "
                + provider.formatted("beta", TOTAL_MS, "m2", "1", "5") + "],"
                + " \"routing\": {\"maxAttempts\": " + MAX_ATTEMPTS + ", \"maxWaitMs\": 5000,"
                + " \"aliases\": {\"" + MODEL + "\": [\"alpha/m1\", \"beta/m2\"]}},"
                + " \"cooldowns\": {\"baseMs\": 500, \"maxMs\": 5000, \"rateLimitedMs\": 1000},"
                + " \"budgets\": [{\"period\": \"day\", \"limitUsd\": "
                + BigDecimal.valueOf(dailyBudgetNanoUsd).movePointLeft(9).stripTrailingZeros().toPlainString()
                + ", \"enforcement\": \"hard\"}]}";
    }

    /** {@link #llmJson()} checked and priced as a node reads its llm.json. */
    public LlmConfig config() {
        return LlmConfig.parse(llmJson().getBytes(StandardCharsets.UTF_8), Path.of("simulated-llm.json"),
                PriceTable.shipped());
    }

    public String describe() {
        return intentsPerSecond + " llm intents/s, hard budget " + NanoUsd.format(dailyBudgetNanoUsd) + " a day";
    }
}
