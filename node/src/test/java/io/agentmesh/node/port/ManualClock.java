package io.agentmesh.node.port;

import io.agentmesh.protocol.time.Clock;

/** A wall clock a test sets by hand. */
public final class ManualClock implements Clock {
    public volatile long nowMillis;

    public ManualClock(long nowMillis) {
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
