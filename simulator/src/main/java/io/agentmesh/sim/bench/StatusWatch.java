package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.sim.live.LiveCluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * Polls the consensus status of some nodes, each on its own virtual thread, until one of them reports what the
 * condition asks for (a new leader named, the old leader no longer leading). One slow node does not delay the
 * others' polls.
 *
 * <p>The time kept is when the answer that first met the condition arrived, so it is an upper bound: the change
 * happened at the node after its previous answer was sent (at most one poll interval plus one request earlier).
 */
final class StatusWatch implements AutoCloseable {
    /** What was seen first: by which node, how long after the start, and its consensus block. */
    record Seen(String node, long afterMs, JsonNode consensus) {
    }

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);

    private final long sinceNanos;
    private final AtomicReference<Seen> first = new AtomicReference<>();
    private final CountDownLatch seen = new CountDownLatch(1);
    private final List<Thread> pollers = new ArrayList<>();
    private volatile boolean stopped;

    private StatusWatch(long sinceNanos) {
        this.sinceNanos = sinceNanos;
    }

    /**
     * Starts polling {@code nodes} every {@code pollMs}; times are measured from {@code sinceNanos}
     * ({@link System#nanoTime()}).
     */
    static StatusWatch start(List<LiveCluster.Node> nodes, long sinceNanos, long pollMs, Predicate<JsonNode> condition) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a status watch needs at least one node");
        }
        StatusWatch w = new StatusWatch(sinceNanos);
        for (LiveCluster.Node n : nodes) {
            w.pollers.add(Thread.ofVirtual().name("status-watch-" + n.name()).start(() -> w.poll(n, pollMs, condition)));
        }
        return w;
    }

    private void poll(LiveCluster.Node n, long pollMs, Predicate<JsonNode> condition) {
        while (!stopped && first.get() == null) {
            JsonNode cons = ClusterLeader.consensus(n, REQUEST_TIMEOUT);
            long at = System.nanoTime();
            if (cons != null && condition.test(cons)) {
                if (first.compareAndSet(null, new Seen(n.name(), (at - sinceNanos) / 1_000_000, cons))) {
                    seen.countDown();
                }
                return;
            }
            try {
                Thread.sleep(pollMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Waits until the condition was seen or {@code deadlineNanos} ({@link System#nanoTime()}) passed. */
    Optional<Seen> await(long deadlineNanos) throws InterruptedException {
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            seen.await(left, TimeUnit.NANOSECONDS);
        }
        return Optional.ofNullable(first.get());
    }

    /** What was seen first, if anything yet. */
    Optional<Seen> first() {
        return Optional.ofNullable(first.get());
    }

    @Override
    public void close() {
        stopped = true;
        pollers.forEach(Thread::interrupt);
    }
}
