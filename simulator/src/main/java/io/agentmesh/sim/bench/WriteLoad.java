package io.agentmesh.sim.bench;

import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.sim.live.LiveFigures;
import io.agentmesh.sim.live.NodeClient;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A steady write load for {@code bench failover --load}: {@code POST /v1/memory} at a fixed rate, round-robin over
 * the nodes that are up and hold state (never a witness), each write on its own virtual thread. Open loop: a slow node does not slow the rate, so the
 * write path stays busy through a failover as a client's would; at most {@value #MAX_OUTSTANDING} writes are in
 * flight, and a tick that finds them all busy is counted, not queued.
 */
final class WriteLoad implements AutoCloseable {
    static final int MAX_WRITES_PER_SECOND = 5000;
    private static final int MAX_OUTSTANDING = 512;
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

    private final LiveCluster cluster;
    private final int perSecond;
    private final Set<Integer> paused = ConcurrentHashMap.newKeySet();
    private final Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong noAnswer = new AtomicLong();
    private final AtomicLong notSent = new AtomicLong();
    private final AtomicReference<String> lastRefusal = new AtomicReference<>();
    private final List<Long> ackMicros = Collections.synchronizedList(new ArrayList<>());
    private final ScheduledExecutorService ticker;
    private final long startNanos;
    /** Round-robin position; only the ticker thread touches it. */
    private int next;
    private Map<String, Object> figures;

    private WriteLoad(LiveCluster cluster, int perSecond) {
        this.cluster = cluster;
        this.perSecond = perSecond;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "write-load");
            t.setDaemon(true);
            return t;
        });
        this.startNanos = System.nanoTime();
    }

    /** Starts writing {@code perSecond} memory entries a second to the cluster's nodes. */
    static WriteLoad start(LiveCluster cluster, int perSecond) {
        if (perSecond < 1 || perSecond > MAX_WRITES_PER_SECOND) {
            throw new IllegalArgumentException("writes per second must be 1.." + MAX_WRITES_PER_SECOND + ", got "
                    + perSecond);
        }
        WriteLoad w = new WriteLoad(cluster, perSecond);
        long periodMicros = 1_000_000L / perSecond;
        w.ticker.scheduleAtFixedRate(w::tick, 0, periodMicros, TimeUnit.MICROSECONDS);
        return w;
    }

    /** Sends no more writes to node {@code i} (it is about to be killed) until {@link #resume}. */
    void pause(int i) {
        paused.add(i);
    }

    void resume(int i) {
        paused.remove(i);
    }

    private void tick() {
        List<LiveCluster.Node> candidates = cluster.stateNodes();
        int n = candidates.size();
        LiveCluster.Node target = null;
        for (int k = 0; k < n && target == null; k++) {
            int i = (next + k) % n;
            LiveCluster.Node nd = candidates.get(i);
            if (!paused.contains(nd.index()) && nd.alive()) {
                target = nd;
                next = i + 1;
            }
        }
        if (target == null || !outstanding.tryAcquire()) {
            notSent.incrementAndGet();
            return;
        }
        long seq = sent.incrementAndGet();
        LiveCluster.Node to = target;
        Thread.ofVirtual().start(() -> {
            try {
                write(to, seq);
            } finally {
                outstanding.release();
            }
        });
    }

    private void write(LiveCluster.Node to, long seq) {
        long t0 = System.nanoTime();
        try {
            NodeClient.Response r = to.client().post("/v1/memory", Map.of("text", "bench load write " + seq,
                    "kind", "note", "tags", List.of("bench-load")), WRITE_TIMEOUT);
            if (r.status() == 201) {
                acknowledged.incrementAndGet();
                ackMicros.add((System.nanoTime() - t0) / 1000);
            } else {
                refused.incrementAndGet();
                lastRefusal.set(to.name() + ": HTTP " + r.status() + " " + r.body());
            }
        } catch (IOException e) {
            noAnswer.incrementAndGet();
        } catch (InterruptedException e) {
            noAnswer.incrementAndGet();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops writing, waits (bounded) for the writes in flight, and returns what the load did. */
    Map<String, Object> stop() throws InterruptedException {
        if (figures != null) {
            return figures;
        }
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        if (outstanding.tryAcquire(MAX_OUTSTANDING, WRITE_TIMEOUT.toSeconds() + 2, TimeUnit.SECONDS)) {
            outstanding.release(MAX_OUTSTANDING);
        }
        List<Long> lat;
        synchronized (ackMicros) {
            lat = new ArrayList<>(ackMicros);
        }
        Collections.sort(lat);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("writesPerSecondAsked", perSecond);
        m.put("seconds", Math.round(seconds * 10) / 10.0);
        m.put("sent", sent.get());
        m.put("acknowledged", acknowledged.get());
        m.put("acknowledgedPerSecond", Math.round(acknowledged.get() / seconds * 10) / 10.0);
        m.put("refused", refused.get());
        m.put("lastRefusal", lastRefusal.get());
        m.put("noAnswer", noAnswer.get());
        m.put("notSent", notSent.get());
        m.put("ackP50Ms", microsAsMs(LiveFigures.percentile(lat, 0.50)));
        m.put("ackP99Ms", microsAsMs(LiveFigures.percentile(lat, 0.99)));
        m.put("ackMaxMs", microsAsMs(lat.isEmpty() ? -1 : lat.getLast()));
        figures = m;
        return m;
    }

    private static double microsAsMs(long micros) {
        return micros < 0 ? -1 : Math.round(micros / 100.0) / 10.0;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
