package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.sim.live.LiveFigures;
import io.agentmesh.sim.live.NodeClient;
import io.agentmesh.sim.live.NodeHeap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code agentmesh bench failover}: leader failover on real processes, and actions per second through the journal.
 *
 * <p>Per cluster size, each round finds the leader (every running node agrees on it and its term), kills it with
 * kill -9, submits a job intent at a surviving node right after the kill, and measures from the kill to (a) the
 * new leader's performed.jsonl line for that intent (its wall-clock time: same machine, same clock) and (b) the
 * outcome being visible through the surviving node's API. Then it restarts the killed node, waits until it follows
 * the current leader, and lets the cluster settle before the next round.
 *
 * <p>Throughput: N job intents submitted as fast as 16 concurrent clients can, spread over the nodes, timed until
 * every outcome is visible on one node.
 */
@Command(name = "failover", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures leader failover on real node processes on loopback: kill -9 the leader, time until"
                + " the new leader has performed the next pending action. Also measures actions per second through"
                + " the action journal. Prints JSON."},
        footer = {"", "Example:", "  agentmesh bench failover --sizes 3,5 --kills 30"})
public final class FailoverBenchmark implements Callable<Integer> {
    /** Reads performed.jsonl lines. */
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--sizes", defaultValue = "3,5", split = ",", description = "Cluster sizes (default"
            + " ${DEFAULT-VALUE}).")
    List<Integer> sizes;

    @Option(names = "--kills", defaultValue = "30", description = "Leader kills per size (default ${DEFAULT-VALUE}).")
    int kills;

    @Option(names = "--actions", defaultValue = "500", description = "Intents for the throughput measurement, per"
            + " size; 0 skips it (default ${DEFAULT-VALUE}).")
    int actions;

    @Option(names = "--settle", defaultValue = "1000", description = "Pause (ms) after the restarted node has"
            + " rejoined, before the next kill (default ${DEFAULT-VALUE}).")
    long settleMs;

    @Mixin
    NodeHeap heap;

    @Mixin
    BenchOptions.Seed seed;

    @Mixin
    BenchOptions.Output output;

    @Option(names = "--verbose", description = "Print one line per round on stderr.")
    boolean verbose;

