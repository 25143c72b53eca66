package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.actions.FencingToken;

import java.util.List;
import java.util.Objects;

/**
 * What applying a {@link LedgerOp} gave, identical on every member. Domain refusals are {@link Rejected} results,
 * never exceptions, so MicroRaft never fails a future for them.
 */
public sealed interface LedgerResult {
    /** The call is open; {@code token} is what its holder's later operations carry. */
    record Opened(String callId, FencingToken token) implements LedgerResult {
    }

    /**
     * The attempt is recorded and its worst case reserved; the holder may send it.
     *
     * @param softBudgetsExceeded each soft budget this attempt's worst case takes past its limit, described
     */
    record Started(String callId, int attemptNumber, List<String> softBudgetsExceeded) implements LedgerResult {
        public Started {
            softBudgetsExceeded = List.copyOf(softBudgetsExceeded);
        }
    }

    /**
     * The attempt's end is recorded: what it was charged ({@code chargedNanoUsd}, the in-doubt part included), and how
     * much of that is in doubt (no usage known: its reservation).
     */
    record Ended(String callId, int attemptNumber, long chargedNanoUsd, long inDoubtNanoUsd) implements LedgerResult {
    }

    record Closed(String callId, LedgerOp.CallStatus status) implements LedgerResult {
    }

    /** A lost holder's call is closed in doubt; {@code inDoubtNanoUsd} is what its unended attempts were charged. */
    record Settled(String callId, int attemptsInDoubt, long inDoubtNanoUsd) implements LedgerResult {
    }

    record Rejected(String callId, Reason reason, String message) implements LedgerResult {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    enum Reason {
        /** Open for a call id the ledger already knows. */
        DUPLICATE_CALL,
        /** The call is not in the ledger (never opened, or closed and forgotten). */
        UNKNOWN_CALL,
        /** The call is closed or settled. */
        CLOSED,
        /** The operation's token is not the call's: a deposed holder's late operation. */
        NOT_HOLDER,
        /** An attempt number out of sequence, or the end of an attempt that was not started or already ended. */
        WRONG_ATTEMPT,
        /** A hard budget has no room for the attempt's worst case; the message names the budget and the figures. */
        BUDGET_EXCEEDED,
        /** Settle for a call of the same or a newer term: its holder may still be working on it. */
        HOLDER_CURRENT,
        /** Open when {@link LlmLedger#MAX_OPEN_CALLS} calls are open already: the ledger's bound, not a budget. */
        TOO_MANY_OPEN_CALLS
    }
}
