package io.agentmesh.node.llm.route;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.config.CircuitConfig;
import io.agentmesh.node.llm.config.CooldownConfig;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ProbeConfig;
import io.agentmesh.node.llm.config.ProviderKeys;
import io.agentmesh.node.llm.config.Target;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The health of every target, and the one place that turns attempt results into health: an immutable value, each
 * change a pure function of the book, the event and its time (given, never read), so a replica applying the same
 * events gets the same book and a seeded simulation replays it.
 *
 * <p>One action per {@link io.agentmesh.node.llm.ErrorClass}:
 * <ul>
 *   <li>RATE_LIMITED: no attempt at that model before the provider's Retry-After (capped; the configured wait
 *       without one); the router fails over meanwhile. Not a circuit failure: the provider is up.</li>
 *   <li>SPEND_LIMIT: the whole provider is left alone for the configured time and an alarm is raised; never
 *       retried there.</li>
 *   <li>OVERLOADED, FIRST_TOKEN_TIMEOUT, STREAM_IDLE, STREAM_CUT, TIMEOUT, MALFORMED_RESPONSE: a provider fault at
 *       that model: a doubling cooldown, and a failure in the circuit's window.</li>
 *   <li>CONNECT: the same fault at every model of the provider (the host is unreachable, whatever the model).</li>
 *   <li>AUTH: the whole provider is disabled until the node's key for it changes.</li>
 *   <li>MODEL_NOT_FOUND: that model is left alone for the configured time.</li>
 *   <li>CONTEXT_TOO_LONG, CONTENT_POLICY, BAD_REQUEST: the request's fault, not the provider's: health unchanged
 *       (the router decides what the call does).</li>
 * </ul>
 *
 * @param entries each target's health; a target missing here is {@link ProviderHealth#fresh fresh}
 */
public record HealthBook(CircuitConfig circuit, CooldownConfig cooldowns, ProbeConfig probes,
                         SortedMap<Target, ProviderHealth> entries) {
    public HealthBook {
        Objects.requireNonNull(circuit, "circuit");
        Objects.requireNonNull(cooldowns, "cooldowns");
        Objects.requireNonNull(probes, "probes");
        entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
        entries.forEach((t, h) -> {
            if (!t.equals(h.target())) {
                throw new IllegalArgumentException("health keyed " + t + " is about " + h.target());
            }
        });
    }

    /** Every configured target fresh, under the config's circuit, cooldown and probe settings. */
    public static HealthBook empty(LlmConfig config) {
        SortedMap<Target, ProviderHealth> entries = new TreeMap<>();
        config.targets().forEach(t -> entries.put(t, ProviderHealth.fresh(t)));
        return new HealthBook(config.circuit(), config.cooldowns(), config.probes(), entries);
    }

    public ProviderHealth health(Target t) {
        ProviderHealth h = entries.get(t);
        return h != null ? h : ProviderHealth.fresh(t);
    }

    /**
     * Whether {@code t} may be sent an attempt at {@code nowMillis}.
     *
     * @param keyFingerprints the fingerprint of this node's key for each provider it has one for
     *                        ({@link ProviderKeys#fingerprints()})
     */
    public Availability availability(Target t, long nowMillis, Map<String, String> keyFingerprints) {
        return health(t).availability(nowMillis, Optional.ofNullable(keyFingerprints.get(t.providerId())), circuit,
                probes);
    }

    /** An attempt at {@code t} is being sent at {@code nowMillis} (after the router chose it). */
    public HealthBook attemptStarted(Target t, long nowMillis) {
        return with(t, h -> h.attemptStarted(nowMillis, circuit, probes));
    }

    /**
     * The book after {@code result}, which ended at {@code nowMillis}.
     *
     * @param keyFingerprint the fingerprint of the key the attempt was sent with
     *                       ({@link ProviderKeys#NO_KEY_FINGERPRINT} for a provider that takes none): what an AUTH
     *                       failure disables
     */
    public HealthBook apply(AttemptResult result, long nowMillis, String keyFingerprint) {
        Objects.requireNonNull(keyFingerprint, "keyFingerprint");
        Target t = new Target(result.providerId(), result.model());
        return switch (result) {
            case AttemptResult.Completed c -> with(t, h -> h.succeeded(nowMillis, c.firstTokenMs(), circuit))
                    .withProvider(t.providerId(), h -> h.accountConfirmed(nowMillis));
            case AttemptResult.Failed f -> switch (f.error()) {
                case RATE_LIMITED -> with(t, h -> h.retryAfter(nowMillis, f.retryAfterMs(), f.error(), cooldowns));
                case SPEND_LIMIT -> with(t, UnaryOperator.identity())
                        .withProvider(t.providerId(), h -> h.spendLimited(nowMillis, cooldowns));
                case AUTH -> with(t, UnaryOperator.identity())
                        .withProvider(t.providerId(), h -> h.keyRejected(nowMillis, keyFingerprint));
                case MODEL_NOT_FOUND -> with(t, h -> h.modelNotFound(nowMillis, cooldowns));
                case CONNECT -> with(t, UnaryOperator.identity()).withProvider(t.providerId(),
                        h -> h.faulted(nowMillis, f.error(), f.retryAfterMs(), circuit, cooldowns));
                case OVERLOADED, FIRST_TOKEN_TIMEOUT, STREAM_IDLE, STREAM_CUT, TIMEOUT, MALFORMED_RESPONSE ->
                        with(t, h -> h.faulted(nowMillis, f.error(), f.retryAfterMs(), circuit, cooldowns));
                case CONTEXT_TOO_LONG, CONTENT_POLICY, BAD_REQUEST ->
                        with(t, h -> h.requestRefused(nowMillis, f.error()));
                // The caller gave up (its client went away, the node lost leadership, the stream's reader fell
                // behind): nothing was learnt about the provider. A probe cancelled this way is replaced after
                // openMs, like one whose leader died.
                case CANCELLED -> this;
            };
        };
    }

    private HealthBook with(Target t, UnaryOperator<ProviderHealth> change) {
        SortedMap<Target, ProviderHealth> next = new TreeMap<>(entries);
        next.put(t, change.apply(health(t)));
        return new HealthBook(circuit, cooldowns, probes, next);
    }

    /** Applies {@code change} to every known target of the provider. */
    private HealthBook withProvider(String providerId, UnaryOperator<ProviderHealth> change) {
        SortedMap<Target, ProviderHealth> next = new TreeMap<>(entries);
        next.replaceAll((t, h) -> t.providerId().equals(providerId) ? change.apply(h) : h);
        return new HealthBook(circuit, cooldowns, probes, next);
    }
}
