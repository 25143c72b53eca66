package io.agentmesh.sim.run;

import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.sim.world.RecordingExecutor;
import io.agentmesh.sim.world.Trace;
import io.agentmesh.state.Outcome;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A simulation a test drives step by step: the real nodes (node core, document, stores, Raft, recording executors
 * on one ledger) on the simulator's world, with no workload and no drawn faults; the test requests intents and
 * kills nodes at the moments it picks, through the same fault code the fault plan uses, and {@link #finish()}
 * restarts everything and runs the standard checkers.
 */
final class Cluster {
    static final long MS = 1_000_000L;
    /** Long enough that no test reaches the scheduled final heal; {@link #finish()} heals earlier. */
    private static final long DURATION_MS = 24 * 3_600_000L;

    final Simulation sim;

    /** {@code nodes} nodes booted at offsets drawn from the seed within 200 ms, as in any simulated run. */
    Cluster(int nodes, long seed) {
        this(quiet(nodes, seed), 200);
    }

    /** @param bootSpreadMs 0 boots every node in the same instant (their heartbeats then tick in phase) */
    Cluster(SimConfig config, long bootSpreadMs) {
        this.sim = Simulation.begin(config, Trace.hashOnly(), bootSpreadMs);
    }

    /** A run with consensus and nothing else: no workload, no faults. */
    static SimConfig quiet(int nodes, long seed) {
        return SimConfig.of(nodes, seed, DURATION_MS, EnumSet.noneOf(FaultKind.class)).withRates(0, 0)
                .withIntentRate(0).withScript(FaultPlan.none());
    }

    // ------------------------------------------------------------------------------------ time

    long nowMs() {
        return sim.loop().nowMillis();
    }

    void runFor(long ms) {
        sim.loop().runUntil(sim.loop().nowNanos() + ms * MS);
    }

    /**
     * Runs until {@code condition} holds (checked after every event) and returns the virtual time it took, in ms;
     * fails naming the condition and showing every node's consensus state when it does not hold within {@code maxMs}.
     */
    long runUntil(String condition, BooleanSupplier holds, long maxMs) {
        long start = sim.loop().nowNanos();
        if (!sim.loop().runUntil(holds, start + maxMs * MS)) {
            throw new AssertionError("not within " + maxMs + " ms of virtual time: " + condition + "\n" + state());
        }
        return (sim.loop().nowNanos() - start) / MS;
    }

    /** What each node believes and holds, and what the outside world saw: for failure messages. */
    String state() {
        StringBuilder b = new StringBuilder("at " + nowMs() + " ms:");
        for (SimNode n : nodes()) {
            b.append("\n  ").append(n.name).append(' ');
            ConsensusNode c = n.consensus();
            if (!n.up()) {
                b.append("down");
            } else if (c == null) {
                b.append("up, no consensus member");
            } else {
                b.append(c.status().role()).append(" term ").append(c.term()).append(", leader ")
                        .append(c.leaderId().map(id -> sim.nameOf(id.toString())).orElse("-"))
                        .append(", journal applied ").append(c.journal().lastApplied()).append(" completed ")
                        .append(c.journal().completedCount()).append(", in flight ")
                        .append(c.coordinator().inFlight());
            }
        }
        RecordingExecutor.Ledger ledger = ledger();
        b.append("\n  outside world: ").append(ledger.calls().size()).append(" calls, ")
                .append(ledger.appliedIntents().size()).append(" intents applied, performed twice: ")
                .append(ledger.performedMoreThanOnce());
        return b.toString();
    }

    // ------------------------------------------------------------------------------------ nodes

    List<SimNode> nodes() {
        return sim.nodes();
    }

    SimNode node(int i) {
        return sim.nodes().get(i);
    }

    NodeId id(SimNode n) {
        return n.member.identity().nodeId();
    }

    RecordingExecutor.Ledger ledger() {
        return sim.ledger();
    }

    /** The running node that believes itself leader in the highest term. */
    Optional<SimNode> leader() {
        SimNode best = null;
        for (SimNode n : nodes()) {
            ConsensusNode c = n.consensus();
            if (n.up() && c != null && c.isLeader() && (best == null || c.term() > best.consensus().term())) {
                best = n;
            }
        }
        return Optional.ofNullable(best);
    }

    /** A leader that every running voter names. */
    Optional<SimNode> stableLeader() {
        Optional<SimNode> leader = leader();
        if (leader.isEmpty()) {
            return leader;
        }
        NodeId id = id(leader.get());
        for (SimNode n : nodes()) {
            if (n.up() && (n.consensus() == null || !n.consensus().leaderId().map(id::equals).orElse(false))) {
                return Optional.empty();
            }
        }
        return leader;
    }

    SimNode awaitStableLeader(long maxMs) {
        runUntil("every running node agrees on one leader", () -> stableLeader().isPresent(), maxMs);
        return stableLeader().orElseThrow();
    }

    /** Runs node {@code n}'s future to completion in virtual time (blocking on it would stop time). */
    <T> T await(String what, CompletableFuture<T> f) {
        runUntil(what, f::isDone, 10_000);
        return f.join();
    }

    // ------------------------------------------------------------------------------------ intents

    void request(int node, String intentId, String kind) {
        node(node).requestIntent("request " + intentId, intentId, kind, "{\"n\":\"" + intentId + "\"}");
    }

    /** {@code count} intents, alternately "job" and "wallet", the i-th requested at node {@code at(i)}. */
    List<String> requestMany(int count, IntUnaryOperator at) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String kind = i % 2 == 0 ? "job" : "wallet";
            String id = String.format("%s-%03d", kind, i);
            ids.add(id);
            request(at.applyAsInt(i), id, kind);
        }
        return ids;
    }

    boolean allUpHaveOutcomes(List<String> ids) {
        for (SimNode n : nodes()) {
            if (n.up() && !n.witness && ids.stream().anyMatch(id -> n.outcome(id).isEmpty())) {
                return false;
            }
        }
        return true;
    }

    long awaitOutcomesEverywhere(List<String> ids, long maxMs) {
        return runUntil("every running node shows an outcome for all of " + ids.size() + " intents",
                () -> allUpHaveOutcomes(ids), maxMs);
    }

    /** Every running node shows the same outcome for each of {@code ids}. */
    void assertOutcomesAgree(List<String> ids) {
        Map<String, Outcome> reference = null;
        for (SimNode n : nodes()) {
            if (!n.up() || n.witness) {
                continue;
            }
            Map<String, Outcome> mine = new TreeMap<>();
            ids.forEach(id -> mine.put(id, n.outcome(id).orElseThrow(() -> new AssertionError(n.name
                    + " has no outcome for " + id))));
            if (reference == null) {
                reference = mine;
            } else {
                assertEquals(reference, mine, n.name + " disagrees");
            }
        }
    }

    // ------------------------------------------------------------------------------------ faults

    /** kill -9 of node {@code i}'s process (it stays down until {@link #restart} or the final heal). */
    void kill(int i) {
        sim.apply(new FaultPlan.Crash(nowMs(), i, DURATION_MS));
        runUntil("n" + (i + 1) + " is down (a kill waits for a blocking call to return)", () -> !node(i).up(), 1_000);
    }

    void restart(int i) {
        node(i).start();
    }

    /** Heals and restarts everything, waits for the nodes to converge and every intent to settle, runs the checkers. */
    SimResult finish() {
        return sim.conclude();
    }

    /** {@link #finish()}, failing unless every checker passed. */
    SimResult finishAndCheck() {
        SimResult r = finish();
        assertTrue(r.passed(), () -> "checkers failed: " + r.failures() + "\n" + state());
        return r;
    }
}
