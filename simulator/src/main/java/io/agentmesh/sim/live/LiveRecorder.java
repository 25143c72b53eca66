package io.agentmesh.sim.live;

import io.agentmesh.sim.check.History;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one owner of a live run's {@link History}: the workload, the poller and the fault driver hand it what they
 * learned, and its single thread writes that into the History in the order it was handed over, so none of them needs
 * a lock on it. {@link #finish()} stops the thread and hands the History to the caller, who reads it alone from then
 * on.
 *
 * <p>Also the run's clock: milliseconds since the run started, from the harness's monotonic clock.
 */
final class LiveRecorder {
    /** Plenty for the workload's rate; a full queue makes the caller wait rather than grow without bound. */
    private static final int MAX_QUEUED = 100_000;

    private final History history;
    private final long t0Nanos;
    private final ThreadPoolExecutor thread;

    LiveRecorder(History history) {
        this.history = history;
        this.t0Nanos = System.nanoTime();
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(MAX_QUEUED),
                r -> {
                    Thread t = new Thread(r, "live-recorder");
                    t.setDaemon(true);
                    return t;
                }, (r, executor) -> {
                    if (executor.isShutdown()) {
                        throw new RejectedExecutionException("the run's history is closed");
                    }
                    try {
                        executor.getQueue().put(r);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new RejectedExecutionException("interrupted while waiting to record", e);
                    }
                });
    }

    /** Milliseconds since the run started. */
    long now() {
        return (System.nanoTime() - t0Nanos) / 1_000_000;
    }

    /** Hands {@code change} to the recorder thread; it runs after everything handed over before it. */
    void record(Consumer<History> change) {
        try {
            thread.execute(() -> change.accept(history));
        } catch (RejectedExecutionException e) {
            // Late news from a request that outlived the run (it was given up on): nothing more is recorded.
        }
    }

    /** Records everything handed over so far, stops, and returns the History, which the caller now owns. */
    History finish() throws InterruptedException {
        thread.shutdown();
        if (!thread.awaitTermination(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the recorder did not drain its queue within 60 s");
        }
        return history;
    }
}
