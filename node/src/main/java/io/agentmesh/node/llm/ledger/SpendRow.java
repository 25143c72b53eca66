package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.llm.config.Target;

import java.time.LocalDate;
import java.util.Objects;

/**
 * What one target cost on one UTC day (the day each attempt started). Charges and token counts come from attempt
 * ends; a call is counted once, when it closes, on the target and day of its last attempt (a call closed without an
 * attempt is counted nowhere).
 *
 * @param epochDay       the UTC day, as days since 1970-01-01 ({@link #day()} is its text)
 * @param chargedNanoUsd what the provider's reported usage cost, by the price table
 * @param inDoubtNanoUsd reservations of possibly billed attempts whose usage is unknown: possibly spent, counted as
 *                       spent by the budgets
 * @param attempts       attempts started
 */
public record SpendRow(long epochDay, Target target, long chargedNanoUsd, long inDoubtNanoUsd, long attempts,
                       long callsAnswered, long callsFailed, long callsInDoubt, long inputTokens,
                       long cachedInputTokens, long cacheWriteTokens, long outputTokens) {
    /** The range of days {@link LocalDate} can name. */
    public static final long MIN_EPOCH_DAY = LocalDate.MIN.toEpochDay();
    public static final long MAX_EPOCH_DAY = LocalDate.MAX.toEpochDay();

    public SpendRow {
        Objects.requireNonNull(target, "target");
        if (epochDay < MIN_EPOCH_DAY || epochDay > MAX_EPOCH_DAY) {
            throw new IllegalArgumentException("day " + epochDay + " is out of range");
        }
        if (chargedNanoUsd < 0 || inDoubtNanoUsd < 0 || attempts < 0 || callsAnswered < 0 || callsFailed < 0
                || callsInDoubt < 0 || inputTokens < 0 || cachedInputTokens < 0 || cacheWriteTokens < 0
                || outputTokens < 0) {
            throw new IllegalArgumentException("spend figures are never negative: " + target + " on day " + epochDay);
        }
    }

    static SpendRow empty(long epochDay, Target target) {
        return new SpendRow(epochDay, target, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** The UTC day as {@code yyyy-MM-dd}. */
    public String day() {
        return LocalDate.ofEpochDay(epochDay).toString();
    }

    /** Charged and in doubt: what a budget counts as spent. */
    public long spentNanoUsd() {
        return LlmLedger.saturatedAdd(chargedNanoUsd, inDoubtNanoUsd);
    }
}
