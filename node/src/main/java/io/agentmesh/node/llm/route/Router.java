package io.agentmesh.node.llm.route;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ModelConfig;
import io.agentmesh.node.llm.config.RoutingConfig;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.cost.UnpricedModelException;
import io.agentmesh.protocol.time.Clock;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses a call's next attempt: a pure function of the config, the health book, the key fingerprints, the time
 * (read once from the injected clock), the call's needs and the attempts it made so far. The same inputs give the
 * same decision, on any node, in a simulation's replay too.
 *
 * <p>The steps, each named in the decision's line:
 * <ol>
 *   <li>The call ends when it has an answer, has made {@code maxAttempts} attempts, its last failure was the
 *       request's (BAD_REQUEST; CONTENT_POLICY unless {@code onContentPolicy} is {@code failover}), or its deadline
 *       passed.</li>
 *   <li>The candidates are the alias's targets, or every provider's model of that name, in llm.json's order.</li>
 *   <li>Passed over for this call: a provider that refused the key or hit its spend limit in this call, a model that
 *       was not found or refused the content in this call, a model whose context is not larger than one that was too
 *       small, one the prompt does not fit, one that cannot stream when the client streams.</li>
 *   <li>Of the rest, those the health book allows now; targets this call already tried go last (a retry lands on
 *       another provider when there is one), then the strategy's order (llm.json's, lowest worst-case cost, lowest
 *       time to first token), then llm.json's order.</li>
 *   <li>With none allowed now, the one allowed soonest, if that is within {@code maxWaitMs} and the deadline:
 *       the attempt waits for it (a Retry-After honoured, not a failure); otherwise the call ends.</li>
 * </ol>
 */
public final class Router {
    /** How many passed-over targets a decision's line names; the rest are counted. */
    static final int MAX_NAMED = 8;

    private final LlmConfig config;
    private final Clock clock;

