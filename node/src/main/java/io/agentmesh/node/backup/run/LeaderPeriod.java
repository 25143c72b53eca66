package io.agentmesh.node.backup.run;

import org.slf4j.Logger;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The threads of the backup runner and the drill: each owns one daemon worker (its runs block on targets and disk, so
 * never on the node thread) and, when scheduled, one timer that starts a run every period while this node leads.
 */
final class LeaderPeriod {
    private LeaderPeriod() {
    }

    /** A single daemon thread named {@code name}. */
    static ExecutorService worker(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs {@code work} every {@code periodMs} (the first time one period after now, the next one period after the
     * previous ended) on a daemon timer named {@code name}, only while {@code leads}; a failed run is logged with
     * {@code node} and the next period tries again. Shut the returned timer down to stop.
     */
    static ScheduledExecutorService every(String name, long periodMs, BooleanSupplier leads, Runnable work,
                                          Logger log, String node, String what) {
        if (periodMs < 1) {
            throw new IllegalArgumentException("a period is at least 1 ms, got " + periodMs);
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                if (leads.getAsBoolean()) {
                    work.run();
                }
            } catch (RuntimeException e) {
                log.warn("node {} scheduled {} did not run: {}", node, what, e.toString());
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return timer;
    }
}
