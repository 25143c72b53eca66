package io.agentmesh.node.consensus;

import io.agentmesh.protocol.time.Clock;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The {@link java.time.Clock} MicroRaft reads: {@code EPOCH_MILLIS + elapsed * k}, where elapsed is measured on the
 * node core's monotonic clock since this object was made and k is the time dilation (see {@link ConsensusConfig}).
 *
 * <p>Monotonic on purpose: MicroRaft only subtracts readings (heartbeat ages, leases), so a wall clock that jumps
 * would fake or hide a dead leader. The epoch is large because MicroRaft starts "last leader heartbeat" at 0 and a
 * voter rejects votes while {@code now - 0 < T}: a clock starting near 0 would block the first election for T.
 * Readings are not wall-clock times; MicroRaft's report timestamps are in this time base.
 */
public final class DilatedClock extends java.time.Clock {
    /** 2001-09-09 in epoch ms: far enough from 0 that no "time since 0" check can block anything. */
    public static final long EPOCH_MILLIS = 1_000_000_000_000L;

    private final Clock source;
    private final long originNanos;
    private final int factor;

    public DilatedClock(Clock source, int factor) {
        if (factor < 1) {
            throw new IllegalArgumentException("time dilation must be at least 1, got " + factor);
        }
        this.source = source;
        this.factor = factor;
        this.originNanos = source.monotonicNanos();
    }

    @Override
    public long millis() {
        long elapsedNanos = source.monotonicNanos() - originNanos;
        return EPOCH_MILLIS + Math.multiplyExact(elapsedNanos, (long) factor) / 1_000_000L;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(ZoneId zone) {
        if (ZoneOffset.UTC.equals(zone)) {
            return this;
        }
        throw new UnsupportedOperationException("MicroRaft's clock is UTC only");
    }

    public int factor() {
        return factor;
    }

    /** A MicroRaft duration in nanoseconds as node milliseconds, rounded up so a timer never fires early. */
    public static long toNodeMillis(long raftNanos, int factor) {
        if (raftNanos <= 0) {
            return 0;
        }
        long divisor = 1_000_000L * factor;
        return raftNanos / divisor + (raftNanos % divisor == 0 ? 0 : 1);
    }
}
