package io.agentmesh.sim.world;

import io.agentmesh.protocol.time.Clock;

/**
 * One simulated machine's clock. Wall time is the run's epoch plus virtual time, skewed: a fixed offset, a drift
 * (parts per million, also applied to monotonic time, as a real oscillator drifts both) and steps ({@link #jump},
 * e.g. an NTP correction). Monotonic time never steps. The clock belongs to the machine, so it keeps running across
 * a process crash and restart.
 */
public final class SimClock implements Clock {
    /** 2025-01-01T00:00:00Z: runs start here so certificate validity and memory times look real. */
    public static final long DEFAULT_EPOCH_MILLIS = 1_735_689_600_000L;

    private final SimLoop loop;
    private final long epochMillis;
    private final long offsetMillis;
    private final long driftPpm;
    private final long bootNanos;
    private long jumpedMillis;

    public SimClock(SimLoop loop, long epochMillis, long offsetMillis, long driftPpm, long bootNanos) {
        this.loop = loop;
        this.epochMillis = epochMillis;
        this.offsetMillis = offsetMillis;
        this.driftPpm = driftPpm;
        this.bootNanos = bootNanos;
    }

    /** An exact clock: no offset, no drift. */
    public static SimClock exact(SimLoop loop) {
        return new SimClock(loop, DEFAULT_EPOCH_MILLIS, 0, 0, 0);
    }

    @Override
    public long nowMillis() {
        return epochMillis + offsetMillis + jumpedMillis + localNanos() / 1_000_000L;
    }

    @Override
    public long monotonicNanos() {
        return bootNanos + localNanos();
    }

    private long localNanos() {
        long t = loop.nowNanos();
        return driftPpm == 0 ? t : t + Math.round(t * (driftPpm / 1e6));
    }

    /** Steps the wall clock by {@code deltaMillis} (either way); monotonic time is unaffected. */
    public void jump(long deltaMillis) {
        jumpedMillis += deltaMillis;
    }

    /** How far this clock's wall time is from true time now, in ms. */
    public long skewMillis() {
        return nowMillis() - (epochMillis + loop.nowMillis());
    }

    public long driftPpm() {
        return driftPpm;
    }

    public long offsetMillis() {
        return offsetMillis;
    }
}
