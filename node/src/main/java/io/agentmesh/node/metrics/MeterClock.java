package io.agentmesh.node.metrics;

import io.agentmesh.protocol.time.Clock;

import java.util.Objects;

/**
 * Micrometer's clock over the node's one {@link Clock}, so meters (timer windows, step rotation) read the same time as
 * every other component of the node and never the system clock behind its back.
 */
public final class MeterClock implements io.micrometer.core.instrument.Clock {
    private final Clock clock;

    public MeterClock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public long wallTime() {
        return clock.nowMillis();
    }

    @Override
    public long monotonicTime() {
        return clock.monotonicNanos();
    }
}
