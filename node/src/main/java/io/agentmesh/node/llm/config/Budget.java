package io.agentmesh.node.llm.config;

import io.agentmesh.node.llm.cost.NanoUsd;

import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;

/**
 * A spending limit. The journal enforces it (a call's worst case is reserved against every budget that covers it
 * before the call is sent), so concurrent calls and failover cannot pass it.
 *
 * @param provider     the provider it covers, or every provider
 * @param model        the model it covers (at {@code provider}, or anywhere), or every model
 * @param period       the calendar period it resets on, in UTC
 * @param limitNanoUsd the limit
 * @param enforcement  hard (calls are refused) or soft (calls go on and an alarm is raised)
 */
public record Budget(Optional<String> provider, Optional<String> model, Period period, long limitNanoUsd,
                     Enforcement enforcement) {
    public static final long MAX_LIMIT_NANO_USD = 1_000_000 * NanoUsd.PER_USD;

    public enum Period {
        DAY, MONTH;

        /** The first and last UTC epoch day of this kind of period around {@code epochDay}. */
        public long[] epochDays(long epochDay) {
            return switch (this) {
                case DAY -> new long[] {epochDay, epochDay};
                case MONTH -> {
                    LocalDate d = LocalDate.ofEpochDay(epochDay);
                    yield new long[] {d.withDayOfMonth(1).toEpochDay(),
                            d.withDayOfMonth(d.lengthOfMonth()).toEpochDay()};
                }
            };
        }
    }

    public enum Enforcement { HARD, SOFT }

    public Budget {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(enforcement, "enforcement");
        if (limitNanoUsd <= 0 || limitNanoUsd > MAX_LIMIT_NANO_USD) {
            throw new IllegalArgumentException("limitUsd must be more than 0 and at most 1000000, got "
                    + NanoUsd.format(limitNanoUsd));
        }
    }

    /** Whether a call to this target counts against this budget. */
    public boolean covers(Target t) {
        return provider.map(p -> p.equals(t.providerId())).orElse(true)
                && model.map(m -> m.equals(t.model())).orElse(true);
    }

    /** For status and messages: {@code openai/gpt-4o per day: $5.00 (hard)}. */
    public String describe() {
        String scope = provider.orElse("every provider") + "/" + model.orElse("every model");
        return scope + " per " + period.name().toLowerCase(java.util.Locale.ROOT) + ": "
                + NanoUsd.format(limitNanoUsd) + " (" + enforcement.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
