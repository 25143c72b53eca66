package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;

import java.util.List;
import java.util.Optional;

/**
 * What {@code agentmesh status} shows about consensus on one node.
 *
 * @param role                MicroRaft's role (LEADER, FOLLOWER, CANDIDATE, LEARNER), or DISCOVERING (asking
 *                            peers which group to join), REFUSED (see {@code note}), REMOVED, INITIAL or STOPPED
 * @param leader              the leader this node knows of, if any
 * @param term                current Raft term
 * @param appliedIndex        highest log index applied to the journal here
 * @param pending             intents without an outcome in this node's CRDT and not in flight here
 * @param inFlight            intents this node (as leader) is claiming, performing or completing
 * @param completed           intents completed in the journal (replicated: the same on every member once caught up)
 * @param voters              the committed voting members as this node knows them (empty before it is in a group)
 * @param learners            the committed non-voting members (nodes being caught up before they vote)
 * @param note                why this node is not taking part, or what it waits for; empty when all is well
 * @param stuckFollowerResets times this node dropped a silent leader MicroRaft itself would never have dropped (a
 *                            stale pre-vote blocked it; see {@link ElectionLiveness})
 * @param higherTermsAdopted  times this node moved up to the higher term of a refused pre-vote
 * @param candidatePreVotes   times this node, a candidate whose round timed out, pre-voted before another round
 * @param voteTimerResets     times this node, having voted for a candidate, restarted its leader timer (Raft's rule
 *                            that MicroRaft leaves out; see {@link ElectionLiveness})
 * @param staggeredTicks      times this follower held back acting on a silent leader until its rank's turn
 *                            ({@link ElectionLiveness}, "Staggered candidates")
 */
public record ConsensusStatus(String role, Optional<NodeId> leader, long term, long appliedIndex, int pending,
                              int inFlight, long completed, List<String> voters, List<String> learners,
                              Optional<String> note, long stuckFollowerResets, long higherTermsAdopted,
                              long candidatePreVotes, long voteTimerResets,
                              long staggeredTicks) {
    public ConsensusStatus {
        voters = List.copyOf(voters);
        learners = List.copyOf(learners);
    }

    public boolean isLeader() {
        return "LEADER".equals(role);
    }
}
