package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.sim.check.History;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Samples every node every {@code pollIntervalMs}: its status (role, term, leader, durable vector, rejected changes),
 * from which come the status samples, the replication lag and the catch-up after heals, and its new consensus events
 * ({@link ConsensusReader}). Notices a process that exited without being told to. The rounds are kept here (only the
 * poller's thread adds to them) and read once the poller has stopped.
 */
final class LivePoller {
    static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);

    /** One status round: every node's sample, taken at the same run time. */
    record Round(long atMs, List<LiveRecords.StatusSample> samples) {
    }

    private final LiveConfig config;
    private final LiveCluster cluster;
    private final LiveRecorder recorder;
    private final Map<Integer, String> actors;
    private final Map<Integer, Long> processStartMs;
    private final Map<String, String> nameById;
    private final List<ConsensusReader> consensus;
    private final LiveProgress progress;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "live-poller");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Round> rounds = new ArrayList<>();
    private final Map<String, Long> rejectedByIncarnation = new TreeMap<>();
    private final Set<Process> reportedDead = ConcurrentHashMap.newKeySet();
    /** Names of the nodes that hold the agent's state: a witness's empty vector is no lag. */
    private final Set<String> stateNodes;

    /**
     * @param actors         each node's actor (hex), filled in as the statuses tell it
     * @param processStartMs when each node's current process was launched (run time), set by the fault driver
     * @param consensus      one reader per node, in node order
     */
    LivePoller(LiveConfig config, LiveCluster cluster, LiveRecorder recorder, Map<Integer, String> actors,
               Map<Integer, Long> processStartMs, Map<String, String> nameById, List<ConsensusReader> consensus,
               LiveProgress progress) {
        this.config = config;
        this.cluster = cluster;
        this.recorder = recorder;
        this.actors = actors;
        this.processStartMs = processStartMs;
        this.nameById = nameById;
        this.consensus = List.copyOf(consensus);
        this.progress = progress;
        this.stateNodes = stateNodeNames(cluster);
    }

    /** Names of the cluster's nodes that hold state ({@link LiveCluster.Node#holdsState()}). */
    static Set<String> stateNodeNames(LiveCluster cluster) {
        return cluster.stateNodes().stream().map(LiveCluster.Node::name).collect(Collectors.toUnmodifiableSet());
    }

    void start() {
        thread.scheduleAtFixedRate(this::round, 0, config.pollIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /** Stops after the round under way; afterwards {@link #rounds()} and {@link #rejected()} are final. */
    void stop() throws InterruptedException {
        thread.shutdown();
        thread.awaitTermination(10, TimeUnit.SECONDS);
        requests.shutdown();
    }

    void abort() {
        thread.shutdownNow();
        requests.shutdownNow();
    }

    /** The status rounds, oldest first (after {@link #stop()}). */
    List<Round> rounds() {
        return List.copyOf(rounds);
    }

    /** Changes each node rejected, summed over its processes (each process counts from zero). */
    Map<String, Long> rejected() {
        Map<String, Long> out = new TreeMap<>();
        rejectedByIncarnation.forEach((k, v) -> out.merge(k.substring(0, k.indexOf('#')), v, Long::sum));
        return out;
    }

    private void round() {
        try {
            long at = recorder.now();
            List<CompletableFuture<LiveRecords.StatusSample>> futures = new ArrayList<>();
            for (int i = 0; i < cluster.nodes().size(); i++) {
                int node = i;
                futures.add(CompletableFuture.supplyAsync(() -> sample(node, at), requests));
            }
            List<LiveRecords.StatusSample> samples = new ArrayList<>();
            for (CompletableFuture<LiveRecords.StatusSample> f : futures) {
                samples.add(f.get(POLL_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS));
            }
            List<Long> lag = lag(samples, stateNodes);
            for (LiveRecords.StatusSample s : samples) {
                if (s.up()) {
                    rejectedByIncarnation.merge(s.node() + "#" + s.incarnationStart(), s.rejected(), Math::max);
                }
            }
            rounds.add(new Round(at, samples));
            recorder.record(h -> {
                samples.forEach(s -> h.record(LiveRecords.StatusSample.class, s));
                h.lag(new History.LagSample(at, lag));
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            progress.say("status round failed: " + e);
        }
    }

    private LiveRecords.StatusSample sample(int node, long at) {
        LiveCluster.Node nd = cluster.node(node);
        long incarnation = processStartMs.getOrDefault(node, 0L);
        Process p = nd.process().orElse(null);
        if (p != null && !p.isAlive() && !nd.expectedDown() && reportedDead.add(p)) {
            String detail = "the process exited by itself (exit " + p.exitValue() + "); log tail: "
                    + LiveCluster.tail(nd.log(), 5).replace('\n', ' ');
            recorder.record(h -> {
                h.problem(new History.Problem(at, nd.name(), "process-exit", detail));
                h.nodeEvent(at, nd.name(), History.NodeEventKind.FATAL, detail);
            });
        }
        if (!nd.alive()) {
            return down(nd, at, incarnation);
        }
        try {
            consensus.get(node).read();
            NodeClient.Response r = nd.client().get("/v1/status", POLL_TIMEOUT);
            if (!r.ok()) {
                return down(nd, at, incarnation);
            }
            JsonNode b = r.body();
            JsonNode c = b.path("consensus");
            Map<String, Long> vector = new TreeMap<>();
            b.path("vector").fields().forEachRemaining(e -> vector.put(e.getKey(), e.getValue().asLong()));
            if (b.hasNonNull("actor")) {
                actors.put(node, b.get("actor").asText());
            }
            Set<String> down = new TreeSet<>();
            for (JsonNode peer : b.path("peers")) {
                if (!"up".equals(peer.path("link").asText())) {
                    String id = peer.path("node").asText();
                    down.add(nameById.getOrDefault(id, id));
                }
            }
            if (!down.isEmpty()) {
                LiveRecords.LinksDown links = new LiveRecords.LinksDown(at, recorder.now(), nd.name(), down);
                recorder.record(h -> h.record(LiveRecords.LinksDown.class, links));
            }
            String leaderId = c.hasNonNull("leader") ? c.get("leader").asText() : null;
            String leader = leaderId == null ? null : nameById.getOrDefault(leaderId, leaderId);
            return new LiveRecords.StatusSample(at, nd.name(), true, c.hasNonNull("role") ? c.get("role").asText()
                    : null, leader, c.path("term").asLong(-1), b.path("changes").asLong(), vector,
                    b.path("replication").path("rejected").asLong(), c.path("completed").asLong(),
                    c.path("pending").asInt(), c.path("inFlight").asInt(), incarnation,
                    c.path("appliedIndex").asLong(-1));
        } catch (IOException e) {
            return down(nd, at, incarnation);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return down(nd, at, incarnation);
        }
    }

    private static LiveRecords.StatusSample down(LiveCluster.Node nd, long at, long incarnation) {
        return new LiveRecords.StatusSample(at, nd.name(), false, null, null, -1, -1, Map.of(), 0, 0, 0, 0,
                incarnation, -1);
    }

    /**
     * Per node: changes it lacks that some answering node holds; -1 when it did not answer, 0 for a node that holds
     * no state (a witness, as in the simulator).
     */
    private static List<Long> lag(List<LiveRecords.StatusSample> samples, Set<String> stateNodes) {
        Map<String, Long> union = union(samples, stateNodes);
        List<Long> out = new ArrayList<>();
        for (LiveRecords.StatusSample s : samples) {
            out.add(!s.up() ? -1L : stateNodes.contains(s.node()) ? behind(s.vector(), union) : 0L);
        }
        return out;
    }

    /** Highest durable seq per actor over the answering nodes that hold state. */
    static Map<String, Long> union(List<LiveRecords.StatusSample> samples, Set<String> stateNodes) {
        Map<String, Long> union = new HashMap<>();
        for (LiveRecords.StatusSample s : samples) {
            if (s.up() && stateNodes.contains(s.node())) {
                s.vector().forEach((a, q) -> union.merge(a, q, Math::max));
            }
        }
        return union;
    }

    static long behind(Map<String, Long> mine, Map<String, Long> target) {
        long lag = 0;
        for (Map.Entry<String, Long> e : target.entrySet()) {
            lag += Math.max(0, e.getValue() - mine.getOrDefault(e.getKey(), 0L));
        }
        return lag;
    }
}
