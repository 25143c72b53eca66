package io.agentmesh.node.net;

import io.agentmesh.protocol.time.Clock;

/** A wall clock a test sets by hand. */
final class ManualClock implements Clock {
    volatile long nowMillis;

    ManualClock(long nowMillis) {
        this.nowMillis = nowMillis;
    }

    @Override
    public long nowMillis() {
        return nowMillis;
    }

    @Override
    public long monotonicNanos() {
        return nowMillis * 1_000_000;
    }
}
