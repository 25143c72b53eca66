package io.agentmesh.node.llm.config;

/**
 * The circuit breaker of each target: it opens when at least {@code minimumCalls} attempts in the last
 * {@code windowMs} ended and {@code failureRatePercent} of them failed; stays open {@code openMs}; then lets
 * {@code halfOpenProbes} real calls through, and closes on a success or opens again on a failure. The minimum is
 * small on purpose: Resilience4j's default of 100 calls never opens at one agent's traffic.
 */
public record CircuitConfig(long windowMs, int minimumCalls, int failureRatePercent, long openMs,
                            int halfOpenProbes) {
    /** LiteLLM's "50% of requests failed in a given minute, at least 5 requests"; Portkey's 30 s minimum open. */
    public static final CircuitConfig DEFAULTS = new CircuitConfig(60_000, 5, 50, 30_000, 1);

    public CircuitConfig {
        range("windowMs", windowMs, 1_000, 3_600_000);
        range("minimumCalls", minimumCalls, 3, 20);
        range("failureRatePercent", failureRatePercent, 1, 100);
        range("openMs", openMs, 1_000, 3_600_000);
        range("halfOpenProbes", halfOpenProbes, 1, 10);
    }

    static void range(String name, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", got " + v);
        }
    }
}
