package io.agentmesh.protocol.time;


/** The production clock: the JVM's wall clock and monotonic timer. */
public final class SystemClock implements Clock {
    @Override
    public long nowMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public long monotonicNanos() {
        return System.nanoTime();
    }
}
