package io.agentmesh.node.backup.format;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs a per-item check over a list on a bounded pool, in batches, and hands back the results in the list's order.
 * Checking every change's signature one at a time was 80% of a restore's time (docs/benchmarks.md, "Drill recovery
 * time"); the checks are independent, so they spread over the cores.
 *
 * <p>Why results are taken in order: a backup with several bad changes must name the same one every time, the first
 * in the list, as the one-thread reader did. Each batch checks its items in order and stops at its first failure;
 * batches are joined oldest first, so the failure thrown is the first item's that fails. At most {@link #inFlight}
 * batches exist at once (the work queue is bounded to that), so memory stays bounded however long the list.
 */
final class ParallelChecks implements AutoCloseable {
    /** Small enough to spread 2 segments over many cores, large enough that handing off costs little. */
    static final int BATCH_ITEMS = 512;

    private final ThreadPoolExecutor pool;
    private final int inFlight;

    /** A pool of {@code threads} daemon threads, for one reader's verification; {@link #close} ends it. */
    ParallelChecks(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("verification needs at least one thread, got " + threads);
        }
        this.inFlight = 2 * threads;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(inFlight), r -> {
                    Thread t = new Thread(r, "backup-verify-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** One per available processor. */
    static ParallelChecks forThisMachine() {
        return new ParallelChecks(Runtime.getRuntime().availableProcessors());
    }

    /**
     * {@code check} applied to every item of {@code items}, in order. The first item (in list order) whose check
     * throws has its exception rethrown here (a {@link RuntimeException} or {@link Error}, unwrapped); no result is
     * returned then, and batches still queued are cancelled.
     */
    <T, R> List<R> map(List<T> items, Function<T, R> check) {
        List<R> out = new ArrayList<>(items.size());
        ArrayDeque<Future<List<R>>> pending = new ArrayDeque<>(inFlight);
        try {
            for (int from = 0; from < items.size(); from += BATCH_ITEMS) {
                if (pending.size() == inFlight) {
                    out.addAll(join(pending.removeFirst()));
                }
                List<T> batch = items.subList(from, Math.min(items.size(), from + BATCH_ITEMS));
                pending.addLast(pool.submit(() -> {
                    List<R> rs = new ArrayList<>(batch.size());
                    for (T t : batch) {
                        rs.add(check.apply(t));
                    }
                    return rs;
                }));
            }
            while (!pending.isEmpty()) {
                out.addAll(join(pending.removeFirst()));
            }
            return out;
        } finally {
            pending.forEach(f -> f.cancel(true));
        }
    }

    private static <R> List<R> join(Future<List<R>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("verification was interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
