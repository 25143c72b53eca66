package io.agentmesh.node.llm.route;

import io.agentmesh.node.llm.config.Target;

import java.util.Objects;

/**
 * The router's answer for a call's next step: one attempt, or the end of the call. Either carries the whole decision
 * as one line, which the journal records with the attempt.
 */
public sealed interface RouteDecision {
    /** Everything the decision considered, in one line. */
    String explanation();

    /**
     * Send the next attempt to {@code target}, not before {@code notBeforeMillis} (equal to the decision's time
     * unless every target is waiting out a deadline that ends within the call's wait limit).
     *
     * @param attemptNumber 1 for the call's first attempt
     * @param probe         whether it is a half-open circuit's probe
     */
    record Attempt(Target target, int attemptNumber, int maxAttempts, long decidedAtMillis, long notBeforeMillis,
                   boolean probe, String explanation) implements RouteDecision {
        public Attempt {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(explanation, "explanation");
            if (attemptNumber < 1 || attemptNumber > maxAttempts || notBeforeMillis < decidedAtMillis) {
                throw new IllegalArgumentException("attempt " + attemptNumber + "/" + maxAttempts + " not before "
                        + notBeforeMillis + " decided at " + decidedAtMillis);
            }
        }
    }

    /** No further attempt: the call ends with this reason. */
    record Refusal(Reason reason, int attemptsMade, long decidedAtMillis, String explanation)
            implements RouteDecision {
        public Refusal {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(explanation, "explanation");
        }
    }

    enum Reason {
        /** No configured model, alias or provider/model by that name. */
        UNKNOWN_MODEL,
        /** The call made its {@code routing.maxAttempts} attempts. */
        ATTEMPTS_EXHAUSTED,
        /** A provider called the request itself invalid (BAD_REQUEST): no other provider would take it either. */
        REQUEST_REJECTED,
        /** A provider refused the content, and {@code routing.onContentPolicy} is {@code fail}. */
        CONTENT_POLICY,
        /** The prompt fits no target that is left (none has a larger context than the one that refused it). */
        CONTEXT_TOO_LONG,
        /** Every target is unavailable (no key, open circuit, deadlines) for longer than the call may wait. */
        NO_TARGET_AVAILABLE,
        /** The call's deadline has passed. */
        DEADLINE_PASSED,
        /** The call already has a complete answer. */
        ALREADY_COMPLETED
    }
}
