package io.agentmesh.sim.check;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The consensus side of a deterministic run, kept in {@link History#record} under these types. Nodes are named as in
 * {@link History#nodes()} ("n1"...). {@code order} is a run-wide sequence number shared by all of these records, so
 * a checker can tell which of two things that happened in the same millisecond came first.
 */
public final class ConsensusRecords {
    private ConsensusRecords() {
    }

    /** Roles as recorded: MicroRaft's, plus the states of a node without a running consensus member. */
    public static final String LEADER = "LEADER";
    public static final String DOWN = "DOWN";

    /**
     * What {@code node} believed after one of its events, recorded whenever it changed: its own role, the Raft term,
     * and the leader it knows of (null when none). A crashed node is recorded as {@link #DOWN}.
     */
    public record LeaderObservation(long order, long atMs, String node, String role, long term, String leader) {
        public boolean isLeader() {
            return LEADER.equals(role);
        }
    }

    /** A committed claim, first seen applied in some node's action journal ({@code seenOn}). */
    public record AppliedClaim(long order, long atMs, String seenOn, String intentId, String holder, long term,
                               long index) {
    }

    /**
     * One call that reached the outside world (the executor's ledger): {@code type} "perform" or "reconcile", by
     * {@code node}, under the fencing token (term, index) it passed.
     */
    public record Action(long order, long atMs, String node, String intentId, String type, long term, long index) {
        public static final String PERFORM = "perform";
        public static final String RECONCILE = "reconcile";

        public boolean isPerform() {
            return PERFORM.equals(type);
        }
    }

    /** What one node's CRDT holds about intents at the end; {@code up} false when it was down (then both empty). */
    public record IntentsFinal(String node, boolean up, Set<String> intents, Map<String, OutcomeSeen> outcomes) {
        public IntentsFinal {
            intents = java.util.Collections.unmodifiableSet(new TreeSet<>(intents));
            outcomes = java.util.Collections.unmodifiableMap(new TreeMap<>(outcomes));
        }
    }

    /** An outcome as a node's CRDT shows it: who performed the intent under which claim. */
    public record OutcomeSeen(String status, String performedBy, long term, long index) {
    }

    /** The first time after the final heal at which every running node showed an outcome for every intent. */
    public record IntentsSettled(long atMs) {
    }
}
