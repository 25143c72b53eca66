package io.agentmesh.node.llm.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a call chooses among the targets that may take it.
 *
 * @param strategy        which healthy target goes first
 * @param maxAttempts     the most attempts one call makes, across all providers (agentmesh is the only retry loop)
 * @param maxWaitMs       how long a call may wait for a target to come back (a Retry-After deadline, a cooldown)
 *                        when no target is available now; longer than this and the call is refused at once
 * @param aliases         names a call may use for an ordered list of targets, in the order given
 * @param onContentPolicy what a content-policy refusal does to the call
 * @param hedge           when a call starts its next attempt while a silent one carries on
 */
public record RoutingConfig(Strategy strategy, int maxAttempts, long maxWaitMs, Map<String, List<Target>> aliases,
                            ContentPolicyAction onContentPolicy, HedgeConfig hedge) {
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    public static final int MAX_ATTEMPTS = 10;
    public static final long DEFAULT_MAX_WAIT_MS = 60_000;
    public static final long MAX_WAIT_MS = 600_000;

    public enum Strategy {
        /** The first available target in the order llm.json lists them (providers, then their models). */
        ORDERED,
        /** The available target whose worst-case cost for this call is lowest; llm.json's order breaks ties. */
        COST,
        /** The available target with the lowest recent time to first token; unmeasured targets go first. */
        LATENCY
    }

    public enum ContentPolicyAction {
        /** The call fails with the provider's refusal: another provider answering is a policy decision. */
        FAIL,
        /** The call moves to the next target. */
        FAILOVER
    }

    public RoutingConfig {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(onContentPolicy, "onContentPolicy");
        Objects.requireNonNull(hedge, "hedge");
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("maxAttempts must be 1.." + MAX_ATTEMPTS + ", got " + maxAttempts);
        }
        if (maxWaitMs < 0 || maxWaitMs > MAX_WAIT_MS) {
            throw new IllegalArgumentException("maxWaitMs must be 0.." + MAX_WAIT_MS + ", got " + maxWaitMs);
        }
        Map<String, List<Target>> copy = new LinkedHashMap<>();
        aliases.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        aliases = Collections.unmodifiableMap(copy);
    }

    /** The routing with the default hedging. */
    public RoutingConfig(Strategy strategy, int maxAttempts, long maxWaitMs, Map<String, List<Target>> aliases,
                         ContentPolicyAction onContentPolicy) {
        this(strategy, maxAttempts, maxWaitMs, aliases, onContentPolicy, HedgeConfig.DEFAULTS);
    }

    public static RoutingConfig defaults() {
        return new RoutingConfig(Strategy.ORDERED, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_MS, Map.of(),
                ContentPolicyAction.FAIL, HedgeConfig.DEFAULTS);
    }
}
