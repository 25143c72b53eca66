package io.agentmesh.sim.world;

import io.agentmesh.node.port.Scheduler;

/**
 * The node thread of one simulated process: {@link #execute} queues at the current virtual time, {@link #schedule}
 * after a delay measured on the node's own (possibly drifting) clock. When the process crashes the scheduler is
 * killed and every event it still owns is dropped; a restarted process gets a new scheduler.
 *
 * <p>A synchronous call that blocks the thread (an fsync, a store read) is charged with {@link #block}: the thread is
 * busy until then, so the process's later events run no earlier than that, in their order, and whatever the current
 * event queues or sends after the call leaves when the call returns ({@link #readyNanos()}). Virtual time itself
 * does not move inside an event: the other nodes and the world go on meanwhile.
 */
public final class SimScheduler implements Scheduler {
    private final SimLoop loop;
    private final String name;
    private final long driftPpm;
    private boolean alive = true;
    private Runnable afterEach;
    private long busyUntilNanos;

    /**
     * @param name     the node, as it appears in the trace
     * @param driftPpm how much faster (positive) or slower this node's clock runs, in parts per million; a timer of
     *                 d ms fires after d / (1 + drift) ms of true time
     */
    public SimScheduler(SimLoop loop, String name, long driftPpm) {
        this.loop = loop;
        this.name = name;
        this.driftPpm = driftPpm;
    }

    @Override
    public void execute(Runnable task) {
        post("task", task);
    }

    /** A timer the node sets: its delay counts from when the call that sets it returns (after any block). */
    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        return loop.at(readyNanos() + trueNanos(Math.max(0, delayMs) * 1_000_000L), this, name, "timer", task);
    }

    /** The priority lane: runs before this node's ordinary events that wait for its thread ({@link SimLoop#at}). */
    @Override
    public void executeUrgent(Runnable task) {
        loop.at(loop.nowNanos(), this, name, "urgent task", task, true);
    }

    /** A timer whose task goes to the priority lane when due; the delay counts as for {@link #schedule}. */
    @Override
    public Cancellable scheduleUrgent(Runnable task, long delayMs) {
        return loop.at(readyNanos() + trueNanos(Math.max(0, delayMs) * 1_000_000L), this, name, "urgent timer", task,
                true);
    }

    /**
     * Queues a labelled task now (network and disk events use this so the trace says what they are); if the thread
     * is blocked, it runs when the block ends.
     */
    public SimLoop.Event post(String label, Runnable task) {
        return loop.at(loop.nowNanos(), this, name, label, task);
    }

    /** Queues a labelled task after {@code nanos} of true (simulated) time, or when a block ends if that is later. */
    public SimLoop.Event postAfter(long nanos, String label, Runnable task) {
        return loop.at(loop.nowNanos() + Math.max(0, nanos), this, name, label, task);
    }

    /**
     * The thread blocks for {@code nanos} in a synchronous call made by the current event (after any earlier block):
     * this process's later events wait until it returns.
     */
    public void block(long nanos) {
        if (nanos > 0) {
            busyUntilNanos = readyNanos() + nanos;
        }
    }

    /** When the thread is free again: now, or the end of the blocking calls the current event made. */
    public long readyNanos() {
        return Math.max(loop.nowNanos(), busyUntilNanos);
    }

    /** Whether the thread is inside a blocking call at this moment of virtual time. */
    public boolean busy() {
        return busyUntilNanos > loop.nowNanos();
    }

    long busyUntilNanos() {
        return busyUntilNanos;
    }

    /** Converts a duration on this node's clock to true time. */
    long trueNanos(long localNanos) {
        if (driftPpm == 0) {
            return localNanos;
        }
        return Math.round(localNanos / (1.0 + driftPpm / 1e6));
    }

    /**
     * Runs {@code observer} after each event of this scheduler that ran while the process was alive (a recorder's
     * hook: it sees the node's state between two of its events, exactly as the next event will find it). The
     * observer must not queue events or change the node.
     */
    public void afterEach(Runnable observer) {
        this.afterEach = observer;
    }

    void ran() {
        if (alive && afterEach != null) {
            afterEach.run();
        }
    }

    public boolean alive() {
        return alive;
    }

    /** The process died: nothing it queued will run. */
    public void kill() {
        alive = false;
    }

    public String name() {
        return name;
    }

    public SimLoop loop() {
        return loop;
    }
}
