package io.agentmesh.node.consensus;

import io.microraft.RaftEndpoint;
import io.microraft.model.message.PreVoteRequest;
import io.microraft.model.message.RaftMessage;
import io.microraft.model.message.TriggerLeaderElectionRequest;
import io.microraft.model.message.VoteRequest;
import io.microraft.transport.Transport;

/**
 * A witness's transport: everything goes out as through {@code mesh} except requests for votes. MicroRaft on a witness
 * still runs its pre-vote rounds when the leader goes silent, but no member ever hears of them, so the witness never
 * gathers pre-votes, never becomes a candidate and never leads; it keeps granting votes and acknowledging appends,
 * which is all a witness is for. Pre-voting does not change the term, so these silent rounds disturb nobody.
 */
final class WitnessTransport implements Transport {
    private final Transport mesh;
    private long electionRequestsDropped;

    WitnessTransport(Transport mesh) {
        this.mesh = mesh;
    }

    /** Whether a witness must keep {@code message} to itself: it asks others to make it (or someone) leader. */
    static boolean asksForLeadership(RaftMessage message) {
        return message instanceof PreVoteRequest || message instanceof VoteRequest
                || message instanceof TriggerLeaderElectionRequest;
    }

    @Override
    public void send(RaftEndpoint target, RaftMessage message) {
        if (asksForLeadership(message)) {
            electionRequestsDropped++;
            return;
        }
        mesh.send(target, message);
    }

    @Override
    public boolean isReachable(RaftEndpoint endpoint) {
        return mesh.isReachable(endpoint);
    }

    /** Pre-vote and vote requests this witness kept to itself. */
    long electionRequestsDropped() {
        return electionRequestsDropped;
    }
}
