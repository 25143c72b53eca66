package io.agentmesh.node.replication;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.state.store.VersionVector;

import java.util.List;

/**
 * A finished catch-up from a majority: this node now durably holds every change that a majority of the voters held
 * when asked.
 *
 * @param asked          the voters asked for their durable vector (a witness too: it answers with an empty one)
 * @param answered       the voters whose answers made the majority of the newest voter configuration heard of,
 *                       each answering from within it, this node included when it is
 * @param majority       how many voters make a majority of that configuration
 * @param target         the union of the answers: what this node had to hold
 * @param changesMissing how many changes of {@code target} this node lacked when the majority had answered (what it
 *                       pulled)
 * @param tookMs         from the call to completion, on this node's monotonic clock
 * @param consensusOff   true when this node takes no part in consensus and so is its own majority (nothing asked)
 */
public record CatchUp(List<NodeId> asked, List<NodeId> answered, int majority, VersionVector target,
                      long changesMissing, long tookMs, boolean consensusOff) {
    public CatchUp {
        asked = List.copyOf(asked);
        answered = List.copyOf(answered);
    }
}
