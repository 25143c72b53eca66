package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.sim.check.History;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The workload of a live run through the nodes' HTTP API: memory writes and job intents at random running nodes that
 * hold state (never a witness), at the configured rates, and every {@value #READ_EVERY_MS} ms a read of a node's own
 * earlier writes. The node is picked with a generator seeded from the run's seed (only the ticker thread uses it);
 * each request runs on its own virtual thread and hands what became of it to the {@link LiveRecorder}.
 */
final class LiveWorkload {
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(2);
    private static final long READ_EVERY_MS = 2_000;
    private static final int READ_CHECKS = 20;

    private record Acked(String id, long atMs) {
    }

    private final LiveConfig config;
    private final LiveCluster cluster;
    private final LiveRecorder recorder;
    private final Map<Integer, String> actors;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "live-workload");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong writeSeq = new AtomicLong();
    private final AtomicLong intentSeq = new AtomicLong();
    private final Map<Integer, ConcurrentLinkedQueue<Acked>> acked = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Long> writeLatencies = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> acknowledgedIntents = new ConcurrentLinkedQueue<>();
    private volatile boolean on;

    /** {@code actors}: each node's actor (hex) once known; the poller fills it too. */
    LiveWorkload(LiveConfig config, LiveCluster cluster, LiveRecorder recorder, Map<Integer, String> actors) {
        this.config = config;
        this.cluster = cluster;
        this.recorder = recorder;
        this.actors = actors;
        for (LiveCluster.Node node : cluster.nodes()) {
            acked.put(node.index(), new ConcurrentLinkedQueue<>());
        }
    }

    void start() {
        on = true;
        Random choice = new Random(config.seed() * 31 + 7); // only the ticker thread uses it
        if (config.writesPerSecond() > 0) {
            long every = Math.max(1, Math.round(1_000_000 / config.writesPerSecond()));
            ticker.scheduleAtFixedRate(() -> {
                int node = pick(choice);
                long seq = writeSeq.incrementAndGet();
                if (node >= 0 && on) {
                    requests.execute(() -> write(node, seq));
                }
            }, every, every, TimeUnit.MICROSECONDS);
        }
        if (config.intentsPerSecond() > 0) {
            long every = Math.max(1, Math.round(1_000_000 / config.intentsPerSecond()));
            ticker.scheduleAtFixedRate(() -> {
                int node = pick(choice);
                long seq = intentSeq.incrementAndGet();
                if (node >= 0 && on) {
                    requests.execute(() -> intent(node, seq));
                }
            }, every / 2, every, TimeUnit.MICROSECONDS);
        }
        ticker.scheduleAtFixedRate(() -> {
            int node = pick(choice);
            if (node >= 0 && on) {
                requests.execute(() -> read(node));
            }
        }, READ_EVERY_MS, READ_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    /** Stops asking and waits up to {@code waitSeconds} for the requests under way; returns whether they all ended. */
    boolean stop(long waitSeconds) throws InterruptedException {
        on = false;
        ticker.shutdownNow();
        requests.shutdown();
        return requests.awaitTermination(waitSeconds, TimeUnit.SECONDS);
    }

    /** Gives up on whatever still runs. */
    void abort() {
        on = false;
        ticker.shutdownNow();
        requests.shutdownNow();
    }

    /** Ids of the intents a node acknowledged so far. */
    Set<String> acknowledgedIntents() {
        return new HashSet<>(acknowledgedIntents);
    }

    /** Acknowledgement latencies of the memory writes, in ms. */
    List<Long> writeLatencies() {
        return new ArrayList<>(writeLatencies);
    }

    /** A random node that holds state (never a witness) and whose process runs, or -1. */
    private int pick(Random choice) {
        List<LiveCluster.Node> candidates = cluster.stateNodes();
        int n = candidates.size();
        int start = choice.nextInt(n);
        for (int k = 0; k < n; k++) {
            LiveCluster.Node nd = candidates.get((start + k) % n);
            if (nd.alive()) {
                return nd.index();
            }
        }
        return -1;
    }

    private void write(int node, long seq) {
        LiveCluster.Node nd = cluster.node(node);
        String id = "w" + seq;
        String text = "live " + config.seed() + " write " + seq;
        long sent = recorder.now();
        Created c = create(nd, "/v1/memory", Map.of("text", text, "tags", List.of("live")));
        if (c.error() == null) {
            String actor = actorOf(node);
            recorder.record(h -> {
                h.writeInvoked(id, nd.name(), "memory", c.id(), sent);
                acknowledge(h, id, c.atMs(), actor);
            });
            writeLatencies.add(c.atMs() - sent);
            acked.get(node).add(new Acked(c.id(), c.atMs()));
            return;
        }
        recorder.record(h -> {
            h.writeInvoked(id, nd.name(), "memory", "unacknowledged:" + text, sent);
            h.writeFailed(id, c.atMs(), c.error());
        });
    }

    /** What a POST that creates something came to: the new id and when the answer came, or why there is none. */
    private record Created(String id, long atMs, String error) {
    }

    private Created create(LiveCluster.Node nd, String path, Map<String, ?> body) {
        String error;
        try {
            NodeClient.Response r = nd.client().post(path, body, WRITE_TIMEOUT);
            long at = recorder.now();
            if (r.status() == 201 && r.body().hasNonNull("id")) {
                return new Created(r.body().get("id").asText(), at, null);
            }
            error = "HTTP " + r.status() + ": " + r.body();
        } catch (IOException e) {
            error = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        return new Created(null, recorder.now(), error);
    }

    private static void acknowledge(History h, String id, long at, String actor) {
        if (actor != null) {
            // The API does not say which (actor, seq) the entry went into; 0 makes the checker rely on the entry id
            // alone (present in every node's memory), which is the promise to check.
            h.writeAcknowledged(id, at, ActorId.fromHex(actor), 0);
        } else {
            h.writeFailed(id, at, "acknowledged, but the node's actor is unknown");
        }
    }

    private String actorOf(int node) {
        String a = actors.get(node);
        if (a != null) {
            return a;
        }
        try {
            NodeClient.Response r = cluster.node(node).client().get("/v1/status", STATUS_TIMEOUT);
            if (r.ok() && r.body().hasNonNull("actor")) {
                a = r.body().get("actor").asText();
                actors.put(node, a);
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return a;
    }

    /**
     * A job intent; recorded twice: as a request of kind "intent" in the History (what the consensus checkers read,
     * as in a simulated run) and as an {@link LiveRecords.IntentRequest} with its workload number for the report.
     */
    private void intent(int node, long seq) {
        LiveCluster.Node nd = cluster.node(node);
        long sent = recorder.now();
        Map<String, Object> body = Map.of("kind", "job", "payload", Map.of("run", config.seed(), "seq", seq));
        String writeId = "i" + seq;
        Created c = create(nd, "/v1/intents", body);
        if (c.error() == null) {
            String intentId = c.id();
            String actor = actorOf(node);
            acknowledgedIntents.add(intentId);
            recorder.record(h -> {
                h.writeInvoked(writeId, nd.name(), "intent", intentId, sent);
                acknowledge(h, writeId, c.atMs(), actor);
                h.record(LiveRecords.IntentRequest.class, new LiveRecords.IntentRequest(seq, nd.name(), sent,
                        c.atMs(), intentId, null));
            });
            return;
        }
        recorder.record(h -> {
            h.writeInvoked(writeId, nd.name(), "intent", "unacknowledged:" + seq, sent);
            h.writeFailed(writeId, c.atMs(), c.error());
            h.record(LiveRecords.IntentRequest.class, new LiveRecords.IntentRequest(seq, nd.name(), sent, -1, null,
                    c.error()));
        });
    }

    /** Reads the node's memory and checks (by recording) up to 20 entries it acknowledged earlier. */
    private void read(int node) {
        LiveCluster.Node nd = cluster.node(node);
        long sent = recorder.now();
        List<Acked> mine = new ArrayList<>(acked.get(node));
        mine.removeIf(a -> a.atMs() >= sent);
        if (mine.isEmpty()) {
            return;
        }
        Collections.shuffle(mine, new Random(sent));
        List<Acked> checked = mine.subList(0, Math.min(READ_CHECKS, mine.size()));
        try {
            NodeClient.Response r = nd.client().get("/v1/memory?limit=10000", WRITE_TIMEOUT);
            if (!r.ok()) {
                return;
            }
            JsonNode entries = r.body().path("entries");
            if (entries.size() >= 10_000) {
                return; // older entries fall outside the window
            }
            Set<String> ids = new HashSet<>();
            entries.forEach(e -> ids.add(e.path("id").asText()));
            recorder.record(h -> {
                for (Acked a : checked) {
                    h.read(nd.name(), sent, a.id(), ids.contains(a.id()));
                }
            });
        } catch (IOException e) {
            // a node going down mid-read: nothing learned
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
