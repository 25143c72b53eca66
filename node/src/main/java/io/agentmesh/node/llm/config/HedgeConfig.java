package io.agentmesh.node.llm.config;

/**
 * Hedged attempts ("The Tail at Scale"): when an attempt has shown no first token after its target's hedge delay, the
 * call's next attempt starts on the next target while the first carries on; the first to deliver a first token wins
 * and the other is cancelled. The delay adapts per target: {@code multiplier} times its recent time to first token,
 * clamped to {@code minMs..maxMs}; a target never measured waits {@code maxMs}.
 *
 * <p>Why these defaults: 3 x the average time to first token lets a healthy target's ordinary spread pass (a hedge
 * is a second, possibly billed, request); 250 ms keeps a target that usually answers in 30 ms from being hedged on
 * every small hiccup; 2,000 ms bounds what a silent provider costs a call (the goal is failover within a
 * second of an outage for refusing providers; a silent one can only be told from a slow one by waiting).
 *
 * @param enabled    whether calls hedge at all
 * @param multiplier the hedge delay in units of the target's first-token average, 1..20
 * @param minMs      the shortest hedge delay
 * @param maxMs      the longest hedge delay, also an unmeasured target's
 */
public record HedgeConfig(boolean enabled, double multiplier, long minMs, long maxMs) {
    public static final double MAX_MULTIPLIER = 20;
    public static final long MAX_DELAY_MS = 600_000;
    public static final HedgeConfig DEFAULTS = new HedgeConfig(true, 3, 250, 2_000);

    public HedgeConfig {
        if (!(multiplier >= 1 && multiplier <= MAX_MULTIPLIER)) {
            throw new IllegalArgumentException("hedge.multiplier must be 1.." + (long) MAX_MULTIPLIER + ", got "
                    + multiplier);
        }
        if (minMs < 1 || minMs > MAX_DELAY_MS) {
            throw new IllegalArgumentException("hedge.minMs must be 1.." + MAX_DELAY_MS + ", got " + minMs);
        }
        if (maxMs < minMs || maxMs > MAX_DELAY_MS) {
            throw new IllegalArgumentException("hedge.maxMs must be minMs (" + minMs + ").." + MAX_DELAY_MS
                    + ", got " + maxMs);
        }
    }

    /**
     * @param firstTokenEwmaMs the target's recent time to first token, negative when it was never measured
     * @return how long an attempt at that target may go without a first token before the call hedges
     */
    public long delayMs(long firstTokenEwmaMs) {
        if (firstTokenEwmaMs < 0) {
            return maxMs;
        }
        double scaled = multiplier * firstTokenEwmaMs;
        return Math.max(minMs, Math.min(maxMs, scaled >= maxMs ? maxMs : Math.round(scaled)));
    }
}
