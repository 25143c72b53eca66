package io.agentmesh.node.llm.config;

/**
 * How long a target is left alone after each kind of failure. All become absolute deadlines in the health state, so
 * a new leader inherits them.
 *
 * @param baseMs           after a provider fault (overloaded, unreachable, timed out, cut stream): this, doubled for
 *                         each consecutive fault, up to {@code maxMs}; 0 for none
 * @param maxMs            the longest such cooldown
 * @param rateLimitedMs    after a 429 that gave no Retry-After
 * @param maxRetryAfterMs  the longest Retry-After honoured; a provider asking for more is left alone this long
 * @param spendLimitMs     after the provider said the account's spend limit or credit is exhausted
 * @param modelNotFoundMs  after a 404 for the model
 */
public record CooldownConfig(long baseMs, long maxMs, long rateLimitedMs, long maxRetryAfterMs, long spendLimitMs,
                             long modelNotFoundMs) {
    /** LiteLLM cools a deployment down 5 s after a failure or a 429. */
    public static final CooldownConfig DEFAULTS = new CooldownConfig(5_000, 300_000, 5_000, 3_600_000, 3_600_000,
            3_600_000);

    public CooldownConfig {
        CircuitConfig.range("baseMs", baseMs, 0, 600_000);
        CircuitConfig.range("maxMs", maxMs, baseMs, 3_600_000);
        CircuitConfig.range("rateLimitedMs", rateLimitedMs, 0, 3_600_000);
        CircuitConfig.range("maxRetryAfterMs", maxRetryAfterMs, 1_000, 86_400_000);
        CircuitConfig.range("spendLimitMs", spendLimitMs, 60_000, 86_400_000);
        CircuitConfig.range("modelNotFoundMs", modelNotFoundMs, 0, 86_400_000);
    }
}
