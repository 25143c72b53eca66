package io.agentmesh.node.llm;

import java.util.OptionalLong;

/**
 * How one attempt at one provider ended. The provider layer produces it; the router and the cost ledger read it.
 */
public sealed interface AttemptResult {
    /** The provider and model the attempt went to. */
    String providerId();

    String model();

    /** Milliseconds from the attempt's start to its end, on the monotonic clock. */
    long elapsedMs();

    /**
     * A complete answer: for a stream, its terminal event arrived. {@code answer} is the provider layer's own
     * representation of the result (the gateway turns it into the client's format).
     *
     * @param firstTokenMs      milliseconds to the first token (equal to {@code elapsedMs} when not streamed)
     * @param finishReason      as the provider said it (stop, length, tool_calls, content_filter...)
     * @param providerRequestId the provider's id for the request (x-request-id, the response id), or empty
     */
    record Completed(String providerId, String model, long elapsedMs, long firstTokenMs, Usage usage,
                     String finishReason, String providerRequestId, Object answer) implements AttemptResult {
    }

    /**
     * A failed attempt.
     *
     * @param httpStatus   the HTTP status, or 0 when there was none (transport failures, timeouts)
     * @param retryAfterMs the provider's Retry-After (or retry-after-ms) as a delay, when it gave one
     * @param usage        usage the provider reported despite the failure (a cut stream's last usage), else NONE
     * @param message      what happened, for the operator: never the key, never the prompt
     */
    record Failed(String providerId, String model, long elapsedMs, ErrorClass error, int httpStatus,
                  OptionalLong retryAfterMs, Usage usage, String message) implements AttemptResult {
    }
}
