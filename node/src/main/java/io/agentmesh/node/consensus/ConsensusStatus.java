package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;

import java.util.Optional;

/**
 * What {@code agentmesh status} shows about consensus on one node.
 *
 * @param role                MicroRaft's role (LEADER, FOLLOWER, CANDIDATE, LEARNER), or INITIAL / STOPPED
 * @param leader              the leader this node knows of, if any
 * @param term                current Raft term
 * @param appliedIndex        highest log index applied to the journal here
 * @param pending             intents without an outcome in this node's CRDT and not in flight here
 * @param inFlight            intents this node (as leader) is claiming, performing or completing
 * @param completed           intents completed in the journal (replicated: the same on every member once caught up)
 * @param stuckFollowerResets times this node dropped a silent leader MicroRaft itself would never have dropped (a
 *                            stale pre-vote blocked it; see {@link ElectionLiveness})
 * @param higherTermsAdopted  times this node moved up to the higher term of a refused pre-vote
 */
public record ConsensusStatus(String role, Optional<NodeId> leader, long term, long appliedIndex, int pending,
                              int inFlight, long completed, long stuckFollowerResets, long higherTermsAdopted) {
    public boolean isLeader() {
        return "LEADER".equals(role);
    }
}
