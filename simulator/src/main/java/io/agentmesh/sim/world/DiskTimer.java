package io.agentmesh.sim.world;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Where a simulated disk's time goes. {@link #after} is when a write that completes in the background (a group
 * commit) is done; {@link #block} is a synchronous call holding up the calling thread. In a simulated world both go to
 * the node's {@link SimScheduler} (so a crash also kills the fsync in flight, and a blocking call delays the node's
 * later events); the store contract tests back it with a real thread and do not model blocking.
 */
public interface DiskTimer {
    void after(long nanos, String label, Runnable task);

    /** The calling thread waits {@code nanos} for the disk (an fsync, a read) before the call returns. */
    void block(long nanos);

    static DiskTimer of(SimScheduler scheduler) {
        return new DiskTimer() {
            @Override
            public void after(long nanos, String label, Runnable task) {
                scheduler.postAfter(nanos, label, task);
            }

            @Override
            public void block(long nanos) {
                scheduler.block(nanos);
            }
        };
    }

    /** Real time on {@code executor}; a blocking call costs nothing beyond what the real call takes. */
    static DiskTimer of(ScheduledExecutorService executor) {
        return new DiskTimer() {
            @Override
            public void after(long nanos, String label, Runnable task) {
                executor.schedule(task, nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void block(long nanos) {
                // the contract tests measure nothing in virtual time
            }
        };
    }
}
