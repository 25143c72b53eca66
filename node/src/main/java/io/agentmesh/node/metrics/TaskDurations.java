package io.agentmesh.node.metrics;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long each task held the node thread: a stall meter. Every task the node thread runs (a network event, a
 * timer, an HTTP call, a disk completion) records its duration here; a task that blocks (a Raft fsync, a store read)
 * shows up as a long one, and everything queued behind it waited that long.
 *
 * <p>The durations go into a fixed log-linear histogram (values below 32 us exact, above that 16 buckets per power of
 * two, so a quantile or a window's longest task is read within 1/16 = 6%), plus the exact longest task since start.
 * Written by the node thread only; {@link #snapshot} may be called from any thread, and two snapshots subtract
 * ({@link Snapshot#since}) to give the figures of the tasks run between them (a benchmark's phase).
 */
public final class TaskDurations {
    private static final int EXACT = 32;
    private static final int SUB_BUCKETS = 16;
    /** Magnitudes 2^5 .. 2^45 us (about 400 days): any duration a task can have. */
    private static final int MAGNITUDES = 41;
    static final int BUCKETS = EXACT + MAGNITUDES * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private volatile long tasks;
    private volatile long totalNanos;
    private volatile long maxNanos;

    /** Records one task that held the thread for {@code nanos}. Node thread only (one writer). */
    public void record(long nanos) {
        long n = Math.max(0, nanos);
        counts.incrementAndGet(bucketOf(n / 1_000));
        // One writer: plain read-modify-write of the volatiles is safe; readers see each value whole.
        tasks = tasks + 1;
        totalNanos = totalNanos + n;
        if (n > maxNanos) {
            maxNanos = n;
        }
    }

    /** The figures so far; cheap enough for every scrape. Any thread. */
    public Snapshot snapshot() {
        long[] copy = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            copy[i] = counts.get(i);
        }
        return new Snapshot(tasks, totalNanos, maxNanos, copy);
    }

    static int bucketOf(long micros) {
        if (micros < EXACT) {
            return (int) Math.max(0, micros);
        }
        int magnitude = 63 - Long.numberOfLeadingZeros(micros); // >= 5
        if (magnitude - 5 >= MAGNITUDES) {
            return BUCKETS - 1;
        }
        int sub = (int) (micros >>> (magnitude - 4)) - SUB_BUCKETS; // 0..15
        return EXACT + (magnitude - 5) * SUB_BUCKETS + sub;
    }

    /** The largest duration, in microseconds, that falls in {@code bucket}. */
    static long upperMicros(int bucket) {
        if (bucket < EXACT) {
            return bucket;
        }
        int magnitude = (bucket - EXACT) / SUB_BUCKETS + 5;
        int sub = (bucket - EXACT) % SUB_BUCKETS;
        return ((long) (SUB_BUCKETS + sub + 1) << (magnitude - 4)) - 1;
    }

    /**
     * Task figures at one moment (or, after {@link #since}, between two).
     *
     * @param maxNanos the longest task: exact since start; in a difference, the top of the highest non-empty bucket
     *                 (within 6%), never more than the exact longest since start
     */
    public record Snapshot(long tasks, long totalNanos, long maxNanos, long[] buckets) {
        /** The tasks run after {@code earlier} was taken, up to this one. */
        public Snapshot since(Snapshot earlier) {
            long[] diff = new long[buckets.length];
            int highest = -1;
            for (int i = 0; i < diff.length; i++) {
                diff[i] = buckets[i] - earlier.buckets[i];
                if (diff[i] > 0) {
                    highest = i;
                }
            }
            long max = highest < 0 ? 0 : Math.min(maxNanos, (upperMicros(highest) + 1) * 1_000 - 1);
            return new Snapshot(tasks - earlier.tasks, totalNanos - earlier.totalNanos, max, diff);
        }

        /**
         * The duration that {@code quantile} of the tasks did not exceed, in nanoseconds (the top of its bucket, so
         * never understated, and never above the longest task); 0 when no task ran.
         */
        public long quantileNanos(double quantile) {
            if (!(quantile > 0 && quantile <= 1)) {
                throw new IllegalArgumentException("quantile must be in (0, 1], got " + quantile);
            }
            long total = Arrays.stream(buckets).sum();
            if (total == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(quantile * total);
            long seen = 0;
            for (int i = 0; i < buckets.length; i++) {
                seen += buckets[i];
                if (seen >= rank) {
                    return Math.min(maxNanos, (upperMicros(i) + 1) * 1_000 - 1);
                }
            }
            return maxNanos;
        }

        /** The figures a benchmark prints: tasks, busy time, p50/p99/p99.9 and the longest task, in ms. */
        public Map<String, Object> figures() {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("tasks", tasks);
            r.put("busyMs", round(totalNanos / 1e6));
            r.put("p50Ms", round(quantileNanos(0.5) / 1e6));
            r.put("p99Ms", round(quantileNanos(0.99) / 1e6));
            r.put("p999Ms", round(quantileNanos(0.999) / 1e6));
            r.put("maxMs", round(maxNanos / 1e6));
            return r;
        }

        private static double round(double v) {
            return Math.round(v * 1000) / 1000.0;
        }
    }
}
