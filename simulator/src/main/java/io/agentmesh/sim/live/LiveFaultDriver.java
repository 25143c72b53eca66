package io.agentmesh.sim.live;

import io.agentmesh.sim.check.History;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Follows the fault schedule on the real processes: partitions and delays through each node's fault-injection
 * endpoint (counted per link, so overlapping episodes nest), kill -9 / SIGTERM and restarts, relay kills; then the
 * final heal. Records each fault, heal, node event, and its own view of the network ({@link LiveRecords.Topology},
 * reachability) through the {@link LiveRecorder}.
 *
 * <p>Before it stops a node's process it reads the node's consensus events once more ({@link ConsensusReader}), so
 * what that process saw up to the last moment is kept. The link counters and the up flags are this driver's own,
 * guarded by its lock; restarts run on their own threads and take the lock only to update them.
 */
final class LiveFaultDriver {
    /** When a heal happened, for the catch-up figures. */
    record HealMark(long atMs, String description) {
    }

    private final LiveCluster cluster;
    private final LiveRecorder recorder;
    private final LiveProgress progress;
    private final FaultSchedule schedule;
    private final List<ConsensusReader> consensus;
    private final Map<Integer, Long> processStartMs;
    private final int n;
    private final int[][] blocks;
    private final int[][] directs;
    private final int[] reach;
    private final boolean[] up;
    private final Map<Integer, Long> episodeStart = new HashMap<>();
    private final List<Long> faultStarts = new ArrayList<>();
    private final List<HealMark> healMarks = new ArrayList<>();
    private final Map<String, Integer> counts = new TreeMap<>();
    private final List<CompletableFuture<Void>> restarts = new ArrayList<>();
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();

    LiveFaultDriver(LiveCluster cluster, LiveRecorder recorder, LiveProgress progress, FaultSchedule schedule,
                    List<ConsensusReader> consensus, Map<Integer, Long> processStartMs) {
        this.cluster = cluster;
        this.recorder = recorder;
        this.progress = progress;
        this.schedule = schedule;
        this.consensus = List.copyOf(consensus);
        this.processStartMs = processStartMs;
        this.n = cluster.nodes().size();
        this.blocks = new int[n][n];
        this.directs = new int[n][n];
        this.reach = new int[n];
        this.up = new boolean[n];
        Arrays.fill(up, true);
        for (int i = 0; i < n; i++) {
            processStartMs.put(i, 0L);
        }
    }

    private String name(int i) {
        return "n" + (i + 1);
    }

    /** Records the starting topology (every node up, no cut). */
    synchronized void begin() {
        topology(recorder.now());
    }

    /** Runs the schedule's steps at their times; returns after the last one started. */
    void run() throws InterruptedException {
        for (FaultSchedule.Step step : schedule.steps()) {
            sleepUntil(step.atMs());
            progress.say(step.describe());
            if (step.heal()) {
                heal(step.episode());
            } else {
                apply(step.episode());
            }
        }
    }

