package io.agentmesh.sim.bench;

import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.sim.live.NodeClient;
import io.agentmesh.sim.live.NodeHeap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
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
 * <p>Per cluster size: the kill rounds ({@link KillRounds}: kill -9 of the leader, until a new leader is named and
 * until it performed the next action), the step-down rounds ({@link StepDownRounds}: the leader cut off from the
 * majority, until it stops leading and until the majority names another leader), then the throughput: N job
 * intents submitted as fast as 16 concurrent clients can, spread over the nodes, timed until every outcome is
 * visible on one node.
 *
 * <p>With {@code --load} the kill and step-down rounds run on a busy machine: a separate process spinning
 * {@code --load-threads} threads ({@link CpuBurner}) and a steady {@code POST /v1/memory} load on the nodes that are
 * up ({@link WriteLoad}), both started after the warm-up and stopped before the throughput measurement.
 *
 * <p>With {@code --witness} the cluster is two servers and a witness (3 nodes, the last enrolled as a witness): the
 * leader killed or cut off is always a server, intents and writes go to the servers only, and the JSON adds what the
 * witness did (never named leader or performer, no performed line, no leader or candidate role in its own events).
 */
@Command(name = "failover", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures leader failover on real node processes on loopback: kill -9 the leader, time until"
                + " a survivor names a new leader and until the new leader has performed the next pending action."
                + " Optionally measures how fast a leader cut off from the majority steps down (--step-down), under"
                + " CPU and write load (--load), and for two servers and a witness (--witness). Also measures"
                + " actions per second through the action journal. Prints JSON."},
        footer = {"", "Examples:", "  agentmesh bench failover --sizes 3,5 --kills 30",
                "  agentmesh bench failover --sizes 3,5 --kills 100 --step-down 30 --actions 0 --load",
                "  agentmesh bench failover --witness --kills 30 --step-down 10 --actions 0"})
public final class FailoverBenchmark implements Callable<Integer> {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** Voters of one Raft group (the first 7 nodes); with fewer than 3 a kill leaves no majority. */
    static final int MIN_SIZE = 3;
    static final int MAX_SIZE = 7;
    static final int DEFAULT_WRITES_PER_SECOND = 200;
    /** How long the load runs before the first round, so the write path is in its steady state. */
    private static final long LOAD_RAMP_MS = 3000;
    static final List<Integer> DEFAULT_SIZES = List.of(3, 5);
    /** Two servers and a witness: the only cluster {@code --witness} measures. */
    static final int WITNESS_SIZE = 3;

    @Option(names = "--sizes", split = ",", paramLabel = "N[,N...]", description = "Cluster sizes, " + MIN_SIZE
            + ".." + MAX_SIZE + " (default 3,5; with --witness only " + WITNESS_SIZE + ").")
    List<Integer> sizes;

    @Option(names = "--witness", description = "Measure two servers and a witness: " + WITNESS_SIZE + " nodes, the"
            + " last enrolled as a witness (votes, holds no state, never leads). Kills and cuts hit the leader, always"
            + " a server; intents and --load writes go to the servers.")
    boolean witness;

    @Option(names = "--kills", defaultValue = "10", description = "Leader kills per size; 0 skips them (default"
            + " ${DEFAULT-VALUE}; the recorded figures use 100).")
    int kills;

    @Option(names = "--step-down", arity = "0..1", defaultValue = "0", fallbackValue = "10", paramLabel = "ROUNDS",
            description = "Rounds per size that cut the leader off from the majority and time its step-down and"
                    + " the new leader (default ${DEFAULT-VALUE}; the option alone: ${FALLBACK-VALUE}).")
    int stepDownRounds;

    @Option(names = "--actions", defaultValue = "500", description = "Intents for the throughput measurement, per"
            + " size; 0 skips it (default ${DEFAULT-VALUE}).")
    int actions;

    @Option(names = "--settle", defaultValue = "1000", description = "Pause (ms) after the cluster has a leader"
            + " again, before the next round (default ${DEFAULT-VALUE}).")
    long settleMs;

    @Mixin
    NodeHeap heap;

