package io.agentmesh.node.llm.route;

import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.config.CircuitConfig;
import io.agentmesh.node.llm.config.CooldownConfig;
import io.agentmesh.node.llm.config.ProbeConfig;
import io.agentmesh.node.llm.config.Target;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What this cluster knows of one target's health: a plain, immutable value whose times are all absolute (wall clock,
 * epoch ms), so it can be replicated as is and read the same by any node at any later time. Every change is a pure
 * function of the old value, an event and the event's time. A deadline in the past restricts nothing.
 *
 * @param circuit                the circuit breaker
 * @param window                 the ends of recent attempts (oldest first, at most {@link #MAX_WINDOW}), for the
 *                               circuit's failure rate
 * @param consecutiveFailures    provider faults since the last success, for the cooldown's doubling
 * @param cooldownUntilMillis    no attempt before this, after a provider fault
 * @param retryAfterUntilMillis  no attempt before this: the provider's own Retry-After
 * @param rejectedKeyFingerprint the fingerprint of a key the provider refused (401/403); disabled until the node's key
 *                               for that provider has another fingerprint
 * @param spendLimitUntilMillis  no attempt before this: the provider said the account's spend limit is reached
 * @param spendLimitAlarmSince   when that alarm was raised; cleared by the provider's next success
 * @param modelNotFoundUntilMillis no attempt before this: the provider said the model does not exist
 * @param probeStartsMillis      when this target's half-open probes started in the last hour (the probe budget)
 * @param firstTokenEwmaMs       recent time to first token (weight 1/4 for the newest), or -1 before any success
 * @param lastError              the class of the last failure, for status
 * @param lastChangeMillis       when this value last changed
 */
public record ProviderHealth(Target target, Circuit circuit, List<Outcome> window, int consecutiveFailures,
                             long cooldownUntilMillis, long retryAfterUntilMillis,
                             Optional<String> rejectedKeyFingerprint, long spendLimitUntilMillis,
                             OptionalLong spendLimitAlarmSince, long modelNotFoundUntilMillis,
                             List<Long> probeStartsMillis, long firstTokenEwmaMs, Optional<ErrorClass> lastError,
                             long lastChangeMillis) {
    public static final int MAX_WINDOW = 100;
    static final long HOUR_MS = 3_600_000;

    public ProviderHealth {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(circuit, "circuit");
        window = List.copyOf(window);
        Objects.requireNonNull(rejectedKeyFingerprint, "rejectedKeyFingerprint");
        Objects.requireNonNull(spendLimitAlarmSince, "spendLimitAlarmSince");
        probeStartsMillis = List.copyOf(probeStartsMillis);
        Objects.requireNonNull(lastError, "lastError");
        if (window.size() > MAX_WINDOW) {
            throw new IllegalArgumentException("a circuit window holds at most " + MAX_WINDOW + " outcomes");
        }
        if (consecutiveFailures < 0) {
            throw new IllegalArgumentException("consecutiveFailures is never negative");
        }
    }

    /** A target nothing is known of: closed, no deadlines. */
    public static ProviderHealth fresh(Target target) {
        return new ProviderHealth(target, new Circuit.Closed(), List.of(), 0, 0, 0, Optional.empty(), 0,
                OptionalLong.empty(), 0, List.of(), -1, Optional.empty(), 0);
    }

    /**
     * Whether an attempt may be sent to this target at {@code nowMillis}, given the fingerprint of the key this node
     * holds for its provider (empty: no key). When several restrictions apply, the one lasting longest is reported,
     * so its time is when the target is next available.
     */
    public Availability availability(long nowMillis, Optional<String> keyFingerprint, CircuitConfig circuitConfig,
                                     ProbeConfig probes) {
        if (keyFingerprint.isEmpty()) {
            return new Availability.Unavailable(Availability.Reason.NO_KEY, Availability.UNTIL_CHANGED);
        }
        if (rejectedKeyFingerprint.equals(keyFingerprint)) {
            return new Availability.Unavailable(Availability.Reason.KEY_REJECTED, Availability.UNTIL_CHANGED);
        }
        Availability.Unavailable worst = null;
        worst = later(worst, Availability.Reason.SPEND_LIMIT, spendLimitUntilMillis, nowMillis);
        worst = later(worst, Availability.Reason.MODEL_NOT_FOUND, modelNotFoundUntilMillis, nowMillis);
        worst = later(worst, Availability.Reason.RETRY_AFTER, retryAfterUntilMillis, nowMillis);
        worst = later(worst, Availability.Reason.COOLDOWN, cooldownUntilMillis, nowMillis);
        switch (circuit) {
            case Circuit.Closed c -> {
            }
            case Circuit.Open o -> worst = later(worst, Availability.Reason.CIRCUIT_OPEN, o.untilMillis(), nowMillis);
            case Circuit.HalfOpen h -> {
                if (h.probesStarted() >= circuitConfig.halfOpenProbes()) {
                    worst = later(worst, Availability.Reason.PROBE_IN_FLIGHT,
                            h.sinceMillis() + circuitConfig.openMs(), nowMillis);
                }
            }
        }
        // Any attempt at a circuit that is not closed is a probe, now or when it opens: the budget applies to both.
        boolean probe = !(circuit instanceof Circuit.Closed);
        if (probe) {
            List<Long> lastHour = probeStartsMillis.stream().filter(t -> t > nowMillis - HOUR_MS).toList();
            if (lastHour.size() >= probes.maxPerHour()) {
                // The probe budget frees a slot when the oldest of the last maxPerHour probes leaves the hour.
                long frees = lastHour.get(lastHour.size() - probes.maxPerHour()) + HOUR_MS;
                worst = later(worst, Availability.Reason.PROBE_BUDGET, frees, nowMillis);
            }
        }
        return worst != null ? worst : new Availability.Available(probe);
    }

    private static Availability.Unavailable later(Availability.Unavailable worst, Availability.Reason reason,
                                                  long untilMillis, long nowMillis) {
        if (untilMillis <= nowMillis || worst != null && worst.untilMillis() >= untilMillis) {
            return worst;
        }
        return new Availability.Unavailable(reason, untilMillis);
    }

    /**
     * An attempt was sent at {@code nowMillis}: a half-open circuit (or an open one whose time is up) counts it as a
     * probe against its allowance and the hour's probe budget.
     */
    ProviderHealth attemptStarted(long nowMillis, CircuitConfig circuitConfig, ProbeConfig probes) {
        Circuit next;
        switch (circuit) {
            case Circuit.Closed c -> {
                return this;
            }
            case Circuit.Open o when o.untilMillis() > nowMillis -> {
                return this;
            }
            case Circuit.Open o -> next = new Circuit.HalfOpen(nowMillis, 1);
            case Circuit.HalfOpen h -> next = h.probesStarted() < circuitConfig.halfOpenProbes()
                    ? new Circuit.HalfOpen(h.sinceMillis(), h.probesStarted() + 1)
                    : new Circuit.HalfOpen(nowMillis, 1);
        }
        List<Long> starts = new ArrayList<>();
        for (long t : probeStartsMillis) {
            if (t > nowMillis - HOUR_MS) {
                starts.add(t);
            }
        }
        starts.add(nowMillis);
        while (starts.size() > probes.maxPerHour()) {
            starts.remove(0);
        }
        return with(next, window, consecutiveFailures, cooldownUntilMillis, starts, lastError, nowMillis);
    }

    /** A complete answer: the circuit closes (from half-open), cooldowns and alarms clear, latency is learnt. */
    ProviderHealth succeeded(long nowMillis, long firstTokenMs, CircuitConfig circuitConfig) {
        Circuit next = switch (circuit) {
            case Circuit.Open o when o.untilMillis() > nowMillis -> o;
            case Circuit.Closed c -> c;
            default -> new Circuit.Closed();
        };
        List<Outcome> w = next instanceof Circuit.Closed && !(circuit instanceof Circuit.Closed)
                ? List.of(new Outcome(nowMillis, false))
                : record(window, new Outcome(nowMillis, false), nowMillis, circuitConfig);
        long ewma = firstTokenEwmaMs < 0 ? Math.max(0, firstTokenMs) : (3 * firstTokenEwmaMs + Math.max(0,
                firstTokenMs)) / 4;
        return new ProviderHealth(target, next, w, 0, 0, retryAfterUntilMillis, Optional.empty(), 0,
                OptionalLong.empty(), 0, probeStartsMillis, ewma, Optional.empty(), nowMillis);
    }

    /**
     * A provider fault (overloaded, unreachable, timed out, cut or malformed answer): the cooldown doubles, the
     * window counts a failure, and the circuit opens when the window's failure rate says so (at once from
     * half-open). A Retry-After given with the fault (a 503's) is honoured too.
     */
    ProviderHealth faulted(long nowMillis, ErrorClass error, OptionalLong retryAfterMs, CircuitConfig circuitConfig,
                           CooldownConfig cooldowns) {
        int failures = consecutiveFailures == Integer.MAX_VALUE ? consecutiveFailures : consecutiveFailures + 1;
        long backoff = cooldowns.baseMs() == 0 ? 0
                : Math.min(cooldowns.maxMs(), cooldowns.baseMs() * (1L << Math.min(failures - 1, 30)));
        List<Outcome> w = record(window, new Outcome(nowMillis, true), nowMillis, circuitConfig);
        Circuit next = switch (circuit) {
            case Circuit.Open o when o.untilMillis() > nowMillis -> o;
            case Circuit.Open o -> new Circuit.Open(nowMillis + circuitConfig.openMs());
            case Circuit.HalfOpen h -> new Circuit.Open(nowMillis + circuitConfig.openMs());
            case Circuit.Closed c -> tripped(w, circuitConfig) ? new Circuit.Open(nowMillis + circuitConfig.openMs())
                    : c;
        };
        ProviderHealth h = with(next, w, failures, Math.max(cooldownUntilMillis, nowMillis + backoff),
                probeStartsMillis, Optional.of(error), nowMillis);
        return retryAfterMs.isPresent() ? h.retryAfter(nowMillis, retryAfterMs, error, cooldowns) : h;
    }

    /** A 429 rate limit: no attempt before the provider's Retry-After (capped), or the configured wait without one. */
    ProviderHealth retryAfter(long nowMillis, OptionalLong retryAfterMs, ErrorClass error, CooldownConfig cooldowns) {
        long delay = Math.min(Math.max(0, retryAfterMs.orElse(cooldowns.rateLimitedMs())), cooldowns.maxRetryAfterMs());
        // Never shortened by a later, shorter answer (LiteLLM #40130 kept the first, shorter deadline).
        long until = Math.max(retryAfterUntilMillis, nowMillis + delay);
        return new ProviderHealth(target, circuit, window, consecutiveFailures, cooldownUntilMillis, until,
                rejectedKeyFingerprint, spendLimitUntilMillis, spendLimitAlarmSince, modelNotFoundUntilMillis,
                probeStartsMillis, firstTokenEwmaMs, Optional.of(error), nowMillis);
    }

    /** The provider refused the key with this fingerprint: disabled until the node holds another key. */
    ProviderHealth keyRejected(long nowMillis, String keyFingerprint) {
        return new ProviderHealth(target, circuit, window, consecutiveFailures, cooldownUntilMillis,
                retryAfterUntilMillis, Optional.of(keyFingerprint), spendLimitUntilMillis, spendLimitAlarmSince,
                modelNotFoundUntilMillis, probeStartsMillis, firstTokenEwmaMs, Optional.of(ErrorClass.AUTH),
                nowMillis);
    }

    /** The account's spend limit: no attempt for the configured time, and an alarm until the next success. */
    ProviderHealth spendLimited(long nowMillis, CooldownConfig cooldowns) {
        return new ProviderHealth(target, circuit, window, consecutiveFailures, cooldownUntilMillis,
                retryAfterUntilMillis, rejectedKeyFingerprint,
                Math.max(spendLimitUntilMillis, nowMillis + cooldowns.spendLimitMs()),
                spendLimitAlarmSince.isPresent() ? spendLimitAlarmSince : OptionalLong.of(nowMillis),
                modelNotFoundUntilMillis, probeStartsMillis, firstTokenEwmaMs, Optional.of(ErrorClass.SPEND_LIMIT),
                nowMillis);
    }

    /** A 404 for the model: left alone for the configured time. */
    ProviderHealth modelNotFound(long nowMillis, CooldownConfig cooldowns) {
        return new ProviderHealth(target, circuit, window, consecutiveFailures, cooldownUntilMillis,
                retryAfterUntilMillis, rejectedKeyFingerprint, spendLimitUntilMillis, spendLimitAlarmSince,
                Math.max(modelNotFoundUntilMillis, nowMillis + cooldowns.modelNotFoundMs()), probeStartsMillis,
                firstTokenEwmaMs, Optional.of(ErrorClass.MODEL_NOT_FOUND), nowMillis);
    }

    /** A failure that was the request's, not the provider's: only remembered for status. */
    ProviderHealth requestRefused(long nowMillis, ErrorClass error) {
        return with(circuit, window, consecutiveFailures, cooldownUntilMillis, probeStartsMillis, Optional.of(error),
                nowMillis);
    }

    /** A success elsewhere at the same provider proves the account and key are fine: clears those alarms. */
    ProviderHealth accountConfirmed(long nowMillis) {
        if (rejectedKeyFingerprint.isEmpty() && spendLimitUntilMillis == 0 && spendLimitAlarmSince.isEmpty()) {
            return this;
        }
        return new ProviderHealth(target, circuit, window, consecutiveFailures, cooldownUntilMillis,
                retryAfterUntilMillis, Optional.empty(), 0, OptionalLong.empty(), modelNotFoundUntilMillis,
                probeStartsMillis, firstTokenEwmaMs, lastError, nowMillis);
    }

    private ProviderHealth with(Circuit c, List<Outcome> w, int failures, long cooldownUntil, List<Long> probes,
                                Optional<ErrorClass> error, long nowMillis) {
        return new ProviderHealth(target, c, w, failures, cooldownUntil, retryAfterUntilMillis,
                rejectedKeyFingerprint, spendLimitUntilMillis, spendLimitAlarmSince, modelNotFoundUntilMillis, probes,
                firstTokenEwmaMs, error, nowMillis);
    }

    private static List<Outcome> record(List<Outcome> window, Outcome o, long nowMillis, CircuitConfig config) {
        List<Outcome> out = new ArrayList<>();
        for (Outcome x : window) {
            if (x.atMillis() > nowMillis - config.windowMs()) {
                out.add(x);
            }
        }
        out.add(o);
        while (out.size() > MAX_WINDOW) {
            out.remove(0);
        }
        return out;
    }

    private static boolean tripped(List<Outcome> window, CircuitConfig config) {
        long failures = window.stream().filter(Outcome::failure).count();
        return window.size() >= config.minimumCalls()
                && failures * 100 >= (long) config.failureRatePercent() * window.size();
    }
}
