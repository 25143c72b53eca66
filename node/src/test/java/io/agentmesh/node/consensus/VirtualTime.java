package io.agentmesh.node.consensus;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.node.port.Scheduler;

import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * A deterministic virtual-time event queue for tests: many nodes in one thread. Events run in (time, sequence)
 * order; each node gets its own {@link NodeScheduler}, which can be killed (its queued tasks and timers are dropped,
 * like a process killed with -9).
 */
final class VirtualTime {
    private static final class Event implements Comparable<Event> {
        final long at;
        final long seq;
        final NodeScheduler owner;
        final Runnable task;
        boolean cancelled;

        Event(long at, long seq, NodeScheduler owner, Runnable task) {
            this.at = at;
            this.seq = seq;
            this.owner = owner;
            this.task = task;
        }

        @Override
        public int compareTo(Event o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private long nowMs;
    private long seq;
    private long executed;

    long nowMs() {
        return nowMs;
    }

    long executed() {
        return executed;
    }

    NodeScheduler newScheduler(String name) {
        return new NodeScheduler(name);
    }

    Clock clock(long wallOffsetMs) {
        return new Clock() {
            @Override
            public long nowMillis() {
                return 1_700_000_000_000L + wallOffsetMs + nowMs;
            }

            @Override
            public long monotonicNanos() {
                return nowMs * 1_000_000L;
            }
        };
    }

    /** Runs a task at an absolute time, owned by nobody (the test itself). */
    void at(long atMs, Runnable task) {
        queue.add(new Event(Math.max(atMs, nowMs), seq++, null, task));
    }

    /** Runs events until {@code untilMs}; the clock ends there. */
    void runUntil(long untilMs) {
        while (!queue.isEmpty() && queue.peek().at <= untilMs) {
            step();
        }
        nowMs = Math.max(nowMs, untilMs);
    }

    void runFor(long ms) {
        runUntil(nowMs + ms);
    }

    /**
     * Runs events until {@code condition} holds (checked after every event), at most {@code maxMs} from now.
     * Returns the virtual time at which it first held, or -1.
     */
    long runUntil(BooleanSupplier condition, long maxMs) {
        long deadline = nowMs + maxMs;
        if (condition.getAsBoolean()) {
            return nowMs;
        }
        while (!queue.isEmpty() && queue.peek().at <= deadline) {
            step();
            if (condition.getAsBoolean()) {
                return nowMs;
            }
        }
        nowMs = Math.max(nowMs, deadline);
        return -1;
    }

    private void step() {
        Event e = queue.poll();
        nowMs = e.at;
        if (e.cancelled || (e.owner != null && !e.owner.alive)) {
            return;
        }
        executed++;
        e.task.run();
    }

    /** One node's view of the queue; kill() drops everything it still has queued. */
    final class NodeScheduler implements Scheduler {
        final String name;
        boolean alive = true;

        NodeScheduler(String name) {
            this.name = name;
        }

        @Override
        public void execute(Runnable task) {
            if (alive) {
                queue.add(new Event(nowMs, seq++, this, task));
            }
        }

        @Override
        public Cancellable schedule(Runnable task, long delayMs) {
            Event e = new Event(nowMs + Math.max(0, delayMs), seq++, this, task);
            if (alive) {
                queue.add(e);
            }
            return () -> e.cancelled = true;
        }

        void kill() {
            alive = false;
        }
    }
}
