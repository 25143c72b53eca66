package io.agentmesh.node.llm.config;

/**
 * The probe budget: health is learnt from real calls, and the only calls sent to a target whose circuit opened are
 * its half-open probes, at most {@code maxPerHour} per target in any hour, so a dead provider costs a bounded number
 * of paid requests however long it stays dead.
 */
public record ProbeConfig(int maxPerHour) {
    public static final ProbeConfig DEFAULTS = new ProbeConfig(6);

    public ProbeConfig {
        CircuitConfig.range("maxPerHour", maxPerHour, 1, 3_600);
    }
}
