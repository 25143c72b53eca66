package io.agentmesh.node.runtime;

import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.node.metrics.TaskDurations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one thread that owns the node core and the Automerge document. Everything that touches them is a task on
 * this thread; other threads hand work over with {@link #call}. A task that throws is logged and does not kill the
 * thread. Every task's duration goes to {@link #taskDurations()} (the node-thread stall meter).
 */
public final class NodeThread implements Scheduler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeThread.class);
    private final ScheduledThreadPoolExecutor executor;
    private final Clock clock;
    private final TaskDurations durations = new TaskDurations();
    private volatile Thread thread;

    public NodeThread(String nodeName) {
        this(nodeName, new SystemClock());
    }

    /** @param clock times each task for {@link #taskDurations()} */
    public NodeThread(String nodeName, Clock clock) {
        this.clock = clock;
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "node-" + nodeName);
            thread = t;
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public void execute(Runnable task) {
        executor.execute(guarded(task));
    }

    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        ScheduledFuture<?> future = executor.schedule(guarded(task), Math.max(0, delayMs), TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
    }

    /** Runs {@code work} on the node thread and returns its result. */
    public <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(timed(() -> {
                try {
                    work.get().whenComplete((value, error) -> {
                        if (error != null) {
                            result.completeExceptionally(error);
                        } else {
                            result.complete(value);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the node is shutting down"));
        }
        return result;
    }

    public boolean onNodeThread() {
        return Thread.currentThread() == thread;
    }

    /** Stops taking tasks, lets queued ones finish (bounded by {@code timeoutMs}). */
    public void shutdown(long timeoutMs) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS)) {
                log.warn("node thread did not finish queued tasks within {} ms; stopping it", timeoutMs);
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(5_000);
    }

    /** How long each task held this thread (any thread may read it). */
    public TaskDurations taskDurations() {
        return durations;
    }

    private Runnable guarded(Runnable task) {
        return timed(() -> {
            try {
                task.run();
            } catch (RuntimeException | AssertionError e) {
                log.error("node task failed: {}", e.toString(), e);
            }
        });
    }

    private Runnable timed(Runnable task) {
        return () -> {
            long t0 = clock.monotonicNanos();
            try {
                task.run();
            } finally {
                durations.record(clock.monotonicNanos() - t0);
            }
        };
    }
}
