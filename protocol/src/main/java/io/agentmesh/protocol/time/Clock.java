package io.agentmesh.protocol.time;

/**
 * Time as the node core sees it. Production reads the system clock; the simulator advances a virtual clock and
 * skews it per node. Core code never reads time any other way (DESIGN.md invariant 2).
 */
public interface Clock {
    /** Wall-clock time in epoch milliseconds; may jump and may be skewed. */
    long nowMillis();

    /** Monotonic time in nanoseconds, for measuring intervals only. */
    long monotonicNanos();
}
