package io.agentmesh.sim.bench;

import io.agentmesh.sim.live.LiveCluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The step-down rounds of {@code bench failover --step-down}: the window in which two nodes may both believe they
 * lead. Each round finds the leader every node agrees on and cuts it off from every other node through the nodes'
 * fault-injection API (each side blocks the other, as {@code sim live} partitions a node), then measures from the
 * cut to (a) the cut-off leader's status no longer saying it leads, and (b) a node of the majority naming another
 * leader. Then it lifts the cut, waits until every node follows one leader again, and settles.
 *
 * <p>No node is killed, so the cut-off leader keeps answering its HTTP API: its step-down is observed, not inferred.
 * With a witness the cut-off leader is always a server, and the majority is the other server and the witness.
 */
final class StepDownRounds {
    private static final Duration AGREE_TIMEOUT = Duration.ofSeconds(30);
    /** How long a round waits for the step-down and the new leader before it gives up on either. */
    private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_LINES = 60;

    /** The rounds done, and why the rest were not (null when all were). */
    record Result(List<FailoverFigures.StepDownRound> rounds, String abortedBecause,
                  Map<String, List<String>> logsAtAbort) {
    }

    private final LiveCluster c;
    private final long settleMs;
    private final BenchOptions.Progress progress;

    StepDownRounds(LiveCluster c, long settleMs, BenchOptions.Progress progress) {
        this.c = c;
        this.settleMs = settleMs;
        this.progress = progress;
    }

    Result run(int cuts) throws InterruptedException {
        List<FailoverFigures.StepDownRound> rounds = new ArrayList<>();
        for (int k = 1; k <= cuts; k++) {
            NodeLogs marks = NodeLogs.mark(c.nodes());
            try {
                rounds.add(round(k));
            } catch (IllegalStateException e) {
                c.healAll();
                progress.say("  %d nodes: stopping the step-down rounds after round %d: %s", c.nodes().size(), k,
                        e.getMessage());
                return new Result(rounds, e.getMessage(), marks.since(LOG_LINES));
            }
        }
        return new Result(rounds, null, Map.of());
    }

    private FailoverFigures.StepDownRound round(int k) throws InterruptedException {
        ClusterLeader leader = ClusterLeader.awaitAgreed(c, AGREE_TIMEOUT);
        LiveCluster.Node cutOff = c.node(leader.index());
        List<LiveCluster.Node> majority = c.nodes().stream().filter(n -> n.index() != leader.index()).toList();
        NodeLogs marks = NodeLogs.mark(c.nodes());
        long cutNanos = System.nanoTime();
        FailoverFigures.StepDownRound r;
        try (StatusWatch stepDown = StatusWatch.start(List.of(cutOff), cutNanos, KillRounds.POLL_MS,
                cons -> !ClusterLeader.leads(cons));
             StatusWatch named = StatusWatch.start(majority, cutNanos, KillRounds.POLL_MS,
                     cons -> ClusterLeader.namesLeaderOtherThan(cons, leader.id()))) {
            cut(leader.index(), majority);
            long cutTookMs = (System.nanoTime() - cutNanos) / 1_000_000;
            long deadline = cutNanos + ROUND_TIMEOUT.toNanos();
            Optional<StatusWatch.Seen> down = stepDown.await(deadline);
            Optional<StatusWatch.Seen> next = named.await(deadline);
            r = new FailoverFigures.StepDownRound(k, cutOff.name(), leader.term(), cutTookMs,
                    down.map(StatusWatch.Seen::afterMs).orElse(null), next.map(StatusWatch.Seen::afterMs).orElse(null),
                    next.map(s -> name(s.consensus().path("leader").asText())).orElse(null),
                    next.map(s -> s.consensus().path("term").asLong()).orElse(null), null);
        }
        if (r.slow()) {
            r = r.withLogs(marks.since(LOG_LINES));
        }
        progress.say("  %d nodes cut %3d: %s (term %d) cut off in %d ms; stepped down after %s ms; %s named after %s ms"
                        + " (term %s); both led %s ms (load %.1f)", c.nodes().size(), k, cutOff.name(), leader.term(),
                r.cutTookMs(), r.stepDownAfterMs(), r.newLeader(), r.newLeaderAfterMs(), r.newTerm(), r.bothLeadMs(),
                LoadAverage.now().oneMinute());
        c.healAll();
        try {
            ClusterLeader.awaitAgreed(c, AGREE_TIMEOUT);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("after lifting the cut of " + cutOff.name() + ": " + e.getMessage());
        }
        Thread.sleep(settleMs);
        return r;
    }

    /** Blocks every link between {@code leader} and the others, all at once; fails if a node did not take it. */
    private void cut(int leader, List<LiveCluster.Node> others) throws InterruptedException {
        AtomicBoolean all = new AtomicBoolean(true);
        List<Thread> calls = new ArrayList<>();
        for (LiveCluster.Node o : others) {
            calls.add(Thread.ofVirtual().start(() -> {
                if (!c.fault(leader, "block", o.index(), 0)) {
                    all.set(false);
                }
            }));
            calls.add(Thread.ofVirtual().start(() -> {
                if (!c.fault(o.index(), "block", leader, 0)) {
                    all.set(false);
                }
            }));
        }
        for (Thread t : calls) {
            t.join();
        }
        if (!all.get()) {
            throw new IllegalStateException("a node did not take its block rule, so the leader was not cut off");
        }
    }

    private String name(String nodeId) {
        return c.byId(nodeId).map(LiveCluster.Node::name).orElse(nodeId);
    }
}