    void sleepUntil(long atMs) throws InterruptedException {
        long wait = atMs - recorder.now();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    /** Faults of each kind applied (partitions, kills, sigterms, relayKills, delays). */
    synchronized Map<String, Integer> counts() {
        return new TreeMap<>(counts);
    }

    synchronized List<Long> faultStarts() {
        return List.copyOf(faultStarts);
    }

    synchronized List<HealMark> healMarks() {
        return List.copyOf(healMarks);
    }

    private void apply(FaultSchedule.Episode e) throws InterruptedException {
        long at = recorder.now();
        synchronized (this) {
            episodeStart.put(e.id(), at);
            faultStarts.add(at);
        }
        switch (e.kind()) {
            case PARTITION -> {
                synchronized (this) {
                    counts.merge("partitions", 1, Integer::sum);
                    int[][] counter = e.direct() ? directs : blocks;
                    String action = e.direct() ? "blockDirect" : "block";
                    for (FaultSchedule.Link l : e.cuts()) {
                        if (counter[l.a()][l.b()]++ == 0) {
                            cluster.fault(l.a(), action, l.b(), 0);
                            cluster.fault(l.b(), action, l.a(), 0);
                        }
                    }
                    reachability(at);
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
                String how = e.graceful() ? "SIGTERM" : "kill -9";
                synchronized (this) {
                    up[e.node()] = false;
                    recorder.record(h -> h.nodeEvent(at, name(e.node()), History.NodeEventKind.CRASH, how));
                    topology(at);
                }
                consensus.get(e.node()).read(); // the process's last moments, before they are lost with it
                if (e.graceful()) {
                    int status = cluster.terminate(e.node());
                    if (status != 0) {
                        long when = recorder.now();
                        recorder.record(h -> h.problem(new History.Problem(when, name(e.node()), "unclean-stop",
                                "SIGTERM ended with exit status " + status + " (0 expected)")));
                    }
                } else {
                    cluster.kill9(e.node());
                }
            }
        }
    }

    private synchronized void count(String what) {
        counts.merge(what, 1, Integer::sum);
    }

    private void heal(FaultSchedule.Episode e) {
        switch (e.kind()) {
            case PARTITION -> {
                synchronized (this) {
                    int[][] counter = e.direct() ? directs : blocks;
                    String action = e.direct() ? "unblockDirect" : "unblock";
                    for (FaultSchedule.Link l : e.cuts()) {
                        if (--counter[l.a()][l.b()] == 0) {
                            cluster.fault(l.a(), action, l.b(), 0);
                            cluster.fault(l.b(), action, l.a(), 0);
                        }
                    }
                    reachability(recorder.now());
                    healed(e, recorder.now(), "partition healed (" + e.description() + ")");
                }
            }
            case DELAY -> {
                FaultSchedule.Link l = e.cuts().getFirst();
                cluster.fault(l.a(), "delay", l.b(), 0);
                cluster.fault(l.b(), "delay", l.a(), 0);
                healed(e, recorder.now(), "delay lifted (" + e.description() + ")");
            }
            case RELAY -> restart(CompletableFuture.runAsync(() -> {
                try {
                    cluster.startRelay(e.relay());
                    cluster.awaitRelay(e.relay());
                    healed(e, recorder.now(), "relay r" + (e.relay() + 1) + " restarted");
                } catch (IOException | RuntimeException ex) {
                    long at = recorder.now();
                    recorder.record(h -> h.problem(new History.Problem(at, "r" + (e.relay() + 1), "relay-restart",
                            ex.getMessage())));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }, background));
            case CRASH -> restart(CompletableFuture.runAsync(() -> restart(e.node(), e), background));
        }
    }

    private synchronized void restart(CompletableFuture<Void> f) {
        restarts.add(f);
    }

    private void restart(int node, FaultSchedule.Episode e) {
        try {
            long launched = recorder.now();
            cluster.launch(node);
            processStartMs.put(node, launched);
            cluster.awaitReady(cluster.node(node));
            synchronized (this) {
                reapply(node);
                up[node] = true;
                long at = recorder.now();
                topology(at);
                recorder.record(h -> h.nodeEvent(at, name(node), History.NodeEventKind.RESTART, "ready "
                        + (at - launched) + " ms after launch"));
                if (e != null) {
                    healed(e, at, name(node) + " restarted");
                }
            }
            progress.say(name(node) + " ready again");
        } catch (IOException | RuntimeException ex) {
            long at = recorder.now();
            recorder.record(h -> h.problem(new History.Problem(at, name(node), "restart",
                    String.valueOf(ex.getMessage()))));
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

    /** Records the fault episode as over and marks a heal. */
    private synchronized void healed(FaultSchedule.Episode e, long at, String description) {
        long start = episodeStart.getOrDefault(e.id(), e.startMs());
        recorder.record(h -> h.fault(new History.Fault(start, at, e.kind().id(), e.description())));
        healMarks.add(new HealMark(at, description));
    }

    /** Records the driver's view of who is up and which links are cut. Holds the lock. */
    private void topology(long at) {
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
        LiveRecords.Topology t = new LiveRecords.Topology(at, upNodes, cuts, direct);
        recorder.record(h -> h.record(LiveRecords.Topology.class, t));
    }

    /**
     * Records each node's count of peers it is cut off from, when it changed (and the topology). Holds the lock.
     * {@code cutFromMs}: when the driver began cutting the links, taken as the time of a count that grew (the nodes'
     * fault endpoints answer slowly on a loaded machine, and a cut may bite before the last of them answered); a
     * count that fell takes the time it is recorded, once every link was restored.
     */
    private void reachability(long cutFromMs) {
        long at = recorder.now();
        topology(at);
        for (int i = 0; i < n; i++) {
            int cut = 0;
            for (int j = 0; j < n; j++) {
                if (j != i && blocks[Math.min(i, j)][Math.max(i, j)] > 0) {
                    cut++;
                }
            }
            if (cut != reach[i]) {
                History.Reachability r = new History.Reachability(cut > reach[i] ? Math.min(cutFromMs, at) : at,
                        name(i), cut);
                reach[i] = cut;
                recorder.record(h -> h.reachability(r));
            }
        }
    }

    /**
     * The final heal: waits for the restarts under way, lifts every fault rule, starts every relay and node that is
     * down, and records the heal. Returns its run time.
     */
    long finalHeal() throws InterruptedException, IOException {
        progress.say("final heal: every fault lifted, every process running");
        List<CompletableFuture<Void>> pending;
        synchronized (this) {
            pending = new ArrayList<>(restarts);
        }
        for (CompletableFuture<Void> r : pending) {
            try {
                r.get(150, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                progress.say("a restart did not finish: " + e);
            }
        }
        synchronized (this) {
            for (int[] row : blocks) {
                Arrays.fill(row, 0);
            }
            for (int[] row : directs) {
                Arrays.fill(row, 0);
            }
            for (int i = 0; i < n; i++) {
                cluster.fault(i, "clear", null, 0);
            }
            reachability(recorder.now());
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
        long at = recorder.now();
        synchronized (this) {
            healMarks.add(new HealMark(at, "final heal"));
        }
        recorder.record(h -> h.finalHeal(at));
        return at;
    }

    void abort() {
        background.shutdownNow();
    }
}
