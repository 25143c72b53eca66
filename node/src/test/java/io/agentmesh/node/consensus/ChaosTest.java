package io.agentmesh.node.consensus;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.microraft.model.log.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentmesh.node.actions.RecordingExecutor;
/**
 * Seeded random faults on 5 nodes: kills with restarts (unflushed writes lost), random partitions, 2% message loss,
 * slow actions, intents requested anywhere. After healing, every intent must be performed exactly once cluster-wide,
 * outcomes must agree everywhere, and no term may have had two leaders. (The simulator module runs the full version
 * with its checkers; this keeps the consensus package honest on its own.) {@code -Dconsensus.chaos.seeds=N} runs more.
 */
class ChaosTest {
    /** 12 seeds by default; more with {@code -Dconsensus.chaos.seeds=N}. */
    static LongStream seeds() {
        return LongStream.rangeClosed(1, Long.getLong("consensus.chaos.seeds", 12));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void exactlyOnceUnderRandomFaults(long seed) {
        int n = 5;
        SimCluster c = new SimCluster(n, seed);
        c.actionLatencyMs = 120;
        c.dropRate = 0.02;
        c.start();
        Random r = new Random(seed * 31);
        List<String> ids = new ArrayList<>();
        Set<Integer> down = new HashSet<>();
        long[] restartAt = new long[n];
        for (int step = 0; step < 60; step++) {
            c.time.runFor(100 + r.nextInt(300));
            for (int i = 0; i < n; i++) {
                if (down.contains(i) && c.time.nowMs() >= restartAt[i]) {
                    c.restart(i);
                    down.remove(i);
                }
            }
            switch (r.nextInt(6)) {
                case 0 -> {
                    if (down.size() < 2) {
                        int victim = r.nextBoolean() && c.leader().isPresent() ? c.leader().get().index : r.nextInt(n);
                        if (!down.contains(victim)) {
                            c.kill(victim);
                            down.add(victim);
                            restartAt[victim] = c.time.nowMs() + 500 + r.nextInt(2000);
                        }
                    }
                }
                case 1 -> {
                    Set<Integer> a = new HashSet<>();
                    Set<Integer> b = new HashSet<>();
                    for (int i = 0; i < n; i++) {
                        (r.nextBoolean() ? a : b).add(i);
                    }
                    c.partition(a, b);
                }
                case 2 -> c.heal();
                default -> {
                    for (int k = 0; k < 1 + r.nextInt(3); k++) {
                        int at = r.nextInt(n);
                        if (!down.contains(at)) {
                            String kind = r.nextBoolean() ? "job" : "wallet";
                            String id = kind + "-" + seed + "-" + ids.size();
                            ids.add(id);
                            c.node(at).request(id, kind);
                        }
                    }
                }
            }
        }
        c.heal();
        long healedAt = c.time.nowMs();
        c.dropRate = 0;
        for (int i : down) {
            c.restart(i);
        }
        long done = c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 30_000);
        assertTrue(done >= 0, "seed " + seed + ": not all of " + ids.size() + " intents finished");
        assertEquals(List.of(), c.ledger.performedMoreThanOnce());
        for (String id : ids) {
            assertTrue(c.ledger.applied(id), id);
        }
        ConsensusClusterTest.assertOutcomesAgree(c, ids);
        assertTrue(c.termsWithTwoLeaders().isEmpty(), c.termsWithTwoLeaders().toString());
        assertEveryActionHadACommittedClaim(c);
        long reconciles = c.ledger.calls().stream()
                .filter(call -> call.type() == RecordingExecutor.Ledger.CallType.RECONCILE).count();
        long terms = c.leaderEvents.stream().filter(e -> e.role().equals("LEADER")).map(e -> e.term()).distinct()
                .count();
        System.out.printf("chaos seed %d: %d intents, %d leader terms, %d reconciled, %d messages dropped,"
                + " all done %d ms after healing%n", seed, ids.size(), terms, reconciles, c.dropped, done - healedAt);
    }

    /**
     * Every call the outside world saw carries a fencing token (term, index); the leader's log (committed by now,
     * all intents being done) must hold at that index a Claim of that intent, by that node, in that term.
     */
    static void assertEveryActionHadACommittedClaim(SimCluster c) {
        assertTrue(c.time.runUntil(() -> c.stableLeader().isPresent(), 5_000) >= 0, "a stable leader");
        SimCluster.SimNode leader = c.stableLeader().orElseThrow();
        Map<Long, Object> log = new TreeMap<>();
        try {
            for (LogEntry e : leader.store.restore().orElseThrow().getLogEntries()) {
                log.put(e.getIndex(), e.getOperation());
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (RecordingExecutor.Ledger.Call call : c.ledger.calls()) {
            Object op = log.get(call.token().index());
            assertTrue(op instanceof Claim claim && claim.intentId().equals(call.intentId())
                    && claim.nodeId().equals(call.nodeId()) && claim.term() == call.token().term(),
                    call + " has no matching committed claim; log has " + op);
        }
    }
}
