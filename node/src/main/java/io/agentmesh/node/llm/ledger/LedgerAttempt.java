package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.config.Target;

import java.util.Objects;
import java.util.Optional;

/**
 * One attempt of a call as the ledger holds it: started with its worst case reserved, then ended with what it cost.
 *
 * @param worstCaseNanoUsd the reservation made when it started; it counts against the budgets until the attempt ends
 * @param ended            whether its end was recorded (by its holder, or by a settlement or close that found it
 *                         without one)
 * @param error            how it failed; empty for a complete answer or while it has no end
 * @param chargedNanoUsd   what it was charged, in-doubt part included (0 while it has no end)
 * @param inDoubtNanoUsd   the part of the charge that is in doubt: the reservation of a possibly billed attempt whose
 *                         usage is unknown
 * @param endedMillis      when its end was recorded (leader's wall clock), 0 while it has none
 */
public record LedgerAttempt(int number, Target target, long worstCaseNanoUsd, long startedMillis, boolean ended,
                            Optional<ErrorClass> error, long chargedNanoUsd, long inDoubtNanoUsd, long endedMillis) {
    public LedgerAttempt {
        if (number < 1 || number > LedgerOp.MAX_ATTEMPTS) {
            throw new IllegalArgumentException("attempt number is 1.." + LedgerOp.MAX_ATTEMPTS + ", got " + number);
        }
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(error, "error");
        if (worstCaseNanoUsd < 0 || startedMillis < 0 || chargedNanoUsd < 0 || inDoubtNanoUsd < 0 || endedMillis < 0) {
            throw new IllegalArgumentException("attempt amounts and times are never negative: " + worstCaseNanoUsd
                    + ", " + startedMillis + ", " + chargedNanoUsd + ", " + inDoubtNanoUsd + ", " + endedMillis);
        }
        if (inDoubtNanoUsd > chargedNanoUsd) {
            throw new IllegalArgumentException("the in-doubt part (" + inDoubtNanoUsd + ") is part of the charge ("
                    + chargedNanoUsd + ")");
        }
        if (!ended && (error.isPresent() || chargedNanoUsd != 0 || endedMillis != 0)) {
            throw new IllegalArgumentException("an attempt without an end has no error, charge or end time");
        }
    }

    static LedgerAttempt started(int number, Target target, long worstCaseNanoUsd, long startedMillis) {
        return new LedgerAttempt(number, target, worstCaseNanoUsd, startedMillis, false, Optional.empty(), 0, 0, 0);
    }

    LedgerAttempt end(Optional<ErrorClass> error, long chargedNanoUsd, long inDoubtNanoUsd, long endedMillis) {
        return new LedgerAttempt(number, target, worstCaseNanoUsd, startedMillis, true, error, chargedNanoUsd,
                inDoubtNanoUsd, endedMillis);
    }

    /** The UTC day of its start, as days since 1970-01-01: the spend row it counts in. */
    public long epochDay() {
        return Math.floorDiv(startedMillis, LlmLedger.MILLIS_PER_DAY);
    }
}
