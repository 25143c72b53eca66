package io.agentmesh.sim.check;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The consensus side of a run, simulated or live, kept in {@link History#record} under these types. Nodes are named
 * as in {@link History#nodes()} ("n1"...). {@code order} is a run-wide sequence number shared by all of these
 * records, so a checker can tell which of two things that happened in the same millisecond came first.
 *
 * <p>In a simulated run there is one clock, and {@code order} is the order in which things happened. A live run has
 * one clock per process, and the harness never compares two of them: it orders each node's own records on that
 * node's clock (its role changes, the claims its journal applied, its performed lines), and the checkers only ever
 * compare the order of records of one node. {@code atMs} is for people in both.
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

    /**
     * A committed claim, seen applied in a node's action journal ({@code seenOn}). The simulator records the first
     * node to apply it; the live harness records it as its holder applied it (on the holder's clock, so it orders
     * against the holder's calls), then, after every other record, as any other node applied it.
     */
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

    /**
     * Between {@code fromOrder} and {@code toOrder} (both exclusive), what {@code node} believed and which claims it
     * applied were not observed: a live node's process stopped before the harness could read its last moments. A call
     * in such a gap can be checked for a committed claim, not for when it was committed.
     */
    public record ObservationGap(String node, long fromOrder, long toOrder, String why) {
        public boolean covers(String node, long order) {
            return this.node.equals(node) && order > fromOrder && order < toOrder;
        }
    }

    /**
     * Evidence from outside the fault plan that {@code node} was out of reach at some moment between {@code fromMs}
     * and {@code toMs}: a live run records one when the node's status went unanswered while it was polled (a process
     * starved under load answers nothing, its peers included), or when {@code seenBy}'s status showed its link to
     * the node down (its failure detector had given up on it). {@code seenBy} is null for the first kind. A simulated
     * run has every such cause in its fault plan (crashes, cut links, stalls, loss and delay) and records none.
     */
    public record OutOfReach(long fromMs, long toMs, String node, String seenBy, String why) {
        public OutOfReach {
            if (toMs < fromMs) {
                throw new IllegalArgumentException("out of reach from " + fromMs + " ms to " + toMs + " ms");
            }
        }
    }

    /** The first time after the final heal at which every running node showed an outcome for every intent. */
    public record IntentsSettled(long atMs) {
    }

    /**
     * The Raft voters one consensus node knows at the end ({@code role} as {@link LeaderObservation}; empty voters
     * when it is down or in no group yet).
     */
    public record MembersFinal(String node, boolean up, String role, java.util.List<String> voters) {
        public MembersFinal {
            voters = java.util.List.copyOf(voters);
        }
    }

    /** Who should vote at the end: the enrolled voter-role nodes (the first seven), minus any removed. */
    public record ExpectedVoters(java.util.List<String> voters) {
        public ExpectedVoters {
            voters = java.util.List.copyOf(voters);
        }
    }

    /** When every running consensus node first showed the expected voters after the final heal. */
    public record MembersSettled(long atMs) {
    }

    /** The nodes enrolled as witnesses (they vote but never stand for election, lead or perform); recorded once. */
    public record Witnesses(java.util.List<String> nodes) {
        public Witnesses {
            nodes = java.util.List.copyOf(nodes);
        }
    }
}
