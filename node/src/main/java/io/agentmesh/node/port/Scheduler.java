package io.agentmesh.node.port;

/**
 * Runs tasks on the node's single thread. Production backs it with one executor thread; the simulator with its
 * virtual-time event queue. Every task submitted here runs on the thread that owns the node core, so core code
 * needs no locks.
 *
 * <p>{@link #execute} may be called from any thread (a store completing a write, a connection receiving a frame);
 * it never blocks and never runs the task inline.
 */
public interface Scheduler {
    void execute(Runnable task);

    /** Runs {@code task} after {@code delayMs}; the returned handle cancels it if it has not run yet. */
    Cancellable schedule(Runnable task, long delayMs);

    /**
     * Like {@link #execute}, in the priority lane: runs before the ordinary tasks already queued (after the task
     * running now), in the order urgent tasks were queued. For consensus only (Raft's messages and tasks, and the
     * leader's action steps between two commits), whose timing decides failover: a vote request must not wait behind
     * replication, writes and HTTP reads. The default is the ordinary lane.
     */
    default void executeUrgent(Runnable task) {
        execute(task);
    }

    /** Like {@link #schedule}, but the task goes to the priority lane when it is due ({@link #executeUrgent}). */
    default Cancellable scheduleUrgent(Runnable task, long delayMs) {
        return schedule(task, delayMs);
    }

    interface Cancellable {
        void cancel();
    }
}
