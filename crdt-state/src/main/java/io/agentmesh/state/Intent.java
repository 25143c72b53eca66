package io.agentmesh.state;

/**
 * A request for a side effect (an LLM call, a payment...). Anyone may request; only the Raft leader performs it
 * and then records an {@link Outcome} under the same id.
 */
public record Intent(String id, String kind, String payloadJson, String requestedBy, long requestedMillis) {
}
