package io.agentmesh.sim.world;

import io.agentmesh.node.port.Scheduler;

import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Virtual time and the one event queue of a simulated world. Events run in order of time, then of insertion, on the
 * calling thread; nothing runs concurrently and nothing reads the wall clock. An event owned by a
 * {@link SimScheduler} that has been killed (its node crashed) is dropped when its turn comes; one whose scheduler is
 * blocked ({@link SimScheduler#block}) waits until the block ends, keeping its place among that node's events.
 */
public final class SimLoop {
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final Trace trace;
    private long now;
    private long sequence;
    private long executed;
    private Consumer<Failure> onTaskFailure = f -> {
        throw f.error();
    };

    /** A task threw. The loop reports it and carries on, as the node thread does in production. */
    public record Failure(long nanos, String who, String label, RuntimeException error) {
    }

    public SimLoop(Trace trace) {
        this.trace = trace;
    }

    public void onTaskFailure(Consumer<Failure> handler) {
        this.onTaskFailure = handler;
    }

    /** Virtual nanoseconds since the start of the run. */
    public long nowNanos() {
        return now;
    }

    public long nowMillis() {
        return now / 1_000_000L;
    }

    public Trace trace() {
        return trace;
    }

    public long executedEvents() {
        return executed;
    }

    public int pending() {
        return queue.size();
    }

    /** Queues {@code task} at {@code atNanos} (not before now) on behalf of {@code owner} (null: the world). */
    public Event at(long atNanos, SimScheduler owner, String who, String label, Runnable task) {
        return at(atNanos, owner, who, label, task, false);
    }

    /**
     * As {@link #at(long, SimScheduler, String, String, Runnable)}; an {@code urgent} event runs before the ordinary
     * events due at the same time, so when a blocked node's thread is free again it runs its urgent events first (the
     * node thread's priority lane, {@link io.agentmesh.node.port.Scheduler#executeUrgent}).
     */
    public Event at(long atNanos, SimScheduler owner, String who, String label, Runnable task, boolean urgent) {
        Event e = new Event(Math.max(atNanos, now), sequence++, owner, who, label, task, urgent);
        queue.add(e);
        return e;
    }

    /** A world event (faults, workload, samplers): never dropped by a crash. */
    public Event world(long atNanos, String label, Runnable task) {
        return at(atNanos, null, "world", label, task, false);
    }

    /** Runs the next live event; false when the queue is empty. */
    public boolean step() {
        Event e = peekLive();
        if (e == null) {
            return false;
        }
        queue.poll();
        now = e.time;
        executed++;
        trace.record(now, e.who, e.label);
        try {
            e.task.run();
        } catch (RuntimeException error) {
            onTaskFailure.accept(new Failure(now, e.who, e.label, error));
        }
        if (e.owner != null) {
            try {
                e.owner.ran();
            } catch (RuntimeException error) {
                onTaskFailure.accept(new Failure(now, e.who, "observer after " + e.label, error));
            }
        }
        return true;
    }

    /** Runs every event up to and including {@code untilNanos}, then sets the clock to it. */
    public void runUntil(long untilNanos) {
        while (true) {
            Event next = peekLive();
            if (next == null || next.time > untilNanos) {
                break;
            }
            step();
        }
        now = Math.max(now, untilNanos);
    }

    /**
     * Runs events until {@code done} holds (checked after each event) or time passes {@code deadlineNanos}.
     * Returns whether {@code done} held.
     */
    public boolean runUntil(BooleanSupplier done, long deadlineNanos) {
        while (!done.getAsBoolean()) {
            Event next = peekLive();
            if (next == null || next.time > deadlineNanos) {
                now = Math.max(now, deadlineNanos);
                return done.getAsBoolean();
            }
            step();
        }
        return true;
    }

    /** The next event that will run: dropped ones are removed, ones of a blocked node moved to when it is free. */
    private Event peekLive() {
        while (true) {
            Event e = queue.peek();
            if (e == null) {
                return null;
            }
            if (e.cancelled || (e.owner != null && !e.owner.alive())) {
                queue.poll();
                continue;
            }
            if (e.owner != null && e.owner.busyUntilNanos() > e.time) {
                // The node's thread is still inside a blocking call. The event keeps its due time as a tie-break,
                // so the node then works through its queue in the order things arrived, as a real thread would.
                queue.poll();
                e.time = e.owner.busyUntilNanos();
                queue.add(e);
                continue;
            }
            return e;
        }
    }

    /** One queued task; cancelling it before it runs drops it. */
    public static final class Event implements Comparable<Event>, Scheduler.Cancellable {
        long time;
        final long due;
        final long seq;
        final SimScheduler owner;
        final String who;
        final String label;
        final Runnable task;
        final boolean urgent;
        boolean cancelled;

        Event(long time, long seq, SimScheduler owner, String who, String label, Runnable task, boolean urgent) {
            this.urgent = urgent;
            this.time = time;
            this.due = time;
            this.seq = seq;
            this.owner = owner;
            this.who = who;
            this.label = label;
            this.task = task;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        public long time() {
            return time;
        }

        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            if (c == 0) {
                c = Boolean.compare(o.urgent, urgent);
            }
            if (c == 0) {
                c = Long.compare(due, o.due);
            }
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
