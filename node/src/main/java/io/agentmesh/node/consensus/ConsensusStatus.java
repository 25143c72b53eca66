package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;

import java.util.Optional;

/**
 * What {@code agentmesh status} shows about consensus on one node.
 *
 * @param role         MicroRaft's role (LEADER, FOLLOWER, CANDIDATE, LEARNER), or INITIAL / STOPPED
 * @param leader       the leader this node knows of, if any
 * @param term         current Raft term
 * @param appliedIndex highest log index applied to the journal here
 * @param pending      intents without an outcome in this node's CRDT and not in flight here
 * @param inFlight     intents this node (as leader) is claiming, performing or completing
 * @param completed    intents completed in the journal (replicated: the same on every member once caught up)
 */
public record ConsensusStatus(String role, Optional<NodeId> leader, long term, long appliedIndex, int pending,
                              int inFlight, long completed) {
    public boolean isLeader() {
        return "LEADER".equals(role);
    }
}
