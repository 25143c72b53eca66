package io.agentmesh.sim.world;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * When a simulated disk's writes complete. In a simulated world it is the node's {@link SimScheduler} (so a crash
 * also kills the fsync in flight); the store contract tests back it with a real thread.
 */
@FunctionalInterface
public interface DiskTimer {
    void after(long nanos, String label, Runnable task);

    static DiskTimer of(SimScheduler scheduler) {
        return (nanos, label, task) -> scheduler.postAfter(nanos, label, task);
    }

    static DiskTimer of(ScheduledExecutorService executor) {
        return (nanos, label, task) -> executor.schedule(task, nanos, TimeUnit.NANOSECONDS);
    }
}