    @Option(names = "--keep", description = "Keep each cluster's directory (node logs, stores, performed.jsonl)"
            + " under this directory as failover-<size>.")
    Path keep;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("what", "from kill -9 of the leader to the new leader performing the next pending action"
                + " (its performed.jsonl line), and to its outcome being visible at a surviving node");
        parameters.put("sizes", sizes);
        parameters.put("kills", kills);
        parameters.put("actions", actions);
        parameters.put("settleMs", settleMs);
        parameters.put("heap", heap.value());
        parameters.put("seed", seed.value());
        List<Map<String, Object>> bySize = new ArrayList<>();
        for (int size : sizes) {
            bySize.add(measure(size, verbose ? err : null));
        }
        output.print(new BenchResult("failover", machine, parameters, Map.of("sizes", bySize)));
        return 0;
    }

    private void log(PrintWriter p, String line) {
        if (p != null) {
            p.println(line);
            p.flush();
        }
    }

    Map<String, Object> measure(int size, PrintWriter progress) throws Exception {
        List<String> jvm = List.of(heap.jvmOption(), "-XX:+UseSerialGC");
        LiveCluster.Options options = LiveCluster.Options.of(size, 0).withJvmArgs(jvm);
        if (keep != null) {
            options = options.withDir(keep.resolve("failover-" + size), true);
        }
        Random rnd = new Random(seed.value() + size);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("nodes", size);
        log(progress, "failover: starting " + size + " nodes");
        try (LiveCluster c = LiveCluster.start(options)) {
            // Warm-up: a leader, and the JIT on the action path.
            for (int i = 0; i < 20; i++) {
                String id = submit(c, i % size, "warmup", i);
                awaitOutcome(c, i % size, id, Duration.ofSeconds(60));
            }
            List<Long> performed = new ArrayList<>();
            List<Long> visible = new ArrayList<>();
            List<Map<String, Object>> rounds = new ArrayList<>();
            int failed = 0;
            int notPerformed = 0;
            double maxLoad = load();
            out.put("loadAverageAtStart", round1(load()));
            for (int k = 0; k < kills; k++) {
                Leader leader = awaitAgreedLeader(c, Duration.ofSeconds(30));
                List<Integer> survivors = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    if (i != leader.index()) {
                        survivors.add(i);
                    }
                }
                int survivor = survivors.get(rnd.nextInt(survivors.size()));
                long killWall = System.currentTimeMillis();
                long killNanos = System.nanoTime();
                c.node(leader.index()).process().orElseThrow().destroyForcibly();
                Map<String, Object> round = new LinkedHashMap<>();
                round.put("round", k + 1);
                round.put("killed", c.node(leader.index()).name());
                round.put("term", leader.term());
                try {
                    String id = submit(c, survivor, "failover", k);
                    long submittedMs = (System.nanoTime() - killNanos) / 1_000_000;
                    round.put("intent", id);
                    round.put("submittedTo", c.node(survivor).name());
                    round.put("submittedAfterMs", submittedMs);
                    Outcome o = awaitPerformed(c, survivor, id, leader.index(), killNanos, Duration.ofSeconds(30));
                    long vis = (o.visibleNanos() - killNanos) / 1_000_000;
                    visible.add(vis);
                    round.put("visibleAfterMs", vis);
                    round.put("outcome", o.status());
                    if (o.performedWallMillis() >= 0) {
                        long perf = o.performedWallMillis() - killWall;
                        performed.add(perf);
                        round.put("performedAfterMs", perf);
                        round.put("newLeader", o.performer());
                        round.put("newTerm", o.term());
                    } else {
                        notPerformed++;
                        round.put("result", o.result());
                    }
                    log(progress, String.format(Locale.ROOT, "  %d nodes round %2d: killed %s (term %d) -> %s"
                                    + " term %d %s, outcome %s visible after %d ms (load %.1f)", size, k + 1,
                            c.node(leader.index()).name(), leader.term(), o.performer(), o.term(),
                            o.performedWallMillis() >= 0 ? "performed after " + (o.performedWallMillis() - killWall)
                                    + " ms" : "NOT performed (" + o.result() + ")", o.status(), vis, load()));
                } catch (IOException | IllegalStateException e) {
                    failed++;
                    round.put("error", e.getMessage());
                    log(progress, "  round " + (k + 1) + " failed: " + e.getMessage());
                }
                maxLoad = Math.max(maxLoad, load());
                rounds.add(round);
                c.kill9(leader.index()); // waits for the exit
                c.restart(leader.index());
                awaitFollowing(c, leader.index(), Duration.ofSeconds(30));
                Thread.sleep(settleMs);
            }
            out.put("kills", kills);
            out.put("failedRounds", failed);
            out.put("outcomeWithoutPerformance", notPerformed);
            out.put("maxLoadAverage", round1(maxLoad));
            out.put("performedAfterKillMs", stats(performed));
            out.put("outcomeVisibleAfterKillMs", stats(visible));
            if (actions > 0) {
                out.put("throughput", throughput(c, size, progress));
            }
            out.put("rounds", rounds);
        }
        return out;
    }

    static Map<String, Object> stats(List<Long> values) {
        List<Long> s = new ArrayList<>(values);
        Collections.sort(s);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", s.size());
        m.put("min", s.isEmpty() ? -1 : s.getFirst());
        m.put("p50", LiveFigures.percentile(s, 0.50));
        m.put("p90", LiveFigures.percentile(s, 0.90));
        m.put("p99", LiveFigures.percentile(s, 0.99));
        m.put("max", s.isEmpty() ? -1 : s.getLast());
        m.put("mean", s.isEmpty() ? -1 : Math.round(s.stream().mapToLong(Long::longValue).average().orElse(0)));
        return m;
    }

    private record Leader(int index, long term) {
    }

    /** performedWallMillis -1: the outcome says the job was not run (e.g. reconciled as uncertain). */
    private record Outcome(long performedWallMillis, long visibleNanos, String performer, long term, String status,
                           String result) {
    }

    /** The system load average (1 min), -1 when unknown: the machine is shared, so the figures say how busy. */
    static double load() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** The leader every running node names, with one term; waits until they agree. */
    private static Leader awaitAgreedLeader(LiveCluster c, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Set<String> leaders = new HashSet<>();
            Set<Long> terms = new HashSet<>();
            int selfLeader = -1;
            boolean all = true;
            for (LiveCluster.Node n : c.nodes()) {
                JsonNode s = status(n);
                if (s == null) {
                    all = false;
                    break;
                }
                JsonNode cons = s.path("consensus");
                leaders.add(cons.path("leader").asText(""));
                terms.add(cons.path("term").asLong());
                if ("leader".equals(cons.path("role").asText())) {
                    selfLeader = n.index();
                }
            }
            if (all && selfLeader >= 0 && leaders.size() == 1 && terms.size() == 1
                    && c.node(selfLeader).id().toString().equals(leaders.iterator().next())) {
                return new Leader(selfLeader, terms.iterator().next());
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the nodes did not agree on a leader within " + timeout.toSeconds() + " s");
    }

    /** Waits until the restarted node {@code i} and all the others name the same leader and term. */
    private static void awaitFollowing(LiveCluster c, int i, Duration timeout) throws Exception {
        try {
            awaitAgreedLeader(c, timeout);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(c.node(i).name() + " did not rejoin within " + timeout.toSeconds() + " s");
        }
    }

    private static JsonNode status(LiveCluster.Node n) {
        try {
            NodeClient.Response r = n.client().get("/v1/status", TIMEOUT);
            return r.ok() ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String submit(LiveCluster c, int node, String tag, long seq) throws IOException,
            InterruptedException {
        NodeClient.Response r = c.node(node).client().post("/v1/intents", Map.of("kind", "job", "payload",
                Map.of("bench", tag, "seq", seq)), TIMEOUT);
        if (r.status() != 201) {
            throw new IOException("intent refused by " + c.node(node).name() + ": HTTP " + r.status() + " " + r.body());
        }
        return r.body().get("id").asText();
    }

    private static boolean hasOutcome(LiveCluster c, int node, String id) throws IOException, InterruptedException {
        NodeClient.Response r = c.node(node).client().get("/v1/intents/" + id, TIMEOUT);
        return r.ok() && r.body().hasNonNull("outcome");
    }

    private static void awaitOutcome(LiveCluster c, int node, String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (hasOutcome(c, node, id)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("intent " + id + " got no outcome within " + timeout.toSeconds() + " s");
    }

    /**
     * Watches every surviving node's performed.jsonl for {@code id} and the surviving node's API for its outcome;
     * returns when both are seen, or 3 s after an outcome other than "succeeded" with no line (then the job was not
     * run: a reconciled claim).
     */
    private static Outcome awaitPerformed(LiveCluster c, int survivor, String id, int killed, long killNanos,
                                          Duration timeout) throws Exception {
        long deadline = killNanos + timeout.toNanos();
        long performedWall = -1;
        String performer = null;
        long term = -1;
        long visible = -1;
        JsonNode outcome = null;
        Map<Integer, Long> sizes = new LinkedHashMap<>();
        long lastApi = 0;
        while (System.nanoTime() < deadline) {
            if (performedWall < 0) {
                for (LiveCluster.Node n : c.nodes()) {
                    if (n.index() == killed) {
                        continue;
                    }
                    Path f = n.performedFile();
                    long len = Files.exists(f) ? Files.size(f) : 0;
                    if (len == 0 || len == sizes.getOrDefault(n.index(), -1L)) {
                        continue;
                    }
                    sizes.put(n.index(), len);
                    Optional<String> line = Files.readAllLines(f, StandardCharsets.UTF_8).reversed().stream()
                            .filter(l -> l.contains(id)).findFirst();
                    if (line.isPresent()) {
                        JsonNode j = JSON.readTree(line.get());
                        performedWall = j.path("timeMillis").asLong();
                        performer = n.name();
                        term = j.path("term").asLong();
                    }
                }
            }
            long now = System.nanoTime();
            if (visible < 0 && now - lastApi >= 10_000_000L) {
                lastApi = now;
                NodeClient.Response r = c.node(survivor).client().get("/v1/intents/" + id, TIMEOUT);
                if (r.ok() && r.body().hasNonNull("outcome")) {
                    visible = System.nanoTime();
                    outcome = r.body().get("outcome");
                }
            }
            if (performedWall >= 0 && visible >= 0) {
                return new Outcome(performedWall, visible, performer, term, outcome.path("status").asText(),
                        outcome.path("result").asText());
            }
            if (visible >= 0 && !"succeeded".equals(outcome.path("status").asText())
                    && System.nanoTime() - visible > 3_000_000_000L) {
                String by = outcome.path("performedBy").asText();
                return new Outcome(-1, visible, c.byId(by).map(LiveCluster.Node::name).orElse(by),
                        outcome.path("term").asLong(), outcome.path("status").asText(),
                        outcome.path("result").asText());
            }
            Thread.sleep(2);
        }
        JsonNode st = status(c.node(survivor));
        throw new IllegalStateException("intent " + id + " not performed and visible within " + timeout.toSeconds()
                + " s of the kill (line found: " + (performedWall >= 0) + ", outcome: " + outcome + "); "
                + c.node(survivor).name() + " status consensus: " + (st == null ? "no answer" : st.path("consensus")));
    }

    private Map<String, Object> throughput(LiveCluster c, int size, PrintWriter progress) throws Exception {
        awaitAgreedLeader(c, Duration.ofSeconds(30));
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < actions; i++) {
                int node = i % size;
                int seq = i;
                futures.add(pool.submit(() -> {
                    ids.add(submit(c, node, "throughput", seq));
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        long submitted = System.nanoTime();
        Set<String> want = new HashSet<>(ids);
        long done = -1;
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            NodeClient.Response r = c.node(0).client().get("/v1/state", Duration.ofSeconds(30));
            if (r.ok()) {
                Set<String> have = new HashSet<>();
                r.body().path("outcomes").forEach(o -> have.add(o.path("intentId").asText()));
                if (have.containsAll(want)) {
                    done = System.nanoTime();
                    break;
                }
            }
            Thread.sleep(50);
        }
        if (done < 0) {
            throw new IllegalStateException("not every throughput intent got an outcome within 5 minutes");
        }
        double secs = (done - t0) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("actions", actions);
        m.put("clients", 16);
        m.put("submitSeconds", Math.round((submitted - t0) / 1e6) / 1000.0);
        m.put("allOutcomesVisibleSeconds", Math.round(secs * 1000) / 1000.0);
        m.put("actionsPerSecond", Math.round(actions / secs * 10) / 10.0);
        log(progress, String.format(Locale.ROOT, "  %d nodes: %d actions in %.2f s = %.1f actions/s", size, actions,
                secs, actions / secs));
        return m;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FailoverBenchmark()).execute(args));
    }
}
