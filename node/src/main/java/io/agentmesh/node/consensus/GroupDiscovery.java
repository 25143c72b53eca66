package io.agentmesh.node.consensus;

import io.microraft.RaftEndpoint;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How a node with an empty Raft log finds its place: join the group its peers are in, or found one with them.
 *
 * <p>Founding is the dangerous step: two nodes founding with different member lists would form two groups under one
 * group id, each able to elect a leader and perform the same action. So a node founds only when every other node on
 * its founding list ({@link Voters#select} of itself and its configured peers) has answered that it is in no group
 * yet and has the same founding list. Any answer from a node that is in a group wins over founding: the node then
 * starts MicroRaft with that group's current members (as a learner: they do not list it) and waits for the leader to
 * add it ({@link MembershipReconciler}).
 * A node with an empty founding list (it knows its mesh through relays, or was enrolled into a running agent) only
 * ever joins. This is Consul's {@code bootstrap_expect} made strict: no count to get wrong, the list itself must agree.
 *
 * <p>One case it refuses: a node that the group counts as a voter, while its own Raft log is empty and the membership
 * changed since the group was founded. It lost its log (a wiped or replaced disk): voting again could elect a
 * leader without entries the node once acknowledged. It must be removed, and its machine brought back under a new
 * key. A node the group lists only as a learner has acknowledged nothing that counts, and simply joins.
 *
 * <p>Pure decision logic; {@link ConsensusNode} sends the queries and feeds the answers. Node thread.
 */
final class GroupDiscovery {
    /** What to do now that the answers say enough. */
    sealed interface Decision {
        /**
         * Start MicroRaft with these as its initial members: the founders when {@code founded}, else the group's
         * current members (which do not list this node).
         */
        record Start(List<RaftEndpoint> initialMembers, boolean founded) implements Decision {
        }

        /** Do not take part: the reason, for the operator. */
        record Refuse(String reason) implements Decision {
        }
    }

    private final String groupId;
    private final MeshEndpoint self;
    private final List<RaftEndpoint> founders;
    /** The latest answer from each peer, by endpoint text (sorted: decisions must not depend on arrival order). */
    private final Map<String, GroupMessage.Info> answers = new TreeMap<>();

    GroupDiscovery(String groupId, MeshEndpoint self, List<RaftEndpoint> founders) {
        this.groupId = Objects.requireNonNull(groupId, "groupId");
        this.self = Objects.requireNonNull(self, "self");
        this.founders = List.copyOf(founders);
        if (!this.founders.isEmpty() && !this.founders.contains(self)) {
            throw new IllegalArgumentException("a founding list names its own node; " + self + " is not in "
                    + founders);
        }
    }

    GroupMessage.Query query() {
        return new GroupMessage.Query(groupId, self, founders);
    }

    /** This node's answer while it is in no group. */
    GroupMessage.Info notInGroup() {
        return new GroupMessage.Info(groupId, self, founders, List.of(), List.of(), List.of(), 0);
    }

    /** The founders this node still waits for (no answer yet, or an answer that does not settle founding). */
    List<RaftEndpoint> waitingFor() {
        return founders.stream().filter(f -> !f.equals(self)).filter(f -> {
            GroupMessage.Info a = answers.get(f.toString());
            return a == null || !a.founders().equals(founders);
        }).toList();
    }

    /** Founders that answered with a different founding list: their --peer lists disagree with this node's. */
    List<GroupMessage.Info> disagreeing() {
        return answers.values().stream().filter(a -> !a.inGroup() && !a.founders().isEmpty()
                && founders.contains(a.sender()) && !a.founders().equals(founders)).toList();
    }

    /** Records an answer (the newest per peer counts) and decides if the answers now allow it. */
    Optional<Decision> onInfo(GroupMessage.Info info) {
        answers.put(info.sender().toString(), info);
        return decide();
    }

    /** Decides from the answers so far; empty means keep asking. */
    Optional<Decision> decide() {
        for (GroupMessage.Info a : answers.values()) {
            if (!a.inGroup()) {
                continue;
            }
            boolean voting = a.voters().contains(self);
            boolean initialAndUnchanged = a.membersIndex() == 0 && a.initialMembers().contains(self);
            if (voting && !initialAndUnchanged) {
                return Optional.of(new Decision.Refuse("the Raft group counts this node as a voter (as of log index "
                        + a.membersIndex() + ", told by " + a.sender() + ") but its Raft log is empty: it lost its"
                        + " log, and voting again could undo actions it acknowledged; remove it (agentmesh node"
                        + " remove) and bring the machine back under a new key (docs/identity.md)"));
            }
            // A founder whose group has not changed starts where the others started. Anyone else starts from the
            // group's current voters, which do not list it, so MicroRaft makes it a learner until the leader adds it
            // (the leader may already have added it as a learner while this node was still asking: a learner has
            // acknowledged nothing, so starting empty is safe). The voters, not all members: MicroRaft counts every
            // initial member as a voter.
            return Optional.of(initialAndUnchanged ? new Decision.Start(a.initialMembers(), true)
                    : new Decision.Start(a.voters(), false));
        }
        if (founders.isEmpty()) {
            return Optional.empty();
        }
        if (waitingFor().isEmpty()) {
            return Optional.of(new Decision.Start(founders, true));
        }
        return Optional.empty();
    }
}