    public Router(LlmConfig config, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The next step of a call.
     *
     * @param health          the health book as it stands (with every earlier attempt's result applied)
     * @param keyFingerprints this node's key fingerprint per provider ({@code ProviderKeys.fingerprints()})
     * @param attempts        this call's attempts so far, oldest first
     */
    public RouteDecision next(HealthBook health, Map<String, String> keyFingerprints, CallNeeds needs,
                              List<AttemptResult> attempts) {
        long now = clock.nowMillis();
        RoutingConfig routing = config.routing();
        int made = attempts.size();
        String call = "call \"" + needs.modelOrAlias() + "\" at " + Instant.ofEpochMilli(now) + ", " + made
                + " attempt" + (made == 1 ? "" : "s") + " made";
        String after = attempts.isEmpty() ? "" : "; last: " + describe(attempts.get(made - 1));

        if (attempts.stream().anyMatch(a -> a instanceof AttemptResult.Completed)) {
            return refuse(RouteDecision.Reason.ALREADY_COMPLETED, made, now, call + ": already answered" + after);
        }
        if (made >= routing.maxAttempts()) {
            return refuse(RouteDecision.Reason.ATTEMPTS_EXHAUSTED, made, now, call + ": all " + routing.maxAttempts()
                    + " attempts made (routing.maxAttempts)" + after);
        }
        if (!attempts.isEmpty() && attempts.get(made - 1) instanceof AttemptResult.Failed last) {
            if (last.error() == ErrorClass.BAD_REQUEST) {
                return refuse(RouteDecision.Reason.REQUEST_REJECTED, made, now, call
                        + ": the provider called the request invalid, no other provider would take it" + after);
            }
            if (last.error() == ErrorClass.CONTENT_POLICY
                    && routing.onContentPolicy() == RoutingConfig.ContentPolicyAction.FAIL) {
                return refuse(RouteDecision.Reason.CONTENT_POLICY, made, now, call
                        + ": refused by the provider's content policy (routing.onContentPolicy is fail)" + after);
            }
        }
        if (needs.deadlineMillis().isPresent() && now >= needs.deadlineMillis().getAsLong()) {
            return refuse(RouteDecision.Reason.DEADLINE_PASSED, made, now, call + ": its deadline "
                    + Instant.ofEpochMilli(needs.deadlineMillis().getAsLong()) + " has passed" + after);
        }

        List<Target> candidates = candidates(needs.modelOrAlias());
        if (candidates.isEmpty()) {
            return refuse(RouteDecision.Reason.UNKNOWN_MODEL, made, now, call + ": no configured model, alias or"
                    + " provider/model of that name");
        }

        Map<Target, String> passedOver = new LinkedHashMap<>();
        long tooSmallContext = tooSmallContext(attempts);
        Set<Target> contextExcluded = new HashSet<>();
        List<Target> eligible = new ArrayList<>();
        for (Target c : candidates) {
            ModelConfig m = config.model(c).orElseThrow();
            Optional<String> why = excludedForCall(c, attempts);
            if (why.isEmpty() && m.contextTokens() <= tooSmallContext) {
                why = Optional.of("context " + m.contextTokens() + " not larger than " + tooSmallContext
                        + ", which was too small");
                contextExcluded.add(c);
            }
            if (why.isEmpty() && needs.estimatedInputTokens() >= m.contextTokens()) {
                why = Optional.of("prompt of ~" + needs.estimatedInputTokens() + " tokens does not fit context "
                        + m.contextTokens());
                contextExcluded.add(c);
            }
            if (why.isEmpty() && needs.streaming() && !m.streaming()) {
                why = Optional.of("cannot stream");
            }
            if (why.isPresent()) {
                passedOver.put(c, why.get());
            } else {
                eligible.add(c);
            }
        }
        if (eligible.isEmpty()) {
            boolean lastWasContext = !attempts.isEmpty() && attempts.get(made - 1) instanceof AttemptResult.Failed f
                    && f.error() == ErrorClass.CONTEXT_TOO_LONG;
            boolean context = contextExcluded.size() == candidates.size() || lastWasContext;
            return refuse(context ? RouteDecision.Reason.CONTEXT_TOO_LONG : RouteDecision.Reason.NO_TARGET_AVAILABLE,
                    made, now, call + ": no target left" + passed(passedOver) + after);
        }

        Map<Target, Availability> availability = new LinkedHashMap<>();
        List<Target> availableNow = new ArrayList<>();
        for (Target c : eligible) {
            Availability a = health.availability(c, now, keyFingerprints);
            availability.put(c, a);
            if (a instanceof Availability.Available) {
                availableNow.add(c);
            }
        }
        Comparator<Target> order = Comparator.<Target>comparingLong(c -> tries(c, attempts))
                .thenComparingLong(c -> score(c, needs, health))
                .thenComparingInt(candidates::indexOf);
        for (Target c : eligible) {
            if (availability.get(c) instanceof Availability.Unavailable u) {
                passedOver.put(c, u.describe());
            }
        }
        String strategy = routing.strategy().name().toLowerCase(java.util.Locale.ROOT);
        if (!availableNow.isEmpty()) {
            Target pick = availableNow.stream().min(order).orElseThrow();
            boolean probe = ((Availability.Available) availability.get(pick)).probe();
            return new RouteDecision.Attempt(pick, made + 1, routing.maxAttempts(), now, now, probe,
                    call + ": attempt " + (made + 1) + "/" + routing.maxAttempts() + " -> " + pick + " now ("
                            + strategy + (tries(pick, attempts) > 0 ? ", a retry: no untried target is available"
                            : "") + (probe ? ", half-open probe" : "") + ")" + passed(passedOver) + after);
        }
        Optional<Target> soonest = eligible.stream()
                .filter(c -> ((Availability.Unavailable) availability.get(c)).untilMillis()
                        != Availability.UNTIL_CHANGED)
                .min(Comparator.<Target>comparingLong(c -> ((Availability.Unavailable) availability.get(c))
                        .untilMillis()).thenComparing(order));
        if (soonest.isPresent()) {
            long at = ((Availability.Unavailable) availability.get(soonest.get())).untilMillis();
            boolean inWait = at - now <= routing.maxWaitMs();
            boolean inDeadline = needs.deadlineMillis().isEmpty() || at < needs.deadlineMillis().getAsLong();
            if (inWait && inDeadline) {
                boolean probe = !(health.health(soonest.get()).circuit() instanceof Circuit.Closed);
                return new RouteDecision.Attempt(soonest.get(), made + 1, routing.maxAttempts(), now, at, probe,
                        call + ": attempt " + (made + 1) + "/" + routing.maxAttempts() + " -> " + soonest.get()
                                + " at " + Instant.ofEpochMilli(at) + ", in " + (at - now) + " ms (" + strategy
                                + "; the soonest available, within routing.maxWaitMs " + routing.maxWaitMs() + ")"
                                + passed(passedOver) + after);
            }
            return refuse(RouteDecision.Reason.NO_TARGET_AVAILABLE, made, now, call + ": no target available; the"
                    + " soonest, " + soonest.get() + " at " + Instant.ofEpochMilli(at) + ", is "
                    + (inWait ? "past the call's deadline" : "beyond routing.maxWaitMs " + routing.maxWaitMs() + " ms")
                    + passed(passedOver) + after);
        }
        return refuse(RouteDecision.Reason.NO_TARGET_AVAILABLE, made, now, call + ": no target available"
                + passed(passedOver) + after);
    }

    /** The targets a name stands for, in routing order. */
    List<Target> candidates(String modelOrAlias) {
        List<Target> alias = config.routing().aliases().get(modelOrAlias);
        if (alias != null) {
            return alias;
        }
        List<Target> byName = config.targets().stream().filter(t -> t.model().equals(modelOrAlias)).toList();
        if (!byName.isEmpty()) {
            return byName;
        }
        try {
            Target t = Target.parse(modelOrAlias);
            return config.model(t).isPresent() ? List.of(t) : List.of();
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    /** Why this call must not try {@code c} again, from what its earlier attempts learnt. */
    private static Optional<String> excludedForCall(Target c, List<AttemptResult> attempts) {
        for (AttemptResult a : attempts) {
            if (!(a instanceof AttemptResult.Failed f)) {
                continue;
            }
            boolean sameProvider = f.providerId().equals(c.providerId());
            boolean sameTarget = sameProvider && f.model().equals(c.model());
            switch (f.error()) {
                case AUTH -> {
                    if (sameProvider) {
                        return Optional.of("refused the key in this call");
                    }
                }
                case SPEND_LIMIT -> {
                    if (sameProvider) {
                        return Optional.of("spend limit reached in this call");
                    }
                }
                case MODEL_NOT_FOUND -> {
                    if (sameTarget) {
                        return Optional.of("model not found in this call");
                    }
                }
                case CONTENT_POLICY -> {
                    if (sameTarget) {
                        return Optional.of("refused the content in this call");
                    }
                }
                default -> {
                }
            }
        }
        return Optional.empty();
    }

    /** The largest context a CONTEXT_TOO_LONG failure of this call proved too small (0 without one). */
    private long tooSmallContext(List<AttemptResult> attempts) {
        long max = 0;
        for (AttemptResult a : attempts) {
            if (a instanceof AttemptResult.Failed f && f.error() == ErrorClass.CONTEXT_TOO_LONG) {
                Optional<ModelConfig> m = config.model(new Target(f.providerId(), f.model()));
                // A model that is no longer configured: assume it was as large as any, so only larger ones qualify.
                max = Math.max(max, m.map(ModelConfig::contextTokens).orElse(0L));
            }
        }
        return max;
    }

    private static long tries(Target c, List<AttemptResult> attempts) {
        return attempts.stream().filter(a -> a.providerId().equals(c.providerId()) && a.model().equals(c.model()))
                .count();
    }

    /** The strategy's rank of a target: lower first. */
    private long score(Target c, CallNeeds needs, HealthBook health) {
        return switch (config.routing().strategy()) {
            case ORDERED -> 0;
            case COST -> {
                ModelConfig m = config.model(c).orElseThrow();
                try {
                    yield config.pricing().worstCase(c.providerId(), c.model(), needs.estimatedInputTokens(),
                            Math.min(needs.maxOutputTokens(), m.maxOutputTokens())).totalNanoUsd();
                } catch (UnpricedModelException | ArithmeticException e) {
                    yield Long.MAX_VALUE;
                }
            }
            // Unmeasured (-1) first, so every target gets measured.
            case LATENCY -> health.health(c).firstTokenEwmaMs();
        };
    }

    private static RouteDecision.Refusal refuse(RouteDecision.Reason reason, int made, long now, String line) {
        return new RouteDecision.Refusal(reason, made, now, line);
    }

    private static String describe(AttemptResult a) {
        return switch (a) {
            case AttemptResult.Completed c -> c.providerId() + "/" + c.model() + " completed";
            case AttemptResult.Failed f -> f.providerId() + "/" + f.model() + " " + f.error()
                    + (f.httpStatus() > 0 ? " (HTTP " + f.httpStatus() + ")" : "");
        };
    }

    private static String passed(Map<Target, String> passedOver) {
        if (passedOver.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("; passed over ");
        int i = 0;
        for (Map.Entry<Target, String> e : passedOver.entrySet()) {
            if (i == MAX_NAMED) {
                b.append(", and ").append(passedOver.size() - MAX_NAMED).append(" more");
                break;
            }
            b.append(i++ == 0 ? "" : ", ").append(e.getKey()).append(": ").append(e.getValue());
        }
        return b.toString();
    }
}
