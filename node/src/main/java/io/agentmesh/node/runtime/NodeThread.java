package io.agentmesh.node.runtime;

import io.agentmesh.node.metrics.TaskDurations;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.time.SystemClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The one thread that owns the node core and the Automerge document. Everything that touches them is a task on
 * this thread; other threads hand work over with {@link #call}. A task that throws is logged and does not kill the
 * thread. Every task's duration goes to {@link #taskDurations()} (the node-thread stall meter).
 *
 * <h2>The priority lane</h2>
 * Consensus (Raft's messages, tasks and timers) goes through {@link #executeUrgent} and {@link #scheduleUrgent}:
 * every task of the ordinary queue first runs the urgent tasks queued so far (at most {@link #MAX_URGENT_PER_TASK}
 * of them), so an urgent task waits for the task running now, never for the ordinary backlog (replication, writes,
 * HTTP reads). Measured on a loaded machine, a vote request queued behind that backlog twice (the frame, then
 * MicroRaft's handler) could take longer than an election round, and candidates that timed out together kept
 * splitting the vote (docs/consensus.md, "Consensus ahead of the write path"). Urgent timers are kept by a small
 * timer thread that only hands them to the lane when due: the node thread's own timer queue is ordered by due time,
 * so a timer due now would still wait for every task queued before now.
 *
 * <p>Urgent tasks run in the order they were queued, on this thread, so code run only there needs no locks as
 * before. The cap per ordinary task keeps a flood of consensus traffic from starving the rest; the urgent queue is
 * bounded ({@link #MAX_URGENT_QUEUED}), past which a task goes to the ordinary queue rather than being dropped.
 */
public final class NodeThread implements Scheduler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeThread.class);
    /** Urgent tasks waiting at most; beyond it they join the ordinary queue (nothing is dropped). */
    static final int MAX_URGENT_QUEUED = 65_536;
    /** Urgent tasks run before one ordinary task at most. */
    static final int MAX_URGENT_PER_TASK = 256;

    private final ScheduledThreadPoolExecutor executor;
    private final Clock clock;
    private final TaskDurations durations = new TaskDurations();
    private final ScheduledThreadPoolExecutor urgentTimers;
    private final ConcurrentLinkedQueue<Runnable> urgent = new ConcurrentLinkedQueue<>();
    private final AtomicInteger urgentQueued = new AtomicInteger();
    // Whether a drainer is queued on the ordinary queue: it wakes an idle thread for urgent work; one is enough,
    // since every ordinary task drains first anyway.
    private final AtomicBoolean drainerQueued = new AtomicBoolean();
    private final Runnable drainer = this::drainFromQueue;
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
        urgentTimers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "node-" + nodeName + "-urgent-timers");
            t.setDaemon(true);
            return t;
        });
        urgentTimers.setRemoveOnCancelPolicy(true);
        urgentTimers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public void execute(Runnable task) {
        executor.execute(ordinary(guarded(task)));
    }

    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        ScheduledFuture<?> future = executor.schedule(ordinary(guarded(task)), Math.max(0, delayMs),
                TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public void executeUrgent(Runnable task) {
        if (urgentQueued.incrementAndGet() > MAX_URGENT_QUEUED) {
            urgentQueued.decrementAndGet();
            execute(task);
            return;
        }
        urgent.add(guarded(task));
        if (drainerQueued.compareAndSet(false, true)) {
            try {
                executor.execute(drainer);
            } catch (RejectedExecutionException e) {
                drainerQueued.set(false);
                throw e;
            }
        }
    }

    @Override
    public Cancellable scheduleUrgent(Runnable task, long delayMs) {
        AtomicBoolean cancelled = new AtomicBoolean();
        ScheduledFuture<?> future = urgentTimers.schedule(() -> {
            if (!cancelled.get()) {
                try {
                    executeUrgent(() -> {
                        if (!cancelled.get()) {
                            task.run();
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // the node thread is shutting down: the timer is moot
                }
            }
        }, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
        return () -> {
            cancelled.set(true);
            future.cancel(false);
        };
    }

    /** Runs {@code work} on the node thread and returns its result. */
    public <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(ordinary(timed(() -> {
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
            })));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the node is shutting down"));
        }
        return result;
    }

    public boolean onNodeThread() {
        return Thread.currentThread() == thread;
    }

    /** Urgent tasks waiting now (for metrics and tests). */
    public int urgentQueued() {
        return urgentQueued.get();
    }

    /** Stops taking tasks, lets queued ones finish (bounded by {@code timeoutMs}). */
    public void shutdown(long timeoutMs) {
        urgentTimers.shutdownNow();
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

    /** An ordinary task: the urgent tasks queued before it start runs first. */
    private Runnable ordinary(Runnable task) {
        return () -> {
            runUrgent(MAX_URGENT_PER_TASK);
            task.run();
        };
    }

    private void drainFromQueue() {
        drainerQueued.set(false);
        runUrgent(MAX_URGENT_PER_TASK);
        if (!urgent.isEmpty() && drainerQueued.compareAndSet(false, true)) {
            try {
                executor.execute(drainer);
            } catch (RejectedExecutionException e) {
                drainerQueued.set(false);
            }
        }
    }

    private void runUrgent(int max) {
        for (int i = 0; i < max; i++) {
            Runnable next = urgent.poll();
            if (next == null) {
                return;
            }
            urgentQueued.decrementAndGet();
            next.run(); // guarded when queued
        }
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
