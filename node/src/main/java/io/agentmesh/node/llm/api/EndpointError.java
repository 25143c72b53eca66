package io.agentmesh.node.llm.api;

import io.agentmesh.node.llm.gateway.CallResult;

import java.util.Objects;
import java.util.Optional;

/**
 * A request the endpoints answer with an error, before any of the answer was sent: the status, the kind (each format
 * writes its own type name for it) and a message for the agent's developer. Thrown by the parsers and built from a
 * failed call; never carries a key or the prompt.
 */
final class EndpointError extends RuntimeException {
    /**
     * What went wrong, with its HTTP status and the type names each format writes. {@code retryable} is whether an SDK
     * may retry it by itself: agentmesh is the only retry loop (the gateway has already failed over and waited out
     * what it could), so only the endpoint's own overload is, and every other error carries {@code x-should-retry:
     * false}.
     */
    enum Kind {
        INVALID_REQUEST(400, "invalid_request_error", "invalid_request_error", false),
        CONTEXT_TOO_LONG(400, "invalid_request_error", "invalid_request_error", false),
        CONTENT_POLICY(400, "invalid_request_error", "invalid_request_error", false),
        NOT_FOUND(404, "invalid_request_error", "not_found_error", false),
        METHOD_NOT_ALLOWED(405, "invalid_request_error", "invalid_request_error", false),
        TOO_LARGE(413, "invalid_request_error", "request_too_large", false),
        BUDGET_EXCEEDED(429, "budget_exceeded", "budget_exceeded", false),
        INTERNAL(500, "server_error", "api_error", false),
        UPSTREAM_UNAVAILABLE(502, "upstream_error", "api_error", false),
        NOT_LEADER(503, "not_leader", "not_leader", false),
        NOT_CONFIGURED(503, "not_configured", "not_configured", false),
        CANCELLED(503, "cancelled", "api_error", false),
        OVERLOADED(503, "overloaded", "overloaded_error", true),
        DEADLINE_PASSED(504, "timeout", "timeout_error", false);

        final int status;
        final String openAiType;
        final String anthropicType;
        final boolean retryable;

        Kind(int status, String openAiType, String anthropicType, boolean retryable) {
            this.status = status;
            this.openAiType = openAiType;
            this.anthropicType = anthropicType;
            this.retryable = retryable;
        }
    }

    /** Seconds an SDK waits before it retries an {@link Kind#OVERLOADED} answer. */
    static final int OVERLOADED_RETRY_AFTER_S = 1;

    final Kind kind;
    /** OpenAI's {@code code} (e.g. {@code model_not_found}), or null. */
    final String code;
    /** OpenAI's {@code param}: the request field at fault, or null. */
    final String param;

    EndpointError(Kind kind, String code, String param, String message) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.code = code;
        this.param = param;
    }

    static EndpointError invalid(String param, String code, String message) {
        return new EndpointError(Kind.INVALID_REQUEST, code, param, message);
    }

    int status() {
        return kind.status;
    }

    /**
     * A failed call as the endpoints answer it (the table is in docs/llm.md, "Endpoints for the agent").
     * {@code NOT_LEADER} names the leader when the gateway knows it.
     */
    static EndpointError of(CallResult.Failed failed) {
        String message = failed.message();
        return switch (failed.failure()) {
            case NOT_LEADER -> new EndpointError(Kind.NOT_LEADER, "not_leader", null, notLeaderMessage(message,
                    failed.leaderHint()));
            case NOT_CONFIGURED -> new EndpointError(Kind.NOT_CONFIGURED, "not_configured", null, message);
            case UNKNOWN_MODEL -> new EndpointError(Kind.NOT_FOUND, "model_not_found", "model", message);
            case BUDGET_EXCEEDED -> new EndpointError(Kind.BUDGET_EXCEEDED, "budget_exceeded", null, message);
            case REQUEST_REJECTED -> new EndpointError(Kind.INVALID_REQUEST, "request_rejected", null, message);
            case CONTEXT_TOO_LONG -> new EndpointError(Kind.CONTEXT_TOO_LONG, "context_length_exceeded", "messages",
                    message);
            case CONTENT_POLICY -> new EndpointError(Kind.CONTENT_POLICY, "content_policy_violation", null, message);
            case UPSTREAM_UNAVAILABLE, STREAM_FAILED -> new EndpointError(Kind.UPSTREAM_UNAVAILABLE,
                    failed.failure() == CallResult.Failure.STREAM_FAILED ? "stream_failed" : "upstream_unavailable",
                    null, message);
            case DEADLINE_PASSED -> new EndpointError(Kind.DEADLINE_PASSED, "deadline_passed", null, message);
            case OVERLOADED -> new EndpointError(Kind.OVERLOADED, "overloaded", null, message);
            case CANCELLED -> new EndpointError(Kind.CANCELLED, "cancelled", null, message);
        };
    }

    private static String notLeaderMessage(String message, Optional<String> leader) {
        String where = leader.filter(id -> !message.contains(id)).map(id -> "; the leader is node " + id)
                .orElse(leader.isEmpty() ? "; no leader is known now" : "");
        return message + where + ". An agent calls LLMs through the node that started it (AGENTMESH_API), which"
                + " leads while the agent runs; this endpoint does not forward calls";
    }
}
