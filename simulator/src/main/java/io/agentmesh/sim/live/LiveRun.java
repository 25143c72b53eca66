package io.agentmesh.sim.live;

import io.agentmesh.sim.check.Checker;
import io.agentmesh.sim.check.Checkers;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.NoSeqReuseChecker;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A live run: real node processes on loopback ({@link LiveCluster}), a workload through their HTTP API
 * ({@link LiveWorkload}), the fault schedule drawn from the seed ({@link LiveFaultDriver}), every node sampled every
 * {@code pollIntervalMs} ({@link LivePoller}); then a final heal, a wait for convergence, every node's final state,
 * performed.jsonl and consensus events ({@link LiveCollector}), and the checkers on the recorded {@link History},
 * which the {@link LiveRecorder} alone writes while the run goes.
 *
 * <p>The checkers are the simulator's ({@link Checkers#standard(long, boolean)}), on the same vocabulary, less those
 * in {@link #LEFT_OUT}, plus {@link LeaderLivenessChecker}, which has no simulated twin. The processes are always
 * cleaned up (see {@link LiveCluster}).
 */
public final class LiveRun {
    private static final long QUIET_MS = 1_000;

    /** Checkers of the simulator that a live run leaves out, by name, and why. */
    public static final List<Checkers.LeftOut> LEFT_OUT = List.of(new Checkers.LeftOut(NoSeqReuseChecker.NAME,
            "the harness sees no change's bytes, only each node's durable vector, so it cannot tell a reused (actor,"
                    + " seq) from the same change"));

    private final LiveConfig config;
    private final PrintWriter out;
    private final FaultSchedule schedule;

    private LiveRun(LiveConfig config, PrintWriter out) {
        this.config = config;
        this.out = out;
        this.schedule = scheduleOf(config);
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

    /** The checkers of a live run, in report order. */
    public static List<Checker> checkers(long convergenceBoundMs, long leaderBoundMs) {
        Set<String> leftOut = new TreeSet<>();
        LEFT_OUT.forEach(l -> leftOut.add(l.checker()));
        List<Checker> out = new ArrayList<>();
        for (Checker c : Checkers.standard(convergenceBoundMs, true)) {
            if (!leftOut.contains(c.name())) {
                out.add(c);
            }
        }
        out.add(new LeaderLivenessChecker(leaderBoundMs));
        return List.copyOf(out);
    }

    private LiveResult execute() throws IOException, InterruptedException {
        long wall0 = System.nanoTime();
        int n = config.nodes();
        LiveCluster.Options options = LiveCluster.Options.of(n, config.relays()).withDir(config.dir(),
                config.keepDir()).withJvmArgs(config.jvmArgs()).withReadyTimeout(Duration.ofSeconds(120))
                .withWitnesses(config.witnesses());
        new LiveProgress(out, () -> 0).say("starting " + n + " node processes"
                + (config.witness() ? " (the last a witness)" : "")
                + (config.relays() > 0 ? " and " + config.relays() + " relays" : "") + "...");
        LiveCluster cluster = LiveCluster.start(options);
        LiveWorkload workload = null;
        LivePoller poller = null;
        LiveFaultDriver faults = null;
        History history;
        LiveEvidence evidence;
        List<LivePoller.Round> rounds;
        try {
            List<String> names = new ArrayList<>();
            Map<String, String> nameById = new HashMap<>();
            for (LiveCluster.Node node : cluster.nodes()) {
                names.add(node.name());
                nameById.put(node.id().toString(), node.name());
            }
            History started = new History(names);
            List<String> witnesses = cluster.witnesses().stream().map(LiveCluster.Node::name).toList();
            if (!witnesses.isEmpty()) {
                started.record(ConsensusRecords.Witnesses.class, new ConsensusRecords.Witnesses(witnesses));
            }
            LiveRecorder recorder = new LiveRecorder(started);
            long t0WallMillis = System.currentTimeMillis();
            LiveProgress progress = new LiveProgress(out, recorder::now);
            for (LiveCluster.Node node : cluster.nodes()) {
                recorder.record(h -> h.nodeEvent(0, node.name(), History.NodeEventKind.START, "started " + node.id()));
            }
            List<ConsensusReader> consensus = new ArrayList<>();
            cluster.nodes().forEach(node -> consensus.add(new ConsensusReader(node, recorder)));
            Map<Integer, String> actors = new ConcurrentHashMap<>();
            Map<Integer, Long> processStartMs = new ConcurrentHashMap<>();
            faults = new LiveFaultDriver(cluster, recorder, progress, schedule, consensus, processStartMs);
            faults.begin();
            progress.say("cluster ready in " + (System.nanoTime() - wall0) / 1_000_000 + " ms (" + cluster.dir()
                    + ")");
            poller = new LivePoller(config, cluster, recorder, actors, processStartMs, nameById, consensus, progress);
            workload = new LiveWorkload(config, cluster, recorder, actors);
            poller.start();
            workload.start();
            faults.run();
            faults.sleepUntil(config.durationMs());
            if (!workload.stop(30)) {
                progress.say("some workload requests still hang after 30 s; going on");
            }
            long finalHealMs = faults.finalHeal();
            LiveCollector collector = new LiveCollector(config, cluster, progress, nameById, consensus, t0WallMillis);
            long converged = collector.awaitConvergence(recorder, finalHealMs, workload.acknowledgedIntents());
            if (converged >= 0) {
                Thread.sleep(QUIET_MS);
            }
            poller.stop();
            history = recorder.finish();
            // From here on this thread owns the History.
            if (converged >= 0) {
                history.converged(converged);
            }
            List<IntentsFinal> finals = collector.collectFinals(history);
            long now = recorder.now();
            List<LiveRecords.Performed> performed = collector.collectPerformed(history, now);
            performed.forEach(p -> history.record(LiveRecords.Performed.class, p));
            Map<String, List<LiveEvidence.Incarnation>> incarnations = collector.collectConsensus(history);
            collector.scanLogs(history, now);
            poller.rejected().forEach(history::rejected);
            history.ended(recorder.now());
            rounds = poller.rounds();
            LiveCollector.computeHeals(history, rounds, faults.faultStarts(), faults.healMarks(),
                    LivePoller.stateNodeNames(cluster));
            evidence = new LiveEvidence(names, t0WallMillis, nameById, incarnations, performed, finals, converged);
            LiveCollector.translate(evidence, history);
            LiveCollector.outOfReach(history);
        } finally {
            if (workload != null) {
                workload.abort();
            }
            if (poller != null) {
                poller.abort();
            }
            if (faults != null) {
                faults.abort();
            }
            cluster.close();
        }
        List<Verdict> verdicts = Checkers.run(checkers(config.convergenceBoundMs(), config.leaderBoundMs()), history);
        Map<String, Object> figures = LiveFigures.of(history, schedule, faults.counts(), workload.writeLatencies(),
                rounds, (System.nanoTime() - wall0) / 1e9);
        return new LiveResult(config, Checkers.allPassed(verdicts), verdicts, figures, history, evidence, schedule,
                config.keepDir() || config.dir() != null ? cluster.dir() : null);
    }
}
