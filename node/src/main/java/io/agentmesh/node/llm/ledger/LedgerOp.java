package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Operations of the LLM call ledger, replicated through Raft and applied by {@link LlmLedger} on every member
 * (docs/llm.md, "The journal"). Every call is one entry: opened by the leader, each attempt recorded (its worst case
 * reserved against the budgets) before its request is sent, each attempt's end recorded with what it cost, then
 * closed. A call its leader left open is settled by a later leader: every attempt without an end is charged its
 * worst case as "in doubt, possibly billed".
 *
 * <p>Times travel in the operations (the leader's wall clock when it submitted them), because applying an operation
 * must give the same result on every member. For the same reason, the budgets an attempt is checked against travel
 * in {@link AttemptStart}: llm.json is node-local, the ledger's decision may not depend on it.
 *
 * <p>Each record checks its fields on construction, so a decoded operation is always well formed (invariant 8).
 */
public sealed interface LedgerOp permits LedgerOp.Open, LedgerOp.AttemptStart, LedgerOp.AttemptEnd,
        LedgerOp.Close, LedgerOp.Settle {
    int MAX_CALL_ID_CHARS = 256;
    int MAX_NODE_ID_CHARS = 128;
    int MAX_NAME_CHARS = 256;
    int MAX_MESSAGE_CHARS = 1024;
    /** More attempts than any routing.maxAttempts allows. */
    int MAX_ATTEMPTS = 64;
    int MAX_BUDGETS = 64;

    String callId();

    /** Where a call came from: an agent's request on a node's endpoint, or an {@code llm} intent. */
    enum Origin { ENDPOINT, INTENT }

    /** How a call ended. */
    enum CallStatus {
        /** A complete answer went back. */
        ANSWERED,
        /** Ended without an answer: refused by routing or budget, every attempt failed, or the client went away. */
        FAILED,
        /** Settled by a later leader: its holder was lost, and what it had sent may have been billed. */
        IN_DOUBT
    }

    /**
     * The leader of {@code term} ({@code nodeId}) opens a call. Granted unless the ledger knows {@code callId}; the
     * committed (term, index) is the call's token, which every later operation of its holder carries.
     */
    record Open(String callId, String nodeId, long term, Origin origin, long openedMillis) implements LedgerOp {
        public Open {
            text(callId, "callId", MAX_CALL_ID_CHARS);
            text(nodeId, "nodeId", MAX_NODE_ID_CHARS);
            Objects.requireNonNull(origin, "origin");
            nonNegative(term, "term");
            nonNegative(openedMillis, "openedMillis");
        }
    }

    /**
     * The holder records attempt {@code attemptNumber} (1, 2, ...) before sending it, reserving
     * {@code worstCaseNanoUsd}. Granted only for the call's token, with the next attempt number, and when every hard
     * budget in {@code budgets} covering {@code target} still has room for the worst case (spent, in doubt and
     * reserved in the budget's period at {@code startedMillis}, plus this one); soft budgets never refuse, their
     * excess is reported in the result.
     */
    record AttemptStart(String callId, FencingToken token, int attemptNumber, Target target, long worstCaseNanoUsd,
                        List<Budget> budgets, long startedMillis) implements LedgerOp {
        public AttemptStart {
            text(callId, "callId", MAX_CALL_ID_CHARS);
            Objects.requireNonNull(token, "token");
            checkAttemptNumber(attemptNumber);
            checkTarget(target);
            nonNegative(worstCaseNanoUsd, "worstCaseNanoUsd");
            budgets = List.copyOf(budgets);
            if (budgets.size() > MAX_BUDGETS) {
                throw new IllegalArgumentException("at most " + MAX_BUDGETS + " budgets, got " + budgets.size());
            }
            nonNegative(startedMillis, "startedMillis");
        }
    }

    /**
     * The holder records how attempt {@code attemptNumber} ended. {@code error} is empty for a complete answer.
     * {@code chargedNanoUsd} is what the attempt cost by the price table from the usage the provider reported;
     * {@code usageKnown} is false when a possibly billed failure reported no usage, and then the ledger charges the
     * reservation as in doubt instead. {@code retryAfterUntilMillis} is the absolute time the provider asked to wait
     * for (Retry-After), or 0. The end also becomes a health fact of {@code target}, which a new leader's router
     * inherits.
     */
    record AttemptEnd(String callId, FencingToken token, int attemptNumber, Target target, Optional<ErrorClass> error,
                      int httpStatus, Usage usage, boolean usageKnown, long chargedNanoUsd, long elapsedMs,
                      long firstTokenMs, long retryAfterUntilMillis, String keyFingerprint, long endedMillis)
            implements LedgerOp {
        public AttemptEnd {
            text(callId, "callId", MAX_CALL_ID_CHARS);
            Objects.requireNonNull(token, "token");
            checkAttemptNumber(attemptNumber);
            checkTarget(target);
            Objects.requireNonNull(error, "error");
            Objects.requireNonNull(usage, "usage");
            if (error.isEmpty() && !usageKnown) {
                throw new IllegalArgumentException("a complete answer always has its usage known");
            }
            if (httpStatus < 0 || httpStatus > 999) {
                throw new IllegalArgumentException("httpStatus is 0 (none) or 100..999, got " + httpStatus);
            }
            nonNegative(chargedNanoUsd, "chargedNanoUsd");
            nonNegative(elapsedMs, "elapsedMs");
            nonNegative(firstTokenMs, "firstTokenMs");
            nonNegative(retryAfterUntilMillis, "retryAfterUntilMillis");
            Objects.requireNonNull(keyFingerprint, "keyFingerprint");
            if (keyFingerprint.length() > MAX_NAME_CHARS) {
                throw new IllegalArgumentException("keyFingerprint has at most " + MAX_NAME_CHARS + " characters");
            }
            nonNegative(endedMillis, "endedMillis");
        }
    }

    /** The holder closes its call; {@code message} says why for a failed one (never the prompt, never a key). */
    record Close(String callId, FencingToken token, CallStatus status, String message, long closedMillis)
            implements LedgerOp {
        public Close {
            text(callId, "callId", MAX_CALL_ID_CHARS);
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(status, "status");
            if (status == CallStatus.IN_DOUBT) {
                throw new IllegalArgumentException("only Settle marks a call in doubt");
            }
            Objects.requireNonNull(message, "message");
            if (message.length() > MAX_MESSAGE_CHARS) {
                throw new IllegalArgumentException("message has at most " + MAX_MESSAGE_CHARS + " characters");
            }
            nonNegative(closedMillis, "closedMillis");
        }
    }

    /**
     * The leader of {@code term} settles a call opened in an older term and still open: its attempts without an end
     * are charged their reservation as in doubt, and the call is closed {@link CallStatus#IN_DOUBT}. Refused for a
     * call of the same or a newer term (its holder may still be working on it).
     */
    record Settle(String callId, String nodeId, long term, long settledMillis) implements LedgerOp {
        public Settle {
            text(callId, "callId", MAX_CALL_ID_CHARS);
            text(nodeId, "nodeId", MAX_NODE_ID_CHARS);
            nonNegative(term, "term");
            nonNegative(settledMillis, "settledMillis");
        }
    }

    private static void text(String value, String name, int maxChars) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty() || value.length() > maxChars) {
            throw new IllegalArgumentException(name + " has 1 to " + maxChars + " characters, got " + value.length());
        }
    }

    private static void nonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }

    private static void checkAttemptNumber(int n) {
        if (n < 1 || n > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("attemptNumber is 1.." + MAX_ATTEMPTS + ", got " + n);
        }
    }

    private static void checkTarget(Target t) {
        Objects.requireNonNull(t, "target");
        text(t.providerId(), "providerId", MAX_NAME_CHARS);
        text(t.model(), "model", MAX_NAME_CHARS);
    }
}