    @Option(names = "--load", description = "Run the kill and step-down rounds under load: busy CPU threads in a"
            + " separate process and a steady memory-write load on the nodes that are up.")
    boolean load;

    @Option(names = "--load-threads", paramLabel = "N", description = "With --load: busy threads of the CPU burner,"
            + " 0.." + CpuBurner.MAX_THREADS + " (default: the machine's cores).")
    Integer loadThreads;

    @Option(names = "--load-writes-per-second", paramLabel = "N", description = "With --load: memory writes a second,"
            + " round-robin over the nodes that are up, 0.." + WriteLoad.MAX_WRITES_PER_SECOND + " (default "
            + DEFAULT_WRITES_PER_SECOND + ").")
    Integer loadWritesPerSecond;

    @Mixin
    BenchOptions.Seed seed;

    @Mixin
    BenchOptions.Output output;

    @Mixin
    BenchOptions.Verbose verbose;

    @Option(names = "--keep", description = "Keep each cluster's directory (node logs, stores, performed.jsonl)"
            + " under this directory as failover-<size>.")
    Path keep;

    /** The load of a run, as the options ask for it; null without --load. */
    record Load(int cpuThreads, int writesPerSecond) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cpuBusyThreads", cpuThreads);
            m.put("cpuBurner", "a separate JVM spinning that many threads at normal priority");
            m.put("writesPerSecond", writesPerSecond);
            m.put("writes", "POST /v1/memory round-robin over the nodes that are up, open loop");
            return m;
        }
    }

    /** The cluster sizes to measure: as given, else 3 and 5 ({@value #WITNESS_SIZE} with --witness). */
    List<Integer> sizes() {
        if (sizes != null) {
            return sizes;
        }
        return witness ? List.of(WITNESS_SIZE) : DEFAULT_SIZES;
    }

    /** Witnesses in each cluster: the last node with --witness. */
    int witnesses() {
        return witness ? 1 : 0;
    }

    /** Checks every option before any process starts; a bad one is an IllegalArgumentException (exit status 2). */
    Load validate() {
        if (sizes != null && sizes.isEmpty()) {
            throw new IllegalArgumentException("--sizes needs at least one cluster size");
        }
        if (witness && !sizes().stream().allMatch(n -> n == WITNESS_SIZE)) {
            throw new IllegalArgumentException("--witness measures two servers and a witness, " + WITNESS_SIZE
                    + " nodes: leave --sizes out or give --sizes " + WITNESS_SIZE + ", got --sizes "
                    + String.join(",", sizes().stream().map(String::valueOf).toList()));
        }
        for (int size : sizes()) {
            if (size < MIN_SIZE || size > MAX_SIZE) {
                throw new IllegalArgumentException("--sizes must each be " + MIN_SIZE + ".." + MAX_SIZE
                        + " (a kill must leave a majority of voters), got " + size);
            }
        }
        if (kills < 0 || stepDownRounds < 0 || actions < 0 || settleMs < 0) {
            throw new IllegalArgumentException("--kills, --step-down, --actions and --settle must be >= 0");
        }
        if (!load) {
            if (loadThreads != null || loadWritesPerSecond != null) {
                throw new IllegalArgumentException("--load-threads and --load-writes-per-second apply only with"
                        + " --load");
            }
            return null;
        }
        int threads = loadThreads == null ? Runtime.getRuntime().availableProcessors() : loadThreads;
        int writes = loadWritesPerSecond == null ? DEFAULT_WRITES_PER_SECOND : loadWritesPerSecond;
        if (threads < 0 || threads > CpuBurner.MAX_THREADS) {
            throw new IllegalArgumentException("--load-threads must be 0.." + CpuBurner.MAX_THREADS + ", got "
                    + threads);
        }
        if (writes < 0 || writes > WriteLoad.MAX_WRITES_PER_SECOND) {
            throw new IllegalArgumentException("--load-writes-per-second must be 0.."
                    + WriteLoad.MAX_WRITES_PER_SECOND + ", got " + writes);
        }
        if (threads == 0 && writes == 0) {
            throw new IllegalArgumentException("--load with 0 threads and 0 writes a second adds no load");
        }
        return new Load(threads, writes);
    }

    /** The parameters block of the JSON: everything the run was asked to do. */
    Map<String, Object> parameters(Load l) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("what", "kill rounds: from kill -9 of the leader to a survivor naming a new leader, to the new"
                + " leader performing the next pending action (its performed.jsonl line), and to its outcome being"
                + " visible at a survivor; step-down rounds: from cutting the leader off from the majority to its"
                + " status no longer saying leader, and to a majority node naming another leader");
        parameters.put("sizes", sizes());
        parameters.put("witnesses", witnesses());
        parameters.put("configuration", witness ? "2 servers + 1 witness (the last node, enrolled as a witness)"
                : "every node a voter that holds state");
        parameters.put("roundStartsWhen", "every node names one leader in one term" + (witness ? " and has applied"
                + " the same log index (a server still catching up would be refused the witness's vote)" : ""));
        parameters.put("kills", kills);
        parameters.put("stepDownRounds", stepDownRounds);
        parameters.put("statusPollMs", KillRounds.POLL_MS);
        parameters.put("actions", actions);
        parameters.put("settleMs", settleMs);
        parameters.put("heap", heap.value());
        parameters.put("seed", seed.value());
        parameters.put("load", l == null ? null : l.toJson());
        return parameters;
    }

    @Override
    public Integer call() throws Exception {
        Load l = validate();
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Map<String, Object> parameters = parameters(l);
        List<Map<String, Object>> bySize = new ArrayList<>();
        for (int size : sizes()) {
            bySize.add(measure(size, l, verbose.progress()));
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("sizes", bySize);
        figures.put("machineAtEnd", BenchResult.Machine.probe());
        output.print(new BenchResult("failover", machine, parameters, figures));
        return 0;
    }

    Map<String, Object> measure(int size, Load l, BenchOptions.Progress progress) throws Exception {
        List<String> jvm = List.of(heap.jvmOption(), "-XX:+UseSerialGC");
        LiveCluster.Options options = LiveCluster.Options.of(size, 0).withJvmArgs(jvm).withWitnesses(witnesses());
        if (keep != null) {
            options = options.withDir(keep.resolve("failover-" + size + (witness ? "-witness" : "")), true);
        }
        Random rnd = new Random(seed.value() + size);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("nodes", size);
        out.put("servers", size - witnesses());
        out.put("witnesses", witnesses());
        progress.say("failover: starting " + size + " nodes" + (witness ? " (" + (size - witnesses())
                + " servers and a witness)" : ""));
        try (LiveCluster c = LiveCluster.start(options)) {
            List<LiveCluster.Node> servers = c.stateNodes();
            // Warm-up: a leader, and the JIT on the action path.
            try {
                for (int i = 0; i < 20; i++) {
                    LiveCluster.Node at = servers.get(i % servers.size());
                    String id = submit(at, "warmup", i);
                    awaitOutcome(at, id, Duration.ofSeconds(60));
                }
            } catch (IOException | IllegalStateException e) {
                // A cluster that cannot perform its warm-up actions is a result too; the other sizes still run.
                progress.say("  " + size + " nodes: no measurement, the warm-up failed: " + e.getMessage());
                out.put("abortedBecause", "warm-up: " + e.getMessage());
                Map<String, List<String>> tails = new LinkedHashMap<>();
                c.nodes().forEach(n -> tails.put(n.name(), LiveCluster.tail(n.log(), 30).lines().toList()));
                out.put("logsAtAbort", tails);
                return out;
            }
            Map<String, Object> loadAverage = new LinkedHashMap<>();
            loadAverage.put("beforeLoad", LoadAverage.now().asList());
            Map<String, Object> loadFigures = new LinkedHashMap<>();
            CpuBurner burner = null;
            WriteLoad writes = null;
            try (LoadWatch watch = LoadWatch.start()) {
                if (l != null) {
                    progress.say("  load: " + l.cpuThreads() + " busy threads, " + l.writesPerSecond()
                            + " writes/s");
                    burner = l.cpuThreads() > 0 ? CpuBurner.start(l.cpuThreads()) : null;
                    writes = l.writesPerSecond() > 0 ? WriteLoad.start(c, l.writesPerSecond()) : null;
                    Thread.sleep(LOAD_RAMP_MS);
                }
                loadAverage.put("atFirstRound", LoadAverage.now().asList());
                long t0 = System.nanoTime();
                KillRounds.Result k = new KillRounds(c, rnd, Optional.ofNullable(writes), settleMs, progress)
                        .run(kills);
                out.put("failover", phase(FailoverFigures.kills(k.rounds()), t0, k.abortedBecause(),
                        k.logsAtAbort()));
                List<FailoverFigures.StepDownRound> cuts = List.of();
                if (stepDownRounds > 0) {
                    long t1 = System.nanoTime();
                    StepDownRounds.Result s = new StepDownRounds(c, settleMs, progress).run(stepDownRounds);
                    out.put("stepDown", phase(FailoverFigures.stepDowns(s.rounds()), t1, s.abortedBecause(),
                            s.logsAtAbort()));
                    cuts = s.rounds();
                }
                if (witness) {
                    out.put("witness", WitnessWatch.figures(c.witnesses().getFirst(), k.rounds(), cuts));
                }
                loadAverage.put("atEnd", LoadAverage.now().asList());
                loadAverage.put("max1Minute", watch.max());
            } finally {
                if (burner != null) {
                    loadFigures.put("cpu", burner.stop());
                }
                if (writes != null) {
                    loadFigures.put("writes", writes.stop());
                }
            }
            out.put("loadAverage", loadAverage);
            if (l != null) {
                out.put("load", loadFigures);
            }
            if (actions > 0) {
                out.put("throughput", throughput(c, progress));
            }
        }
        return out;
    }

    /** A phase's figures, led by its wall time and, when it stopped early, why and the logs of that moment. */
    private static Map<String, Object> phase(Map<String, Object> figures, long startNanos, String abortedBecause,
                                             Map<String, List<String>> logs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("wallSeconds", Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0);
        if (abortedBecause != null) {
            m.put("abortedBecause", abortedBecause);
            m.put("logsAtAbort", logs);
        }
        m.putAll(figures);
        return m;
    }

    /** Submits a job intent at {@code node}, which must hold state. */
    private static String submit(LiveCluster.Node node, String tag, long seq) throws IOException,
            InterruptedException {
        NodeClient.Response r = node.client().post("/v1/intents", Map.of("kind", "job", "payload",
                Map.of("bench", tag, "seq", seq)), TIMEOUT);
        if (r.status() != 201) {
            throw new IOException("intent refused by " + node.name() + ": HTTP " + r.status() + " " + r.body());
        }
        return r.body().get("id").asText();
    }

    private static boolean hasOutcome(LiveCluster.Node node, String id) throws IOException, InterruptedException {
        NodeClient.Response r = node.client().get("/v1/intents/" + id, TIMEOUT);
        return r.ok() && r.body().hasNonNull("outcome");
    }

    private static void awaitOutcome(LiveCluster.Node node, String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (hasOutcome(node, id)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("intent " + id + " got no outcome within " + timeout.toSeconds() + " s");
    }

    /** Intents spread over the nodes that hold state, timed until the first of them shows every outcome. */
    private Map<String, Object> throughput(LiveCluster c, BenchOptions.Progress progress) throws Exception {
        ClusterLeader.awaitAgreed(c, Duration.ofSeconds(30));
        List<LiveCluster.Node> servers = c.stateNodes();
        int size = c.nodes().size();
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < actions; i++) {
                LiveCluster.Node node = servers.get(i % servers.size());
                int seq = i;
                futures.add(pool.submit(() -> {
                    ids.add(submit(node, "throughput", seq));
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
            NodeClient.Response r = servers.getFirst().client().get("/v1/state", Duration.ofSeconds(30));
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
        progress.say("  %d nodes: %d actions in %.2f s = %.1f actions/s", size, actions, secs, actions / secs);
        return m;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FailoverBenchmark()).execute(args));
    }
}
