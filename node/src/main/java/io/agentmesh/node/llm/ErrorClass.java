package io.agentmesh.node.llm;

/**
 * Why an attempt at a provider failed, one class per distinct action the router takes. The provider layer decides
 * the class from the HTTP status, the error body and the transport; the router decides what to do with it.
 */
public enum ErrorClass {
    /** 429 rate limit: wait for Retry-After when it is short, otherwise fail over; the provider cools down. */
    RATE_LIMITED,
    /** 429 or 402 meaning the account's spend limit or credit is exhausted: never retried there; an operator alert. */
    SPEND_LIMIT,
    /** 5xx, Anthropic's 529 or an in-stream "overloaded" error: back off or fail over. */
    OVERLOADED,
    /** The prompt does not fit the model: only a model with a larger context may take it. */
    CONTEXT_TOO_LONG,
    /** Refused by the provider's content policy: fails the call by default. */
    CONTENT_POLICY,
    /** 401/403: the key is wrong or lacks access; the provider is disabled until its key changes. */
    AUTH,
    /** 404 for the model: that model is disabled at that provider. */
    MODEL_NOT_FOUND,
    /** Any other 4xx: the request itself is wrong; no other provider will take it either. */
    BAD_REQUEST,
    /**
     * No connection: refused, connect timeout, DNS, TLS handshake. Nothing reached the provider. A connection lost
     * after the request was sent is {@link #STREAM_CUT}: the provider may have processed it.
     */
    CONNECT,
    /** Connected and sent, but no first token within the first-token timeout. */
    FIRST_TOKEN_TIMEOUT,
    /** A stream that went silent for longer than the stream-idle timeout. */
    STREAM_IDLE,
    /**
     * The connection closed or reset after the request was sent and before the answer's end: before any response, a
     * response body cut short, or a stream that ended without its terminal event.
     */
    STREAM_CUT,
    /** The overall deadline of the attempt passed. */
    TIMEOUT,
    /** A 2xx answer that does not parse, or lacks what a result needs (usage included). */
    MALFORMED_RESPONSE,
    /**
     * The caller abandoned the attempt (its client went away, its stream sink overflowed, the node lost leadership).
     * Not the provider's fault: no cooldown; the caller decides whether the call continues.
     */
    CANCELLED;

    /**
     * Whether the request may have been processed, and so billed, by the provider: the ledger books the reservation
     * as possibly spent. Only failures before anything was sent, or answered with a refusal, are surely free.
     */
    public boolean possiblyBilled() {
        return switch (this) {
            case CONNECT, AUTH, MODEL_NOT_FOUND, BAD_REQUEST, RATE_LIMITED, SPEND_LIMIT, CONTEXT_TOO_LONG -> false;
            case OVERLOADED, CONTENT_POLICY, FIRST_TOKEN_TIMEOUT, STREAM_IDLE, STREAM_CUT, TIMEOUT,
                 MALFORMED_RESPONSE, CANCELLED -> true;
        };
    }
}
