package io.agentmesh.node.llm.gateway;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ModelConfig;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.config.ProviderKeys;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.cost.NanoUsd;
import io.agentmesh.node.llm.cost.UnpricedModelException;
import io.agentmesh.node.llm.ledger.LedgerCall;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.provider.AttemptCancel;
import io.agentmesh.node.llm.provider.LlmRequest;
import io.agentmesh.node.llm.provider.StreamSink;
import io.agentmesh.node.llm.route.Availability;
import io.agentmesh.node.llm.route.CallNeeds;
import io.agentmesh.node.llm.route.Circuit;
import io.agentmesh.node.llm.route.HealthBook;
import io.agentmesh.node.llm.route.ProviderHealth;
import io.agentmesh.node.llm.route.RouteDecision;
import io.agentmesh.node.llm.route.Router;
import io.agentmesh.node.port.Failures;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The LLM gateway on the leader (docs/llm.md, "The call loop"): each call is opened in the call ledger, each attempt
 * chosen by the {@link Router}, recorded with its worst case reserved against the budgets before it is sent, sent
 * through the {@link AttemptSender}, and its end (what it cost, its error class, Retry-After, the key's fingerprint)
 * recorded before the next step; the call is closed with its outcome.
 *
 * <p>Threading: every piece of state lives on the node thread ({@link Scheduler}); {@link #call} hops there. The
 * gateway starts no thread: an attempt goes to the {@link AttemptSender} (in production, a bounded pool of attempt
 * threads; in a seeded simulation, the simulated provider), and its result hops back with
 * {@link Scheduler#execute}. A wait for a Retry-After is a scheduler timer, never a sleeping thread.
 *
 * <p>Hedging (docs/llm.md, "Hedging"): an attempt without a first token after its target's hedge delay gets a second
 * attempt at the next target beside it, recorded first like any attempt; the first to deliver a first token wins, the
 * other is cancelled, and only the winner's text reaches the client.
 *
 * <p>Health: before each decision the book is rebuilt from the ledger's recent attempt ends (so a new leader inherits
 * cooldowns, open circuits and Retry-After deadlines) plus this node's attempts still on the wire.
 *
 * <p>Leadership: a call belongs to the term it was opened in. When this node loses that term, an attempt already
 * sent runs to its end and its answer is returned (it may have been billed), but no new attempt starts; a ledger
 * operation that fails for that reason leaves the call open, for the next leader to settle in doubt. When this node
 * becomes leader, once its term's first entry has committed it settles every call of an older term still open
 * ({@link #leadershipChanged}).
 */
public final class LlmGateway implements LlmCalls, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LlmGateway.class);
    public static final int DEFAULT_MAX_CALLS_IN_FLIGHT = 32;
    /** How often the gateway looks whether it has a new term to settle, besides the leader-change callback. */
    public static final long LEADERSHIP_CHECK_MS = 1_000;

    private final String nodeId;
    private final LlmConfig config;
    private final ProviderKeys keys;
    private final AttemptSender sender;
    private final LedgerAccess ledger;
    private final Scheduler scheduler;
    private final Clock clock;
    private final Router router;
    private final int maxCallsInFlight;

    /** How many hedge losses per target the health book replays, like the ledger's recent ends. */
    static final int MAX_HEDGE_LOSSES_PER_TARGET = 32;

    /** A hedge race lost without a first token, as the health book takes it. */
    private record HedgeLoss(long atMillis, AttemptResult.Failed asFault, String keyFingerprint) {
    }

    // Node thread only.
    private final Map<String, Call> calls = new LinkedHashMap<>();
    private final Map<Target, java.util.ArrayDeque<HedgeLoss>> hedgeLosses = new LinkedHashMap<>();
    private long settledTerm = -1;
    private long settlingTerm = -1;
    private Scheduler.Cancellable checkTimer;
    private volatile boolean closed;

    /**
     * @param nodeId    this node's id text, as the ledger records the leader that opens or settles a call
     * @param sender    where attempts go (production: {@code llm.send.ProviderThreads}); closed with the gateway
     * @param maxCallsInFlight calls beyond it are refused as {@code OVERLOADED}
     *
     * <p>Call {@link #start} on the node thread before the first call. Production builds it with
     * {@code llm.send.LlmGateways.create}.
     */
    public LlmGateway(String nodeId, LlmConfig config, ProviderKeys keys, AttemptSender sender, LedgerAccess ledger,
                      Scheduler scheduler, Clock clock, int maxCallsInFlight) {
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.config = Objects.requireNonNull(config, "config");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.router = new Router(config, clock);
        if (maxCallsInFlight < 1) {
            throw new IllegalArgumentException("maxCallsInFlight is at least 1, got " + maxCallsInFlight);
        }
        this.maxCallsInFlight = maxCallsInFlight;
    }

    /** Starts the periodic look for a new term to settle. Node thread. */
    public void start() {
        scheduleCheck();
    }

    private void scheduleCheck() {
        if (closed) {
            return;
        }
        checkTimer = scheduler.schedule(() -> {
            leadershipChanged();
            scheduleCheck();
        }, LEADERSHIP_CHECK_MS);
    }

    public LlmConfig config() {
        return config;
    }

    // ------------------------------------------------------------------------------------------------ one call

    /** The state of one call on this node; node thread. */
    private final class Call {
        final CallRequest request;
        final StreamSink clientSink;
        final CompletableFuture<CallResult> result;
        final long term;
        final PromptSize size;
        final List<AttemptResult> attempts = new ArrayList<>();
        /** Set on provider threads: whether any text reached the client, whether the client refused text. */
        final AtomicBoolean textSent = new AtomicBoolean();
        final AtomicBoolean clientGone = new AtomicBoolean();
        FencingToken token;
        long costNanoUsd;
        /**
         * The attempts started and not ended yet, oldest first: at most two (an attempt and its hedge). Read on
         * provider threads (a winner cancels the others), changed on the node thread.
         */
        final List<Leg> legs = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** The attempt that delivered the first token first since the legs last emptied; only its text is passed. */
        final java.util.concurrent.atomic.AtomicReference<Leg> winner =
                new java.util.concurrent.atomic.AtomicReference<>();
        /** The winner's complete answer, once it ended; the call closes when no other leg is left. */
        AttemptResult.Completed answer;

        Call(CallRequest request, StreamSink clientSink, CompletableFuture<CallResult> result, long term) {
            this.request = request;
            this.clientSink = clientSink;
            this.result = result;
            this.term = term;
            this.size = PromptSize.of(request.chat());
        }

        String id() {
            return request.callId();
        }

        CallNeeds needs() {
            return new CallNeeds(request.modelOrAlias(), size.estimatedTokens(), request.maxOutputTokens(),
                    request.stream(), request.deadlineMillis());
        }

        /**
         * Makes {@code leg} the call's winner unless another leg won already; the first to claim cancels the others
         * (a hedge race decided). Any thread.
         *
         * @return whether {@code leg} is the winner
         */
        boolean claim(Leg leg) {
            if (winner.compareAndSet(null, leg)) {
                leg.firstToken = true;
                for (Leg other : legs) {
                    if (other != leg) {
                        other.lostRace = true;
                        other.cancel.cancel("hedged: attempt " + leg.attempt.attemptNumber() + " at "
                                + leg.attempt.target() + " delivered the first token first");
                    }
                }
                return true;
            }
            return winner.get() == leg;
        }

        /** What one leg's stream hands on: the winner's text to a streaming client; a loser's text nowhere. */
        StreamSink sinkFor(Leg leg) {
            return new StreamSink() {
                @Override
                public boolean offer(String text) {
                    boolean won = text.isEmpty() ? winner.get() == leg : claim(leg);
                    if (!won || !request.stream()) {
                        // A loser is being cancelled; a non-streaming client gets the whole answer as one JSON.
                        return true;
                    }
                    return Call.this.offer(text);
                }

                @Override
                public void firstToken() {
                    claim(leg);
                }
            };
        }

        /** What the provider's stream hands on: to the client, noting whether text reached it. */
        boolean offer(String text) {
            boolean taken = clientSink.offer(text);
            if (!taken) {
                clientGone.set(true);
            } else if (!text.isEmpty()) {
                textSent.set(true);
            }
            return taken;
        }
    }

    /** One attempt of a call, from its AttemptStart to its end. */
    private static final class Leg {
        final RouteDecision.Attempt attempt;
        final boolean hedge;
        final AttemptCancel cancel = new AttemptCancel();
        /** Set by the winner's claim, on any thread. */
        volatile boolean firstToken;
        volatile boolean lostRace;
        // Node thread only.
        boolean sent;
        long sentMillis;
        Scheduler.Cancellable hedgeTimer;

        Leg(RouteDecision.Attempt attempt, boolean hedge) {
            this.attempt = attempt;
            this.hedge = hedge;
        }
    }

    @Override
    public CompletionStage<CallResult> call(CallRequest request, StreamSink sink) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(sink, "sink");
        CompletableFuture<CallResult> result = new CompletableFuture<>();
        if (closed) {
            result.complete(failed(request.callId(), CallResult.Failure.CANCELLED, "node " + nodeId
                    + " is stopping", List.of()));
            return result;
        }
        scheduler.execute(() -> {
            try {
                begin(request, sink, result);
            } catch (RuntimeException e) {
                // A defect must not leave the caller waiting for ever.
                log.error("node {} llm call {} failed unexpectedly", nodeId, request.callId(), e);
                calls.remove(request.callId());
                result.complete(failed(request.callId(), CallResult.Failure.UPSTREAM_UNAVAILABLE,
                        "the gateway failed: " + e, List.of()));
            }
        });
        return result;
    }

    private void begin(CallRequest request, StreamSink sink, CompletableFuture<CallResult> result) {
        String id = request.callId();
        if (config.providers().isEmpty()) {
            result.complete(failed(id, CallResult.Failure.NOT_CONFIGURED, "node " + nodeId + " has "
                    + config.describeSource() + "; see docs/llm.md \"Configuration\"", List.of()));
            return;
        }
        LedgerAccess.Leadership leadership = ledger.leadership();
        if (!leadership.leader()) {
            result.complete(new CallResult.Failed(id, CallResult.Failure.NOT_LEADER, "node " + nodeId
                    + " does not lead; LLM calls are served by the leader"
                    + leadership.leaderId().map(l -> ", node " + l).orElse(" (none known now)"),
                    leadership.leaderId(), List.of()));
            return;
        }
        if (calls.size() >= maxCallsInFlight) {
            result.complete(failed(id, CallResult.Failure.OVERLOADED, "node " + nodeId + " has "
                    + maxCallsInFlight + " LLM calls in flight, its limit; retry shortly", List.of()));
            return;
        }
        if (calls.containsKey(id)) {
            result.complete(failed(id, CallResult.Failure.REQUEST_REJECTED, "call id \"" + id
                    + "\" is already in flight on node " + nodeId, List.of()));
            return;
        }
        Call c = new Call(request, sink, result, leadership.term());
        calls.put(id, c);
        submit(c, new LedgerOp.Open(id, nodeId, c.term, request.origin(), clock.nowMillis()), (r, error) -> {
            if (error != null) {
                finish(c, failed(id, CallResult.Failure.NOT_LEADER, "node " + nodeId + " could not open the call"
                        + " in the ledger (" + Failures.message(error) + "); nothing was sent", List.of()));
                return;
            }
            switch (r) {
                case LedgerResult.Opened opened -> {
                    c.token = opened.token();
                    route(c);
                }
                case LedgerResult.Rejected rej when rej.reason() == LedgerResult.Reason.TOO_MANY_OPEN_CALLS ->
                        finish(c, failed(id, CallResult.Failure.OVERLOADED, "the call ledger is full: "
                                + rej.message(), List.of()));
                case LedgerResult.Rejected rej -> finish(c, failed(id, CallResult.Failure.REQUEST_REJECTED,
                        "the ledger refused to open call \"" + id + "\": " + rej.message(), List.of()));
                default -> finish(c, failed(id, CallResult.Failure.UPSTREAM_UNAVAILABLE,
                        "unexpected ledger answer to Open: " + r, List.of()));
            }
        });
    }

    /** Whether this node still leads the term the call was opened in. */
    private boolean holds(Call c) {
        LedgerAccess.Leadership l = ledger.leadership();
        return l.leader() && l.term() == c.term && !closed;
    }

    /** The router's next step for the call. */
    private void route(Call c) {
        if (!holds(c)) {
            lost(c, "this node lost the leadership of term " + c.term + " after " + c.attempts.size()
                    + " attempt(s); no new attempt starts here");
            return;
        }
        c.winner.set(null);
        RouteDecision decision = router.next(healthBook(), keys.fingerprints(), c.needs(), c.attempts);
        switch (decision) {
            case RouteDecision.Refusal refusal -> {
                log.info("node {} llm call {}: {}", nodeId, c.id(), refusal.explanation());
                close(c, LedgerOp.CallStatus.FAILED, failure(refusal.reason()), refusal.explanation());
            }
            case RouteDecision.Attempt attempt -> {
                log.info("node {} llm call {}: {}", nodeId, c.id(), attempt.explanation());
                long waitMs = attempt.notBeforeMillis() - clock.nowMillis();
                if (waitMs > 0) {
                    scheduler.schedule(() -> guard(c, () -> startAttempt(c, attempt, false)), waitMs);
                } else {
                    startAttempt(c, attempt, false);
                }
            }
        }
    }

    /**
     * Records the attempt (its worst case reserved against the budgets), then sends it. A hedge that cannot be
     * recorded (the budget has no room, the ledger refuses) is not sent, and the attempt it hedges carries on.
     */
    private void startAttempt(Call c, RouteDecision.Attempt attempt, boolean hedge) {
        if (!hedge && !holds(c)) {
            lost(c, "this node lost the leadership of term " + c.term + " while attempt "
                    + attempt.attemptNumber() + " waited to be sent; it was not sent");
            return;
        }
        Target target = attempt.target();
        ModelConfig model = config.model(target).orElseThrow();
        long maxOutput = Math.min(c.request.maxOutputTokens(), model.maxOutputTokens());
        long worstCase;
        try {
            worstCase = config.pricing().worstCase(target.providerId(), target.model(), c.size.upperBoundTokens(),
                    maxOutput).totalNanoUsd();
        } catch (UnpricedModelException | ArithmeticException e) {
            if (hedge) {
                log.info("node {} llm call {}: no hedge at {}: its worst case cannot be priced: {}", nodeId, c.id(),
                        target, e.getMessage());
                return;
            }
            close(c, LedgerOp.CallStatus.FAILED, CallResult.Failure.BUDGET_EXCEEDED, "the worst case of attempt "
                    + attempt.attemptNumber() + " at " + target + " cannot be priced: " + e.getMessage());
            return;
        }
        long startedMillis = clock.nowMillis();
        Leg leg = new Leg(attempt, hedge);
        c.legs.add(leg);
        submit(c, new LedgerOp.AttemptStart(c.id(), c.token, attempt.attemptNumber(), target, worstCase,
                config.budgets(), startedMillis), (r, error) -> {
            if (hedge && !(r instanceof LedgerResult.Started)) {
                c.legs.remove(leg);
                log.info("node {} llm call {}: no hedge, attempt {} at {} was not recorded ({}); the attempt on the"
                                + " wire carries on", nodeId, c.id(), attempt.attemptNumber(), target,
                        error != null ? Failures.message(error) : String.valueOf(r));
                next(c);
                return;
            }
            if (error != null) {
                c.legs.remove(leg);
                lost(c, "attempt " + attempt.attemptNumber() + " could not be recorded (" + Failures.message(error)
                        + "); it was not sent");
                return;
            }
            if (!(r instanceof LedgerResult.Started)) {
                c.legs.remove(leg);
            }
            switch (r) {
                case LedgerResult.Started started -> {
                    started.softBudgetsExceeded().forEach(b -> log.warn("node {} llm call {}: soft budget exceeded:"
                            + " {}", nodeId, c.id(), b));
                    if (c.result.isDone() || (hedge && (c.winner.get() != null || c.legs.size() < 2))) {
                        // Recorded, but the race it was to join is over: ended at once, nothing sent.
                        send(c, leg, 0, true);
                    } else {
                        send(c, leg, (int) Math.min(Integer.MAX_VALUE, maxOutput), false);
                    }
                }
                case LedgerResult.Rejected rej when rej.reason() == LedgerResult.Reason.BUDGET_EXCEEDED -> {
                    log.info("node {} llm call {}: attempt {} at {} refused by the budget: {}", nodeId, c.id(),
                            attempt.attemptNumber(), target, rej.message());
                    close(c, LedgerOp.CallStatus.FAILED, CallResult.Failure.BUDGET_EXCEEDED, rej.message());
                }
                case LedgerResult.Rejected rej -> finish(c, failed(c.id(), CallResult.Failure.CANCELLED,
                        "the ledger refused attempt " + attempt.attemptNumber() + " (" + rej.reason() + ": "
                                + rej.message() + "); it was not sent", c.attempts));
                default -> finish(c, failed(c.id(), CallResult.Failure.UPSTREAM_UNAVAILABLE,
                        "unexpected ledger answer to AttemptStart: " + r, c.attempts));
            }
        });
    }

    /**
     * Hands the attempt to the sender; its result comes back to {@link #attemptEnded} on the node thread, once.
     * Every attempt whose model can stream is streamed upstream, whatever the client asked (docs/llm.md, "Streams"),
     * so the first-token deadline and hedging measure every attempt alike; a non-streaming client still gets one
     * answer. With {@code withdraw}, the recorded attempt ends at once as cancelled, nothing sent.
     */
    private void send(Call c, Leg leg, int maxOutput, boolean withdraw) {
        RouteDecision.Attempt attempt = leg.attempt;
        Target target = attempt.target();
        leg.sent = true;
        leg.sentMillis = clock.nowMillis();
        ProviderKind kind = config.provider(target.providerId()).map(ProviderConfig::kind)
                .orElse(ProviderKind.OPENAI_COMPATIBLE);
        boolean upstreamStream = config.model(target).map(ModelConfig::streaming).orElse(false);
        AtomicBoolean ended = new AtomicBoolean();
        java.util.function.Consumer<AttemptResult> onEnd = r -> {
            if (!ended.compareAndSet(false, true)) {
                log.warn("node {} llm call {}: attempt {} ended twice; the second end is ignored", nodeId, c.id(),
                        attempt.attemptNumber());
                return;
            }
            scheduler.execute(() -> guard(c, () -> attemptEnded(c, leg, r)));
        };
        if (withdraw) {
            leg.sent = false;
            onEnd.accept(new AttemptResult.Failed(target.providerId(), target.model(), 0, ErrorClass.CANCELLED, 0,
                    OptionalLong.empty(), Usage.NONE, "a hedge withdrawn before it was sent: the race was over"));
            return;
        }
        armHedge(c, leg);
        try {
            LlmRequest request = new LlmRequest(target.model(), chatFor(kind, maxOutput, c.request.chat()));
            sender.send(new AttemptSender.Attempt(c.id(), attempt.attemptNumber(), target, request,
                    upstreamStream), c.sinkFor(leg), leg.cancel, onEnd);
        } catch (RuntimeException e) {
            onEnd.accept(new AttemptResult.Failed(target.providerId(), target.model(), 0, ErrorClass.CANCELLED, 0,
                    OptionalLong.empty(), Usage.NONE, "the attempt could not be handed to its sender: " + e));
        }
    }

    /**
     * The request as this attempt sends it: the output limit capped at the model's, as OpenAI's own reasoning
     * models need it ({@code max_completion_tokens}) or as every other API takes it.
     */
    static ChatRequest chatFor(ProviderKind kind, int maxOutputTokens, ChatRequest chat) {
        ChatRequestParameters p = chat.parameters();
        ChatRequestParameters params;
        if (kind == ProviderKind.OPENAI || kind == ProviderKind.AZURE_OPENAI) {
            params = OpenAiChatRequestParameters.builder().overrideWith(p).maxOutputTokens(null)
                    .maxCompletionTokens(maxOutputTokens).build();
        } else if (p instanceof OpenAiChatRequestParameters) {
            params = OpenAiChatRequestParameters.builder().overrideWith(p).maxCompletionTokens(null)
                    .maxOutputTokens(maxOutputTokens).build();
        } else {
            params = p.overrideWith(DefaultChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build());
        }
        return ChatRequest.builder().messages(chat.messages()).parameters(params).build();
    }

    /** Records the attempt's end, then answers, fails, or routes the next attempt. Node thread. */
    private void attemptEnded(Call c, Leg leg, AttemptResult r) {
        RouteDecision.Attempt attempt = leg.attempt;
        if (leg.hedgeTimer != null) {
            leg.hedgeTimer.cancel();
        }
        c.attempts.add(r);
        Target target = attempt.target();
        long endedMillis = clock.nowMillis();
        if (leg.lostRace && !leg.firstToken && leg.sent) {
            hedgeLost(target, endedMillis, r.elapsedMs());
        }
        boolean won = r instanceof AttemptResult.Completed && c.claim(leg);
        Usage usage = usage(r);
        long charged = charge(target, usage);
        boolean usageKnown = !leg.sent || switch (r) {
            case AttemptResult.Completed done -> true;
            case AttemptResult.Failed f -> !usage.equals(Usage.NONE) || !f.error().possiblyBilled();
        };
        Optional<ErrorClass> error = r instanceof AttemptResult.Failed f ? Optional.of(f.error()) : Optional.empty();
        int status = r instanceof AttemptResult.Failed f ? f.httpStatus() : 200;
        long firstTokenMs = r instanceof AttemptResult.Completed done ? Math.max(0, done.firstTokenMs()) : 0;
        long retryAfterUntil = r instanceof AttemptResult.Failed f && f.retryAfterMs().isPresent()
                ? endedMillis + Math.max(0, f.retryAfterMs().getAsLong()) : 0;
        String fingerprint = keys.fingerprints().getOrDefault(target.providerId(), ProviderKeys.NO_KEY_FINGERPRINT);
        log.info("node {} llm call {} attempt {} at {}: {}", nodeId, c.id(), attempt.attemptNumber(), target,
                describe(r));
        LedgerOp.AttemptEnd end = new LedgerOp.AttemptEnd(c.id(), c.token, attempt.attemptNumber(), target, error,
                status, usage, usageKnown, charged, Math.max(0, r.elapsedMs()), firstTokenMs, retryAfterUntil,
                fingerprint, endedMillis);
        submit(c, end, (res, err) -> {
            c.legs.remove(leg);
            if (won) {
                c.answer = (AttemptResult.Completed) r;
            }
            if (c.result.isDone()) {
                return;
            }
            if (err == null && res instanceof LedgerResult.Ended ended) {
                c.costNanoUsd += ended.chargedNanoUsd(); // the in-doubt part included
            } else {
                c.costNanoUsd += charged;
                String why = err != null ? Failures.message(err) : String.valueOf(res);
                String note = "the end of attempt " + attempt.attemptNumber() + " could not be recorded (" + why
                        + "); the call stays open in the ledger for the next leader to settle in doubt";
                if (c.answer != null) {
                    // The provider answered and may have billed it: the answer is the client's all the same.
                    log.info("node {} llm call {}: answered, but {}", nodeId, c.id(), note);
                    c.legs.forEach(l -> l.cancel.cancel("the call ended"));
                    finish(c, new CallResult.Answered(c.id(), c.answer, c.attempts, c.costNanoUsd));
                } else {
                    c.legs.forEach(l -> l.cancel.cancel("the call ended"));
                    finish(c, failed(c.id(), CallResult.Failure.CANCELLED, lastFailure(r) + "; " + note,
                            c.attempts));
                }
                return;
            }
            next(c);
        });
    }

    /**
     * The call's step once an attempt ended or a hedge was not started: while another attempt is still on the wire
     * (a hedge race, or a loser being cancelled) it waits for that one; then it answers, fails, or routes.
     */
    private void next(Call c) {
        if (c.result.isDone() || !c.legs.isEmpty()) {
            return;
        }
        AttemptResult last = c.attempts.isEmpty() ? null : c.attempts.getLast();
        if (c.answer != null) {
            close(c, LedgerOp.CallStatus.ANSWERED, null, "answered");
        } else if (c.clientGone.get()) {
            close(c, LedgerOp.CallStatus.FAILED, CallResult.Failure.CANCELLED,
                    "the client stopped taking the streamed text");
        } else if (c.textSent.get()) {
            close(c, LedgerOp.CallStatus.FAILED, CallResult.Failure.STREAM_FAILED, "the stream failed after part of"
                    + " its text reached the client, so it is not retried: " + lastFailure(winnerFailure(c, last)));
        } else {
            route(c);
        }
    }

    /** The failure to name for a broken stream: the winner's end, not a loser's cancellation that ended later. */
    private static AttemptResult winnerFailure(Call c, AttemptResult last) {
        Leg w = c.winner.get();
        if (w != null) {
            for (AttemptResult a : c.attempts.reversed()) {
                if (a.providerId().equals(w.attempt.target().providerId())
                        && a.model().equals(w.attempt.target().model())
                        && !(a instanceof AttemptResult.Failed f && f.error() == ErrorClass.CANCELLED)) {
                    return a;
                }
            }
        }
        return last;
    }

    // ------------------------------------------------------------------------------------------------ hedging

    /** Arms the hedge of a sent attempt: after its target's hedge delay without a first token, the call hedges. */
    private void armHedge(Call c, Leg leg) {
        var hedge = config.routing().hedge();
        if (!hedge.enabled() || config.routing().maxAttempts() < 2) {
            return;
        }
        long delayMs = hedge.delayMs(healthBook().health(leg.attempt.target()).firstTokenEwmaMs());
        leg.hedgeTimer = scheduler.schedule(() -> guard(c, () -> hedge(c, leg, delayMs)), delayMs);
    }

    /**
     * The attempt has shown no first token within its hedge delay: the call's next attempt starts on the next target
     * the router picks (never the same target), while this one carries on. The router sees the attempt on the wire as
     * already made (it counts against maxAttempts and goes last), so the hedge lands elsewhere or not at all.
     */
    private void hedge(Call c, Leg leg, long delayMs) {
        leg.hedgeTimer = null;
        if (c.result.isDone() || !c.legs.contains(leg) || leg.firstToken || c.winner.get() != null
                || c.legs.size() != 1 || !holds(c)) {
            return;
        }
        List<AttemptResult> seen = new ArrayList<>(c.attempts);
        Target slow = leg.attempt.target();
        seen.add(new AttemptResult.Failed(slow.providerId(), slow.model(), delayMs, ErrorClass.FIRST_TOKEN_TIMEOUT,
                0, OptionalLong.empty(), Usage.NONE, "no first token within the hedge delay " + delayMs + " ms"));
        RouteDecision decision = router.next(healthBook(), keys.fingerprints(), c.needs(), seen);
        String why = switch (decision) {
            case RouteDecision.Refusal refusal -> refusal.explanation();
            case RouteDecision.Attempt a when a.target().equals(slow) -> "the only target left is the same one";
            case RouteDecision.Attempt a when a.notBeforeMillis() > clock.nowMillis() ->
                    "the next target is not available before " + java.time.Instant.ofEpochMilli(a.notBeforeMillis());
            case RouteDecision.Attempt a -> null;
        };
        if (why != null) {
            log.info("node {} llm call {}: no hedge for attempt {} at {} after {} ms without a first token: {}",
                    nodeId, c.id(), leg.attempt.attemptNumber(), slow, delayMs, why);
            return;
        }
        RouteDecision.Attempt a = (RouteDecision.Attempt) decision;
        log.info("node {} llm call {}: hedging attempt {} at {} (no first token after {} ms): {}", nodeId, c.id(),
                leg.attempt.attemptNumber(), slow, delayMs, a.explanation());
        startAttempt(c, a, true);
    }

    /**
     * A hedged-away attempt lost the race without a first token: as a health fact it is a first-token timeout (the
     * target was silent for longer than a healthy one), so the book cools the target down and, repeated, opens its
     * circuit; without this every call would pay the hedge delay at a silent target. The ledger records the attempt
     * as the CANCELLED it was (what it cost); this fact is this leader's, not replicated.
     */
    private void hedgeLost(Target target, long atMillis, long elapsedMs) {
        java.util.ArrayDeque<HedgeLoss> q = hedgeLosses.computeIfAbsent(target, t -> new java.util.ArrayDeque<>());
        q.addLast(new HedgeLoss(atMillis, new AttemptResult.Failed(target.providerId(), target.model(),
                Math.max(0, elapsedMs), ErrorClass.FIRST_TOKEN_TIMEOUT, 0, OptionalLong.empty(), Usage.NONE,
                "no first token before a hedge won"), keys.fingerprints().getOrDefault(target.providerId(),
                ProviderKeys.NO_KEY_FINGERPRINT)));
        while (q.size() > MAX_HEDGE_LOSSES_PER_TARGET) {
            q.removeFirst();
        }
    }

    /** Ends the call in the ledger and answers the caller; a Close the ledger cannot take is said in the message. */
    private void close(Call c, LedgerOp.CallStatus status, CallResult.Failure failure, String message) {
        String text = message.length() <= LedgerOp.MAX_MESSAGE_CHARS ? message
                : message.substring(0, LedgerOp.MAX_MESSAGE_CHARS - 3) + "...";
        submit(c, new LedgerOp.Close(c.id(), c.token, status, text, clock.nowMillis()), (r, error) -> {
            String note = "";
            if (error != null || !(r instanceof LedgerResult.Closed)) {
                note = "; the call could not be closed in the ledger (" + (error != null ? Failures.message(error)
                        : String.valueOf(r)) + "): the next leader settles it";
                log.info("node {} llm call {}{}", nodeId, c.id(), note);
            }
            if (status == LedgerOp.CallStatus.ANSWERED) {
                finish(c, new CallResult.Answered(c.id(), c.answer, c.attempts, c.costNanoUsd));
            } else {
                finish(c, failed(c.id(), failure, message + note, c.attempts));
            }
        });
    }

    /**
     * The call cannot go on here (leadership lost): no new attempt. It is closed if this node can still close it,
     * else left open for the next leader to settle.
     */
    private void lost(Call c, String why) {
        log.info("node {} llm call {}: {}", nodeId, c.id(), why);
        if (c.token == null) {
            finish(c, failed(c.id(), CallResult.Failure.CANCELLED, why, c.attempts));
            return;
        }
        close(c, LedgerOp.CallStatus.FAILED, CallResult.Failure.CANCELLED, why);
    }

    private void finish(Call c, CallResult result) {
        calls.remove(c.id());
        c.result.complete(result);
    }

    /** Submits {@code op} for call {@code c} (null: no call), then runs {@code then} on the node thread, guarded. */
    private void submit(Call c, LedgerOp op, java.util.function.BiConsumer<LedgerResult, Throwable> then) {
        CompletableFuture<LedgerResult> f;
        try {
            f = ledger.submit(op);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        // The ledger completes on the node thread; a future already completed runs the continuation here, also
        // on the node thread.
        f.whenComplete((r, e) -> guard(c, () -> then.accept(r, e)));
    }

    /**
     * Runs a step of call {@code c}; a defect in it (an exception a continuation would otherwise swallow) ends the
     * call with a failure instead of leaving its caller waiting.
     */
    private void guard(Call c, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            log.error("node {} llm call {}: the gateway failed", nodeId, c == null ? "-" : c.id(), e);
            if (c != null && !c.result.isDone()) {
                finish(c, failed(c.id(), CallResult.Failure.UPSTREAM_UNAVAILABLE, "the gateway failed on node "
                        + nodeId + ": " + e + "; if the call was opened, a later leader settles it", c.attempts));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ health

    /**
     * The health book as this call sees it now: every recent attempt end in the ledger replayed in time order (with
     * its start, for the half-open probe count), plus the attempts of this node still on the wire.
     */
    HealthBook healthBook() {
        record Event(long atMillis, int order, LedgerOp.AttemptEnd end, boolean start, HedgeLoss loss) {
        }
        List<Event> events = new ArrayList<>();
        int i = 0;
        for (LedgerOp.AttemptEnd e : ledger.ledger().recentEnds().values().stream().flatMap(List::stream).toList()) {
            events.add(new Event(Math.max(0, e.endedMillis() - e.elapsedMs()), i++, e, true, null));
            events.add(new Event(e.endedMillis(), i++, e, false, null));
        }
        for (java.util.ArrayDeque<HedgeLoss> losses : hedgeLosses.values()) {
            for (HedgeLoss loss : losses) {
                events.add(new Event(loss.atMillis(), i++, null, false, loss));
            }
        }
        events.sort(Comparator.comparingLong(Event::atMillis).thenComparing(Event::start,
                Comparator.reverseOrder()).thenComparingInt(Event::order));
        HealthBook book = HealthBook.empty(config);
        for (Event ev : events) {
            if (ev.loss() != null) {
                book = book.apply(ev.loss().asFault(), ev.atMillis(), ev.loss().keyFingerprint());
            } else {
                book = ev.start() ? book.attemptStarted(ev.end().target(), ev.atMillis())
                        : book.apply(asResult(ev.end()), ev.atMillis(), ev.end().keyFingerprint());
            }
        }
        for (Call c : calls.values()) {
            for (Leg leg : c.legs) {
                if (leg.sent) {
                    book = book.attemptStarted(leg.attempt.target(), leg.sentMillis);
                }
            }
        }
        return book;
    }

    /** A ledger's attempt end as the health book takes it. */
    static AttemptResult asResult(LedgerOp.AttemptEnd e) {
        Target t = e.target();
        if (e.error().isEmpty()) {
            return new AttemptResult.Completed(t.providerId(), t.model(), e.elapsedMs(), e.firstTokenMs(), e.usage(),
                    "", "", null);
        }
        OptionalLong retryAfter = e.retryAfterUntilMillis() > 0
                ? OptionalLong.of(Math.max(0, e.retryAfterUntilMillis() - e.endedMillis())) : OptionalLong.empty();
        return new AttemptResult.Failed(t.providerId(), t.model(), e.elapsedMs(), e.error().get(), e.httpStatus(),
                retryAfter, e.usage(), "");
    }

    // ------------------------------------------------------------------------------------------------ settlement

    /**
     * The leadership may have changed. When this node leads a term it has not settled yet, it waits for the term's
     * first entry to commit (so the ledger shows every call committed before), then settles every call of an older
     * term that is still open and not its own in flight: their unended attempts are charged their reservations as
     * in doubt, possibly billed. Node thread; also run every {@link #LEADERSHIP_CHECK_MS}.
     */
    public void leadershipChanged() {
        if (closed || config.providers().isEmpty()) {
            return;
        }
        LedgerAccess.Leadership l = ledger.leadership();
        if (!l.leader() || l.term() <= settledTerm || l.term() == settlingTerm) {
            return;
        }
        long term = l.term();
        settlingTerm = term;
        CompletableFuture<Void> caughtUp;
        try {
            caughtUp = ledger.termCaughtUp();
        } catch (RuntimeException e) {
            caughtUp = CompletableFuture.failedFuture(e);
        }
        caughtUp.whenComplete((v, error) -> {
            if (settlingTerm == term) {
                settlingTerm = -1;
            }
            LedgerAccess.Leadership now = ledger.leadership();
            if (error != null || !now.leader() || now.term() != term) {
                log.debug("node {} llm: term {} not caught up yet: {}", nodeId, term,
                        error == null ? "leadership changed" : Failures.message(error));
                return;
            }
            settledTerm = term;
            settleOlderThan(term);
        });
    }

    private void settleOlderThan(long term) {
        for (LedgerCall open : ledger.ledger().openCalls()) {
            if (open.token().term() >= term || calls.containsKey(open.callId())) {
                continue;
            }
            submit(null, new LedgerOp.Settle(open.callId(), nodeId, term, clock.nowMillis()), (r, error) -> {
                if (r instanceof LedgerResult.Settled s) {
                    log.info("node {} settled LLM call {} (opened by {} in term {}) in doubt: {} attempt(s) in"
                                    + " doubt, {} charged as possibly billed", nodeId, s.callId(), open.holder(),
                            open.token().term(), s.attemptsInDoubt(), NanoUsd.format(s.inDoubtNanoUsd()));
                } else {
                    log.info("node {} could not settle LLM call {} of term {}: {}", nodeId, open.callId(),
                            open.token().term(), error != null ? Failures.message(error) : String.valueOf(r));
                    if (error != null && settledTerm == term) {
                        // Not committed (log full, leadership in doubt): the next check settles again; a call
                        // settled meanwhile is refused as closed, which changes nothing.
                        settledTerm = term - 1;
                    }
                }
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ status

    /**
     * The gateway as the router sees it now.
     *
     * @param configSource  where llm.json came from, or why there is none
     * @param targets       every configured target's health, in llm.json's order
     */
    public record Status(String configSource, boolean configured, boolean leader, int callsInFlight,
                         int maxCallsInFlight, List<TargetStatus> targets) {
        public Status {
            targets = List.copyOf(targets);
        }
    }

    /**
     * One target's health.
     *
     * @param circuit          closed, open or half-open
     * @param openUntilMillis  when an open circuit lets a probe through, else 0
     * @param availability     "available", or why not and until when
     * @param firstTokenEwmaMs recent time to first token, -1 before any answer
     */
    public record TargetStatus(Target target, boolean keyPresent, String circuit, long openUntilMillis,
                               long cooldownUntilMillis, long retryAfterUntilMillis, int consecutiveFailures,
                               long firstTokenEwmaMs, Optional<ErrorClass> lastError, String availability) {
    }

    /** Health per target, calls in flight and the config's source. Any thread; completes on the node thread. */
    public CompletableFuture<Status> status() {
        CompletableFuture<Status> out = new CompletableFuture<>();
        scheduler.execute(() -> {
            try {
                out.complete(statusNow());
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    private Status statusNow() {
        HealthBook book = healthBook();
        long now = clock.nowMillis();
        Map<String, String> fingerprints = keys.fingerprints();
        List<TargetStatus> targets = new ArrayList<>();
        for (Target t : config.targets()) {
            ProviderHealth h = book.health(t);
            String circuit;
            long openUntil = 0;
            switch (h.circuit()) {
                case Circuit.Closed closedCircuit -> circuit = "closed";
                case Circuit.Open open -> {
                    circuit = "open";
                    openUntil = open.untilMillis();
                }
                case Circuit.HalfOpen half -> circuit = "half-open";
            }
            String availability = switch (book.availability(t, now, fingerprints)) {
                case Availability.Available a -> a.probe() ? "available (half-open probe)" : "available";
                case Availability.Unavailable u -> u.describe();
            };
            targets.add(new TargetStatus(t, fingerprints.containsKey(t.providerId()), circuit, openUntil,
                    h.cooldownUntilMillis(), h.retryAfterUntilMillis(), h.consecutiveFailures(),
                    h.firstTokenEwmaMs(), h.lastError(), availability));
        }
        return new Status(config.describeSource(), !config.providers().isEmpty(), ledger.leadership().leader(),
                calls.size(), maxCallsInFlight, targets);
    }

    /** Stops taking calls and closes the sender (which aborts attempts in flight and releases what it holds). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (checkTimer != null) {
            checkTimer.cancel();
        }
        sender.close();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Usage usage(AttemptResult r) {
        return switch (r) {
            case AttemptResult.Completed done -> done.usage();
            case AttemptResult.Failed f -> f.usage();
        };
    }

    private long charge(Target target, Usage usage) {
        if (usage.equals(Usage.NONE)) {
            return 0;
        }
        try {
            return config.pricing().cost(target.providerId(), target.model(), usage).totalNanoUsd();
        } catch (UnpricedModelException | ArithmeticException e) {
            log.warn("node {} llm: the usage of an attempt at {} cannot be priced: {}", nodeId, target,
                    e.getMessage());
            return 0;
        }
    }

    private static CallResult.Failure failure(RouteDecision.Reason reason) {
        return switch (reason) {
            case UNKNOWN_MODEL -> CallResult.Failure.UNKNOWN_MODEL;
            case REQUEST_REJECTED -> CallResult.Failure.REQUEST_REJECTED;
            case CONTENT_POLICY -> CallResult.Failure.CONTENT_POLICY;
            case CONTEXT_TOO_LONG -> CallResult.Failure.CONTEXT_TOO_LONG;
            case DEADLINE_PASSED -> CallResult.Failure.DEADLINE_PASSED;
            case ATTEMPTS_EXHAUSTED, NO_TARGET_AVAILABLE, ALREADY_COMPLETED -> CallResult.Failure.UPSTREAM_UNAVAILABLE;
        };
    }

    private static CallResult.Failed failed(String callId, CallResult.Failure failure, String message,
                                            List<AttemptResult> attempts) {
        return new CallResult.Failed(callId, failure, message, Optional.empty(), attempts);
    }

    private static String describe(AttemptResult r) {
        return switch (r) {
            case AttemptResult.Completed done -> "answered in " + done.elapsedMs() + " ms (first token "
                    + done.firstTokenMs() + " ms), finish " + done.finishReason();
            case AttemptResult.Failed f -> f.error() + (f.httpStatus() > 0 ? " (HTTP " + f.httpStatus() + ")" : "")
                    + " after " + f.elapsedMs() + " ms: " + f.message();
        };
    }

    private static String lastFailure(AttemptResult r) {
        return r.providerId() + "/" + r.model() + " " + describe(r);
    }
}
