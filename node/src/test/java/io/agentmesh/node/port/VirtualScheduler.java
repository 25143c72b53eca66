package io.agentmesh.node.port;

import io.agentmesh.protocol.time.Clock;

import java.util.PriorityQueue;

/**
 * A node thread on virtual time, for tests that drive one node's parts by hand (a consensus member, majority-durable
 * writes): tasks run in (time, submission) order only when the test advances time, and the clock reads that time.
 */
public final class VirtualScheduler implements Scheduler, Clock {
    private static final long MS = 1_000_000L;

    private record Task(long atNanos, long seq, Runnable body, boolean[] cancelled) implements Comparable<Task> {
        @Override
        public int compareTo(Task o) {
            int c = Long.compare(atNanos, o.atNanos);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long nowNanos = 1_000 * MS;
    private long seq;

    @Override
    public void execute(Runnable task) {
        queue.add(new Task(nowNanos, seq++, task, new boolean[1]));
    }

    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        boolean[] cancelled = new boolean[1];
        queue.add(new Task(nowNanos + Math.max(0, delayMs) * MS, seq++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    /** Runs everything due within the next {@code ms} of virtual time, then leaves the clock there. */
    public void runFor(long ms) {
        long until = nowNanos + ms * MS;
        while (!queue.isEmpty() && queue.peek().atNanos() <= until) {
            Task t = queue.poll();
            nowNanos = t.atNanos();
            if (!t.cancelled()[0]) {
                t.body().run();
            }
        }
        nowNanos = until;
    }

    public long nowMs() {
        return nowNanos / MS;
    }

    @Override
    public long nowMillis() {
        return 1_700_000_000_000L + nowMs();
    }

    @Override
    public long monotonicNanos() {
        return nowNanos;
    }
}
