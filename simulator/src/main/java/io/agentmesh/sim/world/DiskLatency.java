package io.agentmesh.sim.world;

import java.util.SplittableRandom;

/**
 * How long a simulated machine's disk takes. Each machine draws its own mean fsync latency once, uniformly in
 * [{@code fsyncMinMicros}, {@code fsyncMaxMicros}] (SSDs to slow cloud volumes), and each fsync then takes half that
 * mean plus an exponential tail with the other half, so a few take several times the mean. Every synchronous store
 * call on the node thread costs its node that long (a Raft flush, a blocking metadata write); the change store's
 * group commits, asynchronous metadata and snapshot writes complete that long later without holding the node. A read
 * costs {@code readMicros} (a page-cache hit; the simulated store holds everything in memory), blocking or not.
 *
 * @param fsyncMinMicros lowest per-machine mean fsync latency
 * @param fsyncMaxMicros highest per-machine mean fsync latency
 * @param readMicros     cost of one synchronous read on the node thread
 */
public record DiskLatency(long fsyncMinMicros, long fsyncMaxMicros, long readMicros) {
    /** 0.3-3 ms fsyncs, 20 us reads. */
    public static final DiskLatency DEFAULTS = new DiskLatency(300, 3_000, 20);

    public DiskLatency {
        if (fsyncMinMicros < 0 || fsyncMaxMicros < fsyncMinMicros || readMicros < 0) {
            throw new IllegalArgumentException("need 0 <= fsync min <= fsync max and reads >= 0, got fsync "
                    + fsyncMinMicros + "-" + fsyncMaxMicros + " us, reads " + readMicros + " us");
        }
    }

    /** Parses "MIN-MAX" (microseconds) or a single value for both, as {@code --fsync-micros} takes them. */
    public DiskLatency withFsyncMicros(String text) {
        String[] parts = text.trim().split("-", -1);
        try {
            if (parts.length == 1) {
                long v = Long.parseLong(parts[0].trim());
                return new DiskLatency(v, v, readMicros);
            }
            if (parts.length == 2) {
                return new DiskLatency(Long.parseLong(parts[0].trim()), Long.parseLong(parts[1].trim()), readMicros);
            }
        } catch (NumberFormatException e) {
            // fall through to the explanation below
        }
        throw new IllegalArgumentException("bad fsync latency '" + text + "': give microseconds as MIN-MAX, e.g."
                + " 300-3000, or one value");
    }

    /** A machine's mean fsync latency in nanoseconds, drawn from {@code random}. */
    public long drawMeanNanos(SplittableRandom random) {
        long span = (fsyncMaxMicros - fsyncMinMicros) * 1_000;
        return fsyncMinMicros * 1_000 + (span == 0 ? 0 : random.nextLong(span));
    }

    /** One fsync on a machine whose mean is {@code meanNanos}. */
    public static long fsyncNanos(SplittableRandom random, long meanNanos) {
        return meanNanos / 2 + (long) Rng.exponential(random, meanNanos / 2.0);
    }

    public String describe() {
        return fsyncMinMicros == fsyncMaxMicros ? fsyncMinMicros + "" : fsyncMinMicros + "-" + fsyncMaxMicros;
    }
}
