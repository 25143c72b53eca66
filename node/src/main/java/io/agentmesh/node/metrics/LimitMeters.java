package io.agentmesh.node.metrics;

import io.agentmesh.node.limits.Limits;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What the input limits slowed and cut off ({@link Limits}, thread-safe counters):
 *
 * <pre>
 * agentmesh_rejected_inputs_total{source="transport", reason="rate_limited"}          peer frames over its limit (reads paused)
 * agentmesh_rejected_inputs_total{source="transport", reason="rate_limit_disconnect"} peers disconnected for staying over
 * agentmesh_rejected_inputs_total{source="http", reason="rate_limited"}               API requests answered 429
 * agentmesh_rejected_inputs_total{source="http", reason="rate_limit_disconnect"}      API connections closed for staying over
 * </pre>
 */
public final class LimitMeters {
    public LimitMeters(MeterRegistry registry, Limits limits) {
        for (String source : new String[]{"transport", "http"}) {
            for (String reason : new String[]{"rate_limited", "rate_limit_disconnect"}) {
                FunctionCounter.builder("agentmesh.rejected.inputs", limits,
                                l -> l.counts().get(source).get(reason))
                        .description(CoreMeters.REJECTED_INPUTS_HELP).tag("source", source).tag("reason", reason)
                        .register(registry);
            }
        }
    }
}
