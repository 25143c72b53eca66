package io.agentmesh.node.consensus;

import io.microraft.RaftEndpoint;

import java.util.List;
import java.util.Objects;

/**
 * What a node without a Raft log asks its peers before it takes part in consensus, and what they answer: which Raft
 * group they are in, if any. {@link GroupDiscovery} decides from the answers whether the node joins an existing group
 * or founds one with its peers. Travels in {@code WireMessage.Consensus} payloads beside MicroRaft's messages
 * ({@link RaftCodec} kinds 11 and 12), over authenticated mesh connections only: a peer that may answer is an
 * enrolled member, which is trusted with consensus anyway.
 */
public sealed interface GroupMessage {
    /** Raft group id (the agent id's text); a message for another group is refused like a Raft message would be. */
    String groupId();

    /** The sender; must be the authenticated peer the message came from. */
    MeshEndpoint sender();

    /**
     * "Are you in a group?" from a node with no Raft log.
     *
     * @param founders the sender's founding list (itself and its configured peers, {@link Voters#select}); empty when
     *                 it may only join
     */
    record Query(String groupId, MeshEndpoint sender, List<RaftEndpoint> founders) implements GroupMessage {
        public Query {
            Objects.requireNonNull(groupId, "groupId");
            Objects.requireNonNull(sender, "sender");
            founders = List.copyOf(founders);
        }
    }

    /**
     * The answer.
     *
     * @param founders       the answering node's own founding list (empty when it may only join)
     * @param initialMembers the group's initial members (what a joining node must start MicroRaft with); empty when
     *                       the answering node is in no group yet
     * @param members        the group's committed members as this node knows them (voters and learners); empty when
     *                       in no group
     * @param voters         the voting ones among {@code members}
     * @param membersIndex   the log index of that member list (0: the initial one)
     */
    record Info(String groupId, MeshEndpoint sender, List<RaftEndpoint> founders, List<RaftEndpoint> initialMembers,
                List<RaftEndpoint> members, List<RaftEndpoint> voters, long membersIndex) implements GroupMessage {
        public Info {
            Objects.requireNonNull(groupId, "groupId");
            Objects.requireNonNull(sender, "sender");
            founders = List.copyOf(founders);
            initialMembers = List.copyOf(initialMembers);
            members = List.copyOf(members);
            voters = List.copyOf(voters);
            if (!members.containsAll(voters)) {
                throw new IllegalArgumentException("every voter is a member");
            }
            if (membersIndex < 0) {
                throw new IllegalArgumentException("membersIndex must be >= 0, got " + membersIndex);
            }
            if (initialMembers.isEmpty() != members.isEmpty()) {
                throw new IllegalArgumentException("a group has both initial and current members, or neither");
            }
        }

        public boolean inGroup() {
            return !initialMembers.isEmpty();
        }
    }
}
