package io.agentmesh.node.llm.gateway;

import io.agentmesh.node.llm.AttemptResult;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a call through the gateway ended: an answer, or a failure that says why in words the agent's developer can act
 * on. Never an answer that is not whole (a cut or unterminated stream is a failure).
 */
public sealed interface CallResult {
    String callId();

    /** Every attempt the call made, oldest first (the last one is the answer when it was answered). */
    List<AttemptResult> attempts();

    /**
     * A complete answer.
     *
     * @param costNanoUsd what the whole call cost (every attempt, failed ones included), from the price table
     */
    record Answered(String callId, AttemptResult.Completed answer, List<AttemptResult> attempts, long costNanoUsd)
            implements CallResult {
        public Answered {
            Objects.requireNonNull(answer, "answer");
            attempts = List.copyOf(attempts);
        }
    }

    /**
     * No answer.
     *
     * @param leaderHint for {@link Failure#NOT_LEADER}: the leader's node id, when known
     * @param message    what happened and what to do next, for the client and the operator (never a key or the
     *                   prompt)
     */
    record Failed(String callId, Failure failure, String message, Optional<String> leaderHint,
                  List<AttemptResult> attempts) implements CallResult {
        public Failed {
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(leaderHint, "leaderHint");
            attempts = List.copyOf(attempts);
        }

        /** The last attempt's failure, when the call made one. */
        public Optional<AttemptResult.Failed> lastAttempt() {
            return attempts.isEmpty() || !(attempts.getLast() instanceof AttemptResult.Failed f)
                    ? Optional.empty() : Optional.of(f);
        }
    }

    /** Why a call got no answer; each maps to one HTTP status and error type at the endpoints (docs/llm.md). */
    enum Failure {
        /** This node does not lead: calls are served by the leader, where the agent runs. */
        NOT_LEADER,
        /** No llm.json, or no provider in it. */
        NOT_CONFIGURED,
        /** No configured model, alias or provider/model by that name. */
        UNKNOWN_MODEL,
        /** A hard budget has no room for the call's worst case. */
        BUDGET_EXCEEDED,
        /** The provider called the request invalid; no other provider would take it. */
        REQUEST_REJECTED,
        /** The prompt fits no configured model's context. */
        CONTEXT_TOO_LONG,
        /** Refused by a provider's content policy. */
        CONTENT_POLICY,
        /** Every attempt failed, or no target is available within the call's wait; the message names each one. */
        UPSTREAM_UNAVAILABLE,
        /** A streamed answer failed after some of its text had reached the client: it cannot be retried whole. */
        STREAM_FAILED,
        /** The call's deadline passed. */
        DEADLINE_PASSED,
        /** The gateway is at its limit of calls in flight. */
        OVERLOADED,
        /** The client went away, or this node lost leadership before the call could go on. */
        CANCELLED
    }
}
