package io.agentmesh.node.backup.run;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The threads of the backup runner and the drill: each owns one daemon worker, since their runs block on targets and
 * disk (never on the node thread). When they run is up to the leader's cron schedules (intents of kind {@code backup}
 * and {@code drill}, {@link BackupActions}).
 */
final class Workers {
    private Workers() {
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
     * Runs {@code work} on {@code thread}; the future completes with its result or failure unless {@code closed} by
     * then. Work cut short by a shutdown (or refused by a closed worker) never completes: a node stopping is not an
     * outcome, and an action left in flight is run again by the next leader.
     */
    static <T> CompletableFuture<T> unlessClosed(ExecutorService thread, BooleanSupplier closed, Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    T out = work.get();
                    if (!closed.getAsBoolean()) {
                        f.complete(out);
                    }
                } catch (RuntimeException e) {
                    if (!closed.getAsBoolean()) {
                        f.completeExceptionally(e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // closed: never completes
        }
        return f;
    }
}
