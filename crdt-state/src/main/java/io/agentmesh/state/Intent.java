package io.agentmesh.state;

/**
 * A request for a side effect (an LLM call, a payment...). Anyone may request; only the Raft leader performs it
 * and then records an {@link Outcome} under the same id.
 *
 * @param fence the agent run that requested it, as the {@code Agentmesh-Fence} header carried it
 *              ({@code <term>.<index>}, {@link #FENCE_FORMAT}), or {@code null} when the request carried none (the
 *              CLI, people, schedules, and every intent written before the field existed)
 */
public record Intent(String id, String kind, String payloadJson, String requestedBy, long requestedMillis,
                     String fence) {
    /** How a fence reads: two decimal numbers joined by a dot, the index at least 1. */
    public static final String FENCE_FORMAT = "<term>.<index>, e.g. 7.1042";

    /** An intent that no agent run requested. */
    public Intent(String id, String kind, String payloadJson, String requestedBy, long requestedMillis) {
        this(id, kind, payloadJson, requestedBy, requestedMillis, null);
    }
}
