package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;

import java.util.List;
import java.util.Objects;

/**
 * One Raft voter configuration as a member knows it: the log index of the membership entry that set it (0 for the
 * group's initial members) and its voting members, witnesses included, sorted. MicroRaft changes the voters one at a
 * time, and a member's effective configuration (the newest entry in its log) only moves forward while that entry
 * stays in its log, so a larger index means a later configuration.
 */
public record VoterSet(long index, List<NodeId> voters) {
    /** What a node in no Raft group knows: nothing. */
    public static final VoterSet NONE = new VoterSet(0, List.of());

    public VoterSet {
        if (index < 0) {
            throw new IllegalArgumentException("a configuration's log index is >= 0, got " + index);
        }
        voters = List.copyOf(Objects.requireNonNull(voters, "voters"));
    }

    /** Voters needed for a majority of this configuration. */
    public int majority() {
        return voters.size() / 2 + 1;
    }

    public boolean isEmpty() {
        return voters.isEmpty();
    }

    @Override
    public String toString() {
        return voters.stream().map(NodeId::shortForm).toList() + "@" + index;
    }
}
