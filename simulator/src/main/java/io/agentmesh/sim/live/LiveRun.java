package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.sim.check.AcknowledgedWritesChecker;
import io.agentmesh.sim.check.Checker;
import io.agentmesh.sim.check.Checkers;
import io.agentmesh.sim.check.ConvergenceChecker;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.NoRejectedChangesChecker;
import io.agentmesh.sim.check.NodeHealthChecker;
import io.agentmesh.sim.check.ReadYourWritesChecker;
import io.agentmesh.sim.check.Verdict;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * A live run: real node processes on loopback ({@link LiveCluster}), a workload through their HTTP API (memory
 * writes and job intents at random running nodes, reads of a node's own writes), the fault schedule drawn from the
 * seed ({@link FaultSchedule}: partitions through the fault-injection endpoint, kill -9 / SIGTERM and restarts,
 * relay kills, delays), status samples of every node every {@code pollIntervalMs}; then a final heal, a wait for
 * convergence, every node's final state and performed.jsonl, and the checkers on the recorded {@link History}.
 *
 * <p>The processes are always cleaned up (see {@link LiveCluster}).
 */
public final class LiveRun {
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);
    private static final long READ_EVERY_MS = 2_000;
    private static final long QUIET_MS = 1_000;

    private final LiveConfig config;
    private final PrintWriter progress;
    private final FaultSchedule schedule;
    private final Object lock = new Object(); // guards history and everything below it
    private LiveCluster cluster;
    private History history;
    private long t0Nanos;
    private long t0WallMillis;
    private int n;
    private int[][] blocks;
    private int[][] directs;
    private int[] reach;
    private boolean[] up;
    private final Map<String, String> nameById = new HashMap<>();
    private final Map<Integer, String> actorByNode = new ConcurrentHashMap<>();
    private final Map<Integer, Long> processStartMs = new ConcurrentHashMap<>();
    private final Map<String, Long> rejectedByIncarnation = new HashMap<>();
    private final Set<Process> reportedDead = ConcurrentHashMap.newKeySet();
    private final List<Round> rounds = new ArrayList<>();
    private final List<long[]> faultStarts = new ArrayList<>();
    private final List<HealMark> healMarks = new ArrayList<>();
    private final List<Long> writeLatencies = new ArrayList<>();
    private final Map<Integer, List<Acked>> ackedAt = new HashMap<>();
    private final List<CompletableFuture<Void>> restarts = new ArrayList<>();
    private final AtomicLong writeSeq = new AtomicLong();
    private final AtomicLong intentSeq = new AtomicLong();
    private final Map<String, Integer> counts = new TreeMap<>();
    private volatile boolean workloadOn;
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();

    private record Round(long atMs, List<LiveRecords.StatusSample> samples) {
    }

    private record HealMark(long atMs, String description) {
    }

    private record Acked(String id, long atMs) {
    }

    private LiveRun(LiveConfig config, PrintWriter progress) {
        this.config = config;
        this.progress = progress;
        this.schedule = FaultSchedule.draw(config.seed(), config.nodes(), config.relays(), config.durationMs(),
                config.faults());
    }

    /** The schedule a run with {@code config} will follow. */
    public static FaultSchedule scheduleOf(LiveConfig config) {
        return FaultSchedule.draw(config.seed(), config.nodes(), config.relays(), config.durationMs(),
                config.faults());
    }

    /** Runs it; {@code progress} (may be null) gets one line per fault and phase. */
    public static LiveResult run(LiveConfig config, PrintWriter progress) throws IOException, InterruptedException {
        return new LiveRun(config, progress).execute();
    }

    private long now() {
        return (System.nanoTime() - t0Nanos) / 1_000_000;
    }

    private void say(String line) {
        if (progress != null) {
            progress.printf(Locale.ROOT, "%8.1fs  %s%n", t0Nanos == 0 ? 0.0 : now() / 1000.0, line);
            progress.flush();
        }
    }

    private String name(int i) {
        return "n" + (i + 1);
    }

    private LiveResult execute() throws IOException, InterruptedException {
        long wall0 = System.nanoTime();
        n = config.nodes();
        blocks = new int[n][n];
        directs = new int[n][n];
        reach = new int[n];
        up = new boolean[n];
        LiveCluster.Options options = new LiveCluster.Options(n, config.relays(), config.dir(), config.keepDir(),
                config.jvmArgs(), Duration.ofSeconds(120));
        say("starting " + n + " node processes" + (config.relays() > 0 ? " and " + config.relays() + " relays" : "")
                + "...");
        cluster = LiveCluster.start(options);
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "live-poller"));
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "live-workload"));
        ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<String> names = new ArrayList<>();
            for (LiveCluster.Node node : cluster.nodes()) {
                names.add(node.name());
                nameById.put(node.id().toString(), node.name());
                ackedAt.put(node.index(), new ArrayList<>());
            }
            history = new History(names);
            t0Nanos = System.nanoTime();
            t0WallMillis = System.currentTimeMillis();
            for (int i = 0; i < n; i++) {
                history.nodeEvent(0, name(i), History.NodeEventKind.START, "started " + cluster.node(i).id());
                processStartMs.put(i, 0L);
                reach[i] = 0;
                up[i] = true;
            }
            topology();
            say("cluster ready in " + (System.nanoTime() - wall0) / 1_000_000 + " ms (" + cluster.dir() + ")");
            poller.scheduleAtFixedRate(this::pollRound, 0, config.pollIntervalMs(), TimeUnit.MILLISECONDS);
            startWorkload(ticker, requests);
            runSchedule();
            sleepUntil(config.durationMs());
            workloadOn = false;
            ticker.shutdownNow();
            requests.shutdown();
            if (!requests.awaitTermination(30, TimeUnit.SECONDS)) {
                say("some workload requests still hang after 30 s; going on");
            }
            finalHeal();
            long converged = awaitConvergence();
            if (converged >= 0) {
                Thread.sleep(QUIET_MS);
            }
            poller.shutdown();
            poller.awaitTermination(10, TimeUnit.SECONDS);
            collectFinals();
            collectPerformed();
            scanLogs();
            synchronized (lock) {
                rejectedByIncarnation.forEach((k, v) -> history.rejected(k.substring(0, k.indexOf('#')), v));
                history.ended(now());
                computeHeals();
            }
        } finally {
            workloadOn = false;
            ticker.shutdownNow();
            poller.shutdownNow();
            requests.shutdownNow();
            background.shutdownNow();
            cluster.close();
        }
        List<Checker> checkers = checkers(config.convergenceBoundMs(), config.leaderBoundMs());
        List<Verdict> verdicts = Checkers.run(checkers, history);
        Map<String, Object> figures = figures((System.nanoTime() - wall0) / 1e9);
        return new LiveResult(config, Checkers.allPassed(verdicts), verdicts, figures, history, schedule,
                config.keepDir() || config.dir() != null ? cluster.dir() : null);
    }

    /** The checkers of a live run: the state checkers that apply from outside, and the consensus ones. */
    public static List<Checker> checkers(long convergenceBoundMs, long leaderBoundMs) {
        return List.of(new ConvergenceChecker(convergenceBoundMs), new AcknowledgedWritesChecker(),
                new ReadYourWritesChecker(), new NoRejectedChangesChecker(), new NodeHealthChecker(),
                new OneLeaderPerTermChecker(), new LeaderLivenessChecker(leaderBoundMs),
                new IntentsAtMostOnceChecker(), new IntentsPerformedChecker());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void sleepUntil(long atMs) throws InterruptedException {
        long wait = atMs - now();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    private void count(String what) {
        synchronized (lock) {
            counts.merge(what, 1, Integer::sum);
        }
    }

    // ------------------------------------------------------------------------------------------ workload

    private void startWorkload(ScheduledExecutorService ticker, ExecutorService requests) {
        workloadOn = true;
        Random choice = new Random(config.seed() * 31 + 7); // only the ticker thread uses it
        if (config.writesPerSecond() > 0) {
            long every = Math.max(1, Math.round(1_000_000 / config.writesPerSecond()));
            ticker.scheduleAtFixedRate(() -> {
                int node = pick(choice);
                long seq = writeSeq.incrementAndGet();
                if (node >= 0 && workloadOn) {
                    requests.execute(() -> write(node, seq));
                }
            }, every, every, TimeUnit.MICROSECONDS);
        }
        if (config.intentsPerSecond() > 0) {
            long every = Math.max(1, Math.round(1_000_000 / config.intentsPerSecond()));
            ticker.scheduleAtFixedRate(() -> {
                int node = pick(choice);
                long seq = intentSeq.incrementAndGet();
                if (node >= 0 && workloadOn) {
                    requests.execute(() -> intent(node, seq));
                }
            }, every / 2, every, TimeUnit.MICROSECONDS);
        }
        ticker.scheduleAtFixedRate(() -> {
            int node = pick(choice);
            if (node >= 0 && workloadOn) {
                requests.execute(() -> read(node));
            }
        }, READ_EVERY_MS, READ_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    /** A random node whose process runs, or -1. */
    private int pick(Random choice) {
        int start = choice.nextInt(n);
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (cluster.node(i).alive()) {
                return i;
            }
        }
        return -1;
    }

    private void write(int node, long seq) {
        LiveCluster.Node nd = cluster.node(node);
        String id = "w" + seq;
        String text = "live " + config.seed() + " write " + seq;
        long sent = now();
        String error;
        try {
            NodeClient.Response r = nd.client().post("/v1/memory", Map.of("text", text, "tags", List.of("live")),
                    WRITE_TIMEOUT);
            long at = now();
            if (r.status() == 201 && r.body().hasNonNull("id")) {
                String entry = r.body().get("id").asText();
                String actor = actorOf(node);
                synchronized (lock) {
                    history.writeInvoked(id, nd.name(), "memory", entry, sent);
                    if (actor != null) {
                        // The API does not say which (actor, seq) the entry went into; 0 makes the checker rely on
                        // the entry id alone (present in every node's memory), which is the promise to check.
                        history.writeAcknowledged(id, at, ActorId.fromHex(actor), 0);
                    } else {
                        history.writeFailed(id, at, "acknowledged, but the node's actor is unknown");
                    }
                    writeLatencies.add(at - sent);
                    ackedAt.get(node).add(new Acked(entry, at));
                }
                return;
            }
            error = "HTTP " + r.status() + ": " + r.body();
        } catch (IOException e) {
            error = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        synchronized (lock) {
            history.writeInvoked(id, nd.name(), "memory", "unacknowledged:" + text, sent);
            history.writeFailed(id, now(), error);
        }
    }

    private String actorOf(int node) {
        String a = actorByNode.get(node);
        if (a != null) {
            return a;
        }
        try {
            NodeClient.Response r = cluster.node(node).client().get("/v1/status", POLL_TIMEOUT);
            if (r.ok() && r.body().hasNonNull("actor")) {
                a = r.body().get("actor").asText();
                actorByNode.put(node, a);
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return a;
    }

    private void intent(int node, long seq) {
        LiveCluster.Node nd = cluster.node(node);
        long sent = now();
        Map<String, Object> body = Map.of("kind", "job", "payload", Map.of("run", config.seed(), "seq", seq));
        String error;
        try {
            NodeClient.Response r = nd.client().post("/v1/intents", body, WRITE_TIMEOUT);
            long at = now();
            if (r.status() == 201 && r.body().hasNonNull("id")) {
                synchronized (lock) {
                    history.record(LiveRecords.IntentRequest.class, new LiveRecords.IntentRequest(seq, nd.name(),
                            sent, at, r.body().get("id").asText(), null));
                }
                return;
            }
            error = "HTTP " + r.status() + ": " + r.body();
        } catch (IOException e) {
            error = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        synchronized (lock) {
            history.record(LiveRecords.IntentRequest.class, new LiveRecords.IntentRequest(seq, nd.name(), sent, -1,
                    null, error));
        }
    }

    /** Reads the node's memory and checks (by recording) up to 20 entries it acknowledged earlier. */
    private void read(int node) {
        LiveCluster.Node nd = cluster.node(node);
        List<Acked> mine;
        long sent = now();
        synchronized (lock) {
            mine = new ArrayList<>(ackedAt.get(node));
        }
        mine.removeIf(a -> a.atMs() >= sent);
        if (mine.isEmpty()) {
            return;
        }
        Collections.shuffle(mine, new Random(sent));
        mine = mine.subList(0, Math.min(20, mine.size()));
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
            synchronized (lock) {
                for (Acked a : mine) {
                    history.read(nd.name(), sent, a.id(), ids.contains(a.id()));
                }
                counts.merge("reads", 1, Integer::sum);
            }
        } catch (IOException e) {
            // a node going down mid-read: nothing learned
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------ status samples

    private void pollRound() {
        try {
            long at = now();
            List<CompletableFuture<LiveRecords.StatusSample>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int node = i;
                futures.add(CompletableFuture.supplyAsync(() -> sample(node, at), background));
            }
            List<LiveRecords.StatusSample> samples = new ArrayList<>();
            for (CompletableFuture<LiveRecords.StatusSample> f : futures) {
                samples.add(f.get(POLL_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS));
            }
            List<Long> lag = lag(samples);
            synchronized (lock) {
                for (LiveRecords.StatusSample s : samples) {
                    history.record(LiveRecords.StatusSample.class, s);
                    if (s.up()) {
                        rejectedByIncarnation.merge(s.node() + "#" + s.incarnationStart(), s.rejected(), Math::max);
                    }
                }
                history.lag(new History.LagSample(at, lag));
                rounds.add(new Round(at, samples));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            say("status round failed: " + e);
        }
    }

    private LiveRecords.StatusSample sample(int node, long at) {
        LiveCluster.Node nd = cluster.node(node);
        long incarnation = processStartMs.getOrDefault(node, 0L);
        Process p = nd.process().orElse(null);
        if (p != null && !p.isAlive() && !nd.expectedDown() && reportedDead.add(p)) {
            String detail = "the process exited by itself (exit " + p.exitValue() + "); log tail: "
                    + LiveCluster.tail(nd.log(), 5).replace('\n', ' ');
            synchronized (lock) {
                history.problem(new History.Problem(at, nd.name(), "process-exit", detail));
                history.nodeEvent(at, nd.name(), History.NodeEventKind.FATAL, detail);
            }
        }
        if (!nd.alive()) {
            return down(nd, at, incarnation);
        }
        try {
            NodeClient.Response r = nd.client().get("/v1/status", POLL_TIMEOUT);
            if (!r.ok()) {
                return down(nd, at, incarnation);
            }
            JsonNode b = r.body();
            JsonNode c = b.path("consensus");
            Map<String, Long> vector = new TreeMap<>();
            b.path("vector").fields().forEachRemaining(e -> vector.put(e.getKey(), e.getValue().asLong()));
            if (b.hasNonNull("actor")) {
                actorByNode.put(node, b.get("actor").asText());
            }
            String leaderId = c.hasNonNull("leader") ? c.get("leader").asText() : null;
            String leader = leaderId == null ? null : nameById.getOrDefault(leaderId, leaderId);
            return new LiveRecords.StatusSample(at, nd.name(), true, c.hasNonNull("role") ? c.get("role").asText()
                    : null, leader, c.path("term").asLong(-1), b.path("changes").asLong(), vector,
                    b.path("replication").path("rejected").asLong(), c.path("completed").asLong(),
                    c.path("pending").asInt(), c.path("inFlight").asInt(), incarnation);
        } catch (IOException e) {
            return down(nd, at, incarnation);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return down(nd, at, incarnation);
        }
    }

    private static LiveRecords.StatusSample down(LiveCluster.Node nd, long at, long incarnation) {
        return new LiveRecords.StatusSample(at, nd.name(), false, null, null, -1, -1, Map.of(), 0, 0, 0, 0,
                incarnation);
    }

    /** Per node: changes it lacks that some answering node holds; -1 when it did not answer. */
    private static List<Long> lag(List<LiveRecords.StatusSample> samples) {
        Map<String, Long> union = union(samples);
        List<Long> out = new ArrayList<>();
        for (LiveRecords.StatusSample s : samples) {
            out.add(s.up() ? behind(s.vector(), union) : -1L);
        }
        return out;
    }

    private static Map<String, Long> union(List<LiveRecords.StatusSample> samples) {
        Map<String, Long> union = new HashMap<>();
        for (LiveRecords.StatusSample s : samples) {
            if (s.up()) {
                s.vector().forEach((a, q) -> union.merge(a, q, Math::max));
            }
        }
        return union;
    }

    private static long behind(Map<String, Long> mine, Map<String, Long> target) {
        long lag = 0;
        for (Map.Entry<String, Long> e : target.entrySet()) {
            lag += Math.max(0, e.getValue() - mine.getOrDefault(e.getKey(), 0L));
        }
        return lag;
    }

    // ------------------------------------------------------------------------------------------ faults

    private void runSchedule() throws InterruptedException {
        for (FaultSchedule.Step step : schedule.steps()) {
            sleepUntil(step.atMs());
            say(step.describe());
            if (step.heal()) {
                heal(step.episode());
            } else {
                apply(step.episode());
            }
        }
    }

    private final Map<Integer, Long> episodeStart = new HashMap<>();

    private void apply(FaultSchedule.Episode e) throws InterruptedException {
        long at = now();
        synchronized (lock) {
            episodeStart.put(e.id(), at);
            faultStarts.add(new long[]{at});
        }
        switch (e.kind()) {
            case PARTITION -> {
                count("partitions");
                synchronized (lock) {
                    int[][] counter = e.direct() ? directs : blocks;
                    String action = e.direct() ? "blockDirect" : "block";
                    for (FaultSchedule.Link l : e.cuts()) {
                        if (counter[l.a()][l.b()]++ == 0) {
                            cluster.fault(l.a(), action, l.b(), 0);
                            cluster.fault(l.b(), action, l.a(), 0);
                        }
                    }
                    reachability();
                }
            }
            case DELAY -> {
                count("delays");
                FaultSchedule.Link l = e.cuts().getFirst();
                cluster.fault(l.a(), "delay", l.b(), e.delayMs());
                cluster.fault(l.b(), "delay", l.a(), e.delayMs());
            }
            case RELAY -> {
                count("relayKills");
                cluster.killRelay(e.relay());
            }
            case CRASH -> {
                count(e.graceful() ? "sigterms" : "kills");
                synchronized (lock) {
                    history.nodeEvent(at, name(e.node()), History.NodeEventKind.CRASH, e.graceful() ? "SIGTERM"
                            : "kill -9");
                    up[e.node()] = false;
                    topology();
                }
                if (e.graceful()) {
                    int status = cluster.terminate(e.node());
                    if (status != 0) {
                        synchronized (lock) {
                            history.problem(new History.Problem(now(), name(e.node()), "unclean-stop",
                                    "SIGTERM ended with exit status " + status + " (0 expected)"));
                        }
                    }
                } else {
                    cluster.kill9(e.node());
                }
            }
        }
    }

    private void heal(FaultSchedule.Episode e) {
        switch (e.kind()) {
            case PARTITION -> {
                synchronized (lock) {
                    int[][] counter = e.direct() ? directs : blocks;
                    String action = e.direct() ? "unblockDirect" : "unblock";
                    for (FaultSchedule.Link l : e.cuts()) {
                        if (--counter[l.a()][l.b()] == 0) {
                            cluster.fault(l.a(), action, l.b(), 0);
                            cluster.fault(l.b(), action, l.a(), 0);
                        }
                    }
                    reachability();
                    healed(e, now(), "partition healed (" + e.description() + ")");
                }
            }
            case DELAY -> {
                FaultSchedule.Link l = e.cuts().getFirst();
                cluster.fault(l.a(), "delay", l.b(), 0);
                cluster.fault(l.b(), "delay", l.a(), 0);
                synchronized (lock) {
                    healed(e, now(), "delay lifted (" + e.description() + ")");
                }
            }
            case RELAY -> restarts.add(CompletableFuture.runAsync(() -> {
                try {
                    cluster.startRelay(e.relay());
                    cluster.awaitRelay(e.relay());
                    synchronized (lock) {
                        healed(e, now(), "relay r" + (e.relay() + 1) + " restarted");
                    }
                } catch (IOException | RuntimeException ex) {
                    synchronized (lock) {
                        history.problem(new History.Problem(now(), "r" + (e.relay() + 1), "relay-restart",
                                ex.getMessage()));
                    }
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }, background));
            case CRASH -> restarts.add(CompletableFuture.runAsync(() -> restart(e.node(), e),
                    background));
        }
    }

    private void restart(int node, FaultSchedule.Episode e) {
        try {
            long launched = now();
            cluster.launch(node);
            processStartMs.put(node, launched);
            cluster.awaitReady(cluster.node(node));
            synchronized (lock) {
                reapply(node);
                up[node] = true;
                topology();
                long at = now();
                history.nodeEvent(at, name(node), History.NodeEventKind.RESTART, "ready " + (at - launched)
                        + " ms after launch");
                if (e != null) {
                    healed(e, at, name(node) + " restarted");
                }
            }
            say(name(node) + " ready again");
        } catch (IOException | RuntimeException ex) {
            synchronized (lock) {
                history.problem(new History.Problem(now(), name(node), "restart", String.valueOf(ex.getMessage())));
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** After a restart the node's fault rules are gone: set again those still in force. Holds the lock. */
    private void reapply(int node) {
        for (int j = 0; j < n; j++) {
            if (j == node) {
                continue;
            }
            int a = Math.min(node, j);
            int b = Math.max(node, j);
            if (blocks[a][b] > 0) {
                cluster.fault(node, "block", j, 0);
                cluster.fault(j, "block", node, 0);
            }
            if (directs[a][b] > 0) {
                cluster.fault(node, "blockDirect", j, 0);
                cluster.fault(j, "blockDirect", node, 0);
            }
        }
        // A delay episode on this node's links is not restored: it is short and only latency.
    }

    /** Records the fault episode as over and marks a heal. Holds the lock. */
    private void healed(FaultSchedule.Episode e, long at, String description) {
        long start = episodeStart.getOrDefault(e.id(), e.startMs());
        history.fault(new History.Fault(start, at, e.kind().id(), e.description()));
        healMarks.add(new HealMark(at, description));
    }

    /** Records the harness's view of who is up and which links are cut. Holds the lock. */
    private void topology() {
        Set<String> upNodes = new TreeSet<>();
        Set<String> cuts = new TreeSet<>();
        Set<String> direct = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            if (up[i]) {
                upNodes.add(name(i));
            }
            for (int j = i + 1; j < n; j++) {
                if (blocks[i][j] > 0) {
                    cuts.add(LiveRecords.Topology.link(name(i), name(j)));
                } else if (directs[i][j] > 0) {
                    direct.add(LiveRecords.Topology.link(name(i), name(j)));
                }
            }
        }
        history.record(LiveRecords.Topology.class, new LiveRecords.Topology(now(), upNodes, cuts, direct));
    }

    /** Records each node's count of peers it is cut off from, when it changed (and the topology). Holds the lock. */
    private void reachability() {
        topology();
        long at = now();
        for (int i = 0; i < n; i++) {
            int cut = 0;
            for (int j = 0; j < n; j++) {
                if (j != i && blocks[Math.min(i, j)][Math.max(i, j)] > 0) {
                    cut++;
                }
            }
            if (cut != reach[i]) {
                reach[i] = cut;
                history.reachability(new History.Reachability(at, name(i), cut));
            }
        }
    }

    private void finalHeal() throws InterruptedException, IOException {
        say("final heal: every fault lifted, every process running");
        for (CompletableFuture<Void> r : new ArrayList<>(restarts)) {
            try {
                r.get(150, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                say("a restart did not finish: " + e);
            }
        }
        synchronized (lock) {
            for (int[] row : blocks) {
                java.util.Arrays.fill(row, 0);
            }
            for (int[] row : directs) {
                java.util.Arrays.fill(row, 0);
            }
            for (int i = 0; i < n; i++) {
                cluster.fault(i, "clear", null, 0);
            }
            reachability();
        }
        for (LiveCluster.Relay r : cluster.relays()) {
            if (!r.alive()) {
                cluster.startRelay(r.index());
                cluster.awaitRelay(r.index());
            }
        }
        for (int i = 0; i < n; i++) {
            if (!cluster.node(i).alive()) {
                restart(i, null);
            }
        }
        synchronized (lock) {
            long at = now();
            history.finalHeal(at);
            healMarks.add(new HealMark(at, "final heal"));
        }
    }

    /**
     * Waits until every node holds the same changes and the same state, with an outcome for every acknowledged
     * intent; returns that time, or -1 when the bound passed first.
     */
    private long awaitConvergence() throws InterruptedException {
        long deadline = history.finalHealMs() + config.convergenceBoundMs();
        Set<String> intents = new HashSet<>();
        synchronized (lock) {
            for (LiveRecords.IntentRequest r : history.records(LiveRecords.IntentRequest.class)) {
                if (r.acknowledged()) {
                    intents.add(r.id());
                }
            }
        }
        while (true) {
            long at = now();
            if (converged(intents)) {
                synchronized (lock) {
                    history.converged(at);
                }
                say("converged " + (at - history.finalHealMs()) + " ms after the final heal");
                return at;
            }
            if (now() > deadline) {
                say("NOT converged within " + config.convergenceBoundMs() + " ms of the final heal");
                return -1;
            }
            Thread.sleep(200);
        }
    }

    private boolean converged(Set<String> intents) throws InterruptedException {
        List<Map<String, Long>> vectors = new ArrayList<>();
        for (LiveCluster.Node nd : cluster.nodes()) {
            try {
                NodeClient.Response r = nd.client().get("/v1/status", POLL_TIMEOUT);
                if (!r.ok()) {
                    return false;
                }
                Map<String, Long> v = new TreeMap<>();
                r.body().path("vector").fields().forEachRemaining(e -> v.put(e.getKey(), e.getValue().asLong()));
                vectors.add(v);
            } catch (IOException e) {
                return false;
            }
        }
        if (vectors.stream().distinct().count() != 1) {
            return false;
        }
        String digest = null;
        for (LiveCluster.Node nd : cluster.nodes()) {
            try {
                NodeClient.Response r = nd.client().get("/v1/state", WRITE_TIMEOUT);
                if (!r.ok()) {
                    return false;
                }
                String d = digest(r.body());
                if (digest != null && !digest.equals(d)) {
                    return false;
                }
                digest = d;
                Set<String> outcomes = new HashSet<>();
                r.body().path("outcomes").forEach(o -> outcomes.add(o.path("intentId").asText()));
                if (!outcomes.containsAll(intents)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    static String digest(JsonNode state) {
        try {
            byte[] bytes = NodeClient.JSON.writeValueAsBytes(state);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ the end

    private void collectFinals() throws InterruptedException {
        Set<String> acked = new TreeSet<>();
        synchronized (lock) {
            for (LiveRecords.IntentRequest r : history.records(LiveRecords.IntentRequest.class)) {
                if (r.acknowledged()) {
                    acked.add(r.id());
                }
            }
        }
        for (LiveCluster.Node nd : cluster.nodes()) {
            History.NodeFinal fin;
            List<LiveRecords.IntentFinal> outcomes = new ArrayList<>();
            try {
                NodeClient.Response st = nd.client().get("/v1/status", POLL_TIMEOUT);
                NodeClient.Response state = nd.client().get("/v1/state", WRITE_TIMEOUT);
                if (!st.ok() || !state.ok()) {
                    throw new IOException("HTTP " + st.status() + "/" + state.status());
                }
                Map<String, Long> vector = new TreeMap<>();
                st.body().path("vector").fields().forEachRemaining(e -> vector.put(e.getKey(), e.getValue().asLong()));
                JsonNode s = state.body();
                Set<String> memory = new HashSet<>();
                s.path("memory").forEach(m -> memory.add(m.path("id").asText()));
                Set<String> tasks = new HashSet<>();
                s.path("tasks").forEach(t -> tasks.add(t.path("id").asText()));
                Set<String> seen = new HashSet<>();
                for (JsonNode o : s.path("outcomes")) {
                    String intent = o.path("intentId").asText();
                    seen.add(intent);
                    String by = o.path("performedBy").asText(null);
                    outcomes.add(new LiveRecords.IntentFinal(intent, nd.name(), o.path("status").asText(null),
                            by == null ? null : nameById.getOrDefault(by, by), o.path("term").asLong(),
                            o.path("index").asLong()));
                }
                for (String id : acked) {
                    if (!seen.contains(id)) {
                        outcomes.add(new LiveRecords.IntentFinal(id, nd.name(), null, null, -1, -1));
                    }
                }
                fin = new History.NodeFinal(nd.name(), true, List.of(), digest(s), vector, memory, tasks,
                        s.path("notes").asText(""), 0, st.body().path("replication").path("rejected").asLong());
            } catch (IOException e) {
                fin = new History.NodeFinal(nd.name(), false, List.of(), null, Map.of(), Set.of(), Set.of(), null, 0,
                        0);
            }
            synchronized (lock) {
                history.nodeFinal(fin);
                for (LiveRecords.IntentFinal f : outcomes) {
                    history.record(LiveRecords.IntentFinal.class, f);
                }
            }
        }
    }

    private void collectPerformed() throws IOException {
        for (LiveCluster.Node nd : cluster.nodes()) {
            Path f = nd.performedFile();
            if (!Files.exists(f)) {
                continue;
            }
            List<LiveRecords.Performed> lines = readPerformed(f, nameById);
            synchronized (lock) {
                for (LiveRecords.Performed p : lines) {
                    if (p.intent() == null) {
                        history.problem(new History.Problem(now(), nd.name(), "performed-line",
                                "unreadable line in " + f + ": " + p.payload()));
                    } else {
                        history.record(LiveRecords.Performed.class, p);
                    }
                }
            }
        }
    }

    /**
     * The lines of a performed.jsonl; node ids become names through {@code names} when known. An unreadable line
     * comes back with a null intent and the text as payload.
     */
    public static List<LiveRecords.Performed> readPerformed(Path file, Map<String, String> names) throws IOException {
        List<LiveRecords.Performed> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode j = NodeClient.JSON.readTree(line);
                String node = j.path("node").asText();
                out.add(new LiveRecords.Performed(j.path("intent").asText(), names.getOrDefault(node, node),
                        j.path("term").asLong(), j.path("index").asLong(), j.path("timeMillis").asLong(),
                        j.path("payload").asText(), file.toString()));
            } catch (IOException e) {
                out.add(new LiveRecords.Performed(null, null, -1, -1, -1, line, file.toString()));
            }
        }
        return out;
    }

    /** ERROR lines in the nodes' logs are problems: an honest node under these faults should not log one. */
    private void scanLogs() {
        LocalTime start = LocalTime.ofInstant(java.time.Instant.ofEpochMilli(t0WallMillis),
                java.time.ZoneId.systemDefault());
        for (LiveCluster.Node nd : cluster.nodes()) {
            try {
                if (!Files.exists(nd.log())) {
                    continue;
                }
                for (String line : Files.readAllLines(nd.log(), StandardCharsets.UTF_8)) {
                    if (line.length() > 13 && line.startsWith("ERROR", 13)) {
                        long at;
                        try {
                            at = Math.floorMod(Duration.between(start, LocalTime.parse(line.substring(0, 12)))
                                    .toMillis(), 86_400_000L);
                        } catch (RuntimeException e) {
                            at = now();
                        }
                        synchronized (lock) {
                            history.problem(new History.Problem(at, nd.name(), "log-error", line.substring(19)));
                        }
                    }
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                // an unreadable log is not the nodes' fault
            }
        }
    }

    /** Catch-up after each heal, from the status rounds. Holds the lock. */
    private void computeHeals() {
        List<Long> starts = faultStarts.stream().map(a -> a[0]).sorted().toList();
        List<HealMark> marks = new ArrayList<>(healMarks);
        marks.sort(java.util.Comparator.comparingLong(HealMark::atMs));
        for (HealMark m : marks) {
            long catchUp = -1;
            long nextFault = starts.stream().filter(s -> s > m.atMs()).findFirst().orElse(Long.MAX_VALUE);
            Map<String, Long> target = null;
            for (Round r : rounds) {
                if (r.atMs() < m.atMs()) {
                    continue;
                }
                if (r.atMs() > nextFault) {
                    break;
                }
                if (target == null) {
                    target = union(r.samples());
                }
                boolean all = true;
                for (LiveRecords.StatusSample s : r.samples()) {
                    if (s.up() && behind(s.vector(), target) > 0) {
                        all = false;
                        break;
                    }
                }
                if (all) {
                    catchUp = r.atMs() - m.atMs();
                    break;
                }
            }
            history.heal(new History.Heal(m.atMs(), m.description(), catchUp));
        }
    }

    private Map<String, Object> figures(double wallSeconds) {
        Map<String, Object> f = new LinkedHashMap<>();
        synchronized (lock) {
            List<History.Write> writes = history.writes();
            long acked = writes.stream().filter(History.Write::acknowledged).count();
            List<LiveRecords.IntentRequest> intents = history.records(LiveRecords.IntentRequest.class);
            long intentsAcked = intents.stream().filter(LiveRecords.IntentRequest::acknowledged).count();
            Map<String, String> statusByIntent = new HashMap<>();
            for (LiveRecords.IntentFinal x : history.records(LiveRecords.IntentFinal.class)) {
                if (x.status() != null) {
                    statusByIntent.putIfAbsent(x.intent(), x.status());
                }
            }
            f.put("wallSeconds", Math.round(wallSeconds * 10) / 10.0);
            f.put("writes", writes.size());
            f.put("acknowledged", acked);
            f.put("failedWrites", writes.size() - acked);
            List<Long> lat = new ArrayList<>(writeLatencies);
            Collections.sort(lat);
            f.put("writeAckP50Ms", percentile(lat, 0.50));
            f.put("writeAckP99Ms", percentile(lat, 0.99));
            f.put("readChecks", history.reads().size());
            f.put("intents", intents.size());
            f.put("intentsAcknowledged", intentsAcked);
            f.put("intentsSucceeded", statusByIntent.values().stream().filter("succeeded"::equals).count());
            f.put("intentsOtherOutcome", statusByIntent.values().stream().filter(s -> !s.equals("succeeded")).count());
            f.put("performedLines", history.records(LiveRecords.Performed.class).size());
            f.put("faultEpisodes", schedule.episodes().size());
            for (String k : List.of("partitions", "kills", "sigterms", "relayKills", "delays")) {
                f.put(k, counts.getOrDefault(k, 0));
            }
            Map<Long, String> leaders = OneLeaderPerTermChecker.leaderByTerm(history);
            f.put("termsWithLeader", leaders.size());
            f.put("maxTerm", leaders.keySet().stream().mapToLong(Long::longValue).max().orElse(-1));
            f.put("leaderlessMs", leaderlessMs());
            long maxLag = 0;
            for (History.LagSample s : history.lagSamples()) {
                for (long v : s.lag()) {
                    maxLag = Math.max(maxLag, v);
                }
            }
            f.put("maxLagChanges", maxLag);
            f.put("statusSamples", history.records(LiveRecords.StatusSample.class).size());
            f.put("convergenceMs", history.convergedMs() < 0 ? -1 : history.convergedMs() - history.finalHealMs());
            f.put("maxCatchUpMs", history.heals().stream().mapToLong(History.Heal::catchUpMs).max().orElse(-1));
            f.put("problems", history.problems().size());
        }
        return f;
    }

    /** Time (between status rounds) during which no answering node said it led. Holds the lock. */
    private long leaderlessMs() {
        long total = 0;
        for (int i = 0; i + 1 < rounds.size(); i++) {
            Round r = rounds.get(i);
            if (r.atMs() > history.finalHealMs() && history.finalHealMs() >= 0) {
                break;
            }
            if (r.samples().stream().noneMatch(LiveRecords.StatusSample::isLeader)) {
                total += rounds.get(i + 1).atMs() - r.atMs();
            }
        }
        return total;
    }

    static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
