package io.agentmesh.state;

/**
 * The result of performing an intent, keyed by its intent id.
 *
 * @param status      e.g. "succeeded", "failed"
 * @param result      result text (JSON or prose)
 * @param performedBy node id of the leader that performed it
 * @param term        Raft term of the claim (fencing token, with index)
 * @param index       Raft log index of the claim
 */
public record Outcome(String intentId, String status, String result, String performedBy, long term, long index,
                      long completedMillis) {
}
