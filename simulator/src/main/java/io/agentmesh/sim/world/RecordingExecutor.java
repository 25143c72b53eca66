package io.agentmesh.sim.world;

import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.port.Scheduler;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The simulator's executor (kinds such as "job" or "wallet"). Every call is recorded with its node, intent id and
 * fencing token in a {@link Ledger}, which plays the outside world shared by all nodes, so checkers can count
 * performances across a cluster. Results are deterministic.
 *
 * <p>Behaviour: the side effect lands in the ledger when {@code perform} is called. The result comes back {@code
 * latencyMs} later on the node's scheduler (at once with no scheduler). So a node killed in between has acted
 * without completing, which is exactly what reconciliation is for. With {@code prepareFirst} it behaves like the
 * wallet: prepare(deterministic "signed transaction" bytes), then act once they are committed. {@code reconcile}
 * re-applies the effect under the same idempotency key (the ledger ignores duplicates) and says whether it had
 * already happened. {@link #startMarked} behaves like the node's {@code JobExecutor} instead: a start mark first,
 * and a reconcile that finds the mark reports {@code uncertain} without acting (it has no receipt to consult).
 */
public final class RecordingExecutor implements ActionExecutor {

    /** The outside world: effects per intent id, deduplicated by id, with stale fencing tokens refused. */
    public static final class Ledger {
        public enum CallType { PERFORM, RECONCILE }

        public enum Effect { APPLIED, DUPLICATE, STALE_TOKEN }

        public record Call(CallType type, String nodeId, String intentId, FencingToken token, Effect effect,
                           boolean hadPrepared) {
        }

        private final List<Call> calls = new ArrayList<>();
        private final Map<String, FencingToken> highestToken = new TreeMap<>();
        private final Map<String, String> appliedBy = new TreeMap<>();

        synchronized Effect apply(CallType type, String nodeId, String intentId, FencingToken token,
                                  boolean hadPrepared) {
            FencingToken highest = highestToken.get(intentId);
            Effect effect;
            if (highest != null && token.compareTo(highest) < 0) {
                effect = Effect.STALE_TOKEN;
            } else {
                highestToken.put(intentId, token);
                effect = appliedBy.putIfAbsent(intentId, nodeId) == null ? Effect.APPLIED : Effect.DUPLICATE;
            }
            calls.add(new Call(type, nodeId, intentId, token, effect, hadPrepared));
            return effect;
        }

        public synchronized List<Call> calls() {
            return List.copyOf(calls);
        }

        /** {@code perform} calls for this intent, cluster-wide. Exactly-once means this is at most 1. */
        public synchronized long performs(String intentId) {
            return calls.stream().filter(c -> c.type == CallType.PERFORM && c.intentId.equals(intentId)).count();
        }

        public synchronized long reconciles(String intentId) {
            return calls.stream().filter(c -> c.type == CallType.RECONCILE && c.intentId.equals(intentId)).count();
        }

        /** Whether the effect happened (at most once by construction: duplicates are suppressed). */
        public synchronized boolean applied(String intentId) {
            return appliedBy.containsKey(intentId);
        }

        /** Intent ids whose effect happened, sorted. */
        public synchronized List<String> appliedIntents() {
            return List.copyOf(appliedBy.keySet());
        }

        /** Intents with more than one {@code perform} call, sorted: must stay empty. */
        public synchronized List<String> performedMoreThanOnce() {
            Map<String, Integer> counts = new TreeMap<>();
            calls.stream().filter(c -> c.type == CallType.PERFORM).forEach(c -> counts.merge(c.intentId, 1,
                    Integer::sum));
            return counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
        }
    }

    private final String kind;
    private final String nodeId;
    private final Ledger ledger;
    private final Scheduler scheduler;
    private final long latencyMs;
    private final boolean prepareFirst;
    private final boolean uncertainAfterStart;

    /**
     * @param scheduler    where results are delivered after {@code latencyMs}; null to complete at once
     * @param prepareFirst prepare "signed transaction" bytes before acting, like the wallet
     */
    public RecordingExecutor(String kind, String nodeId, Ledger ledger, Scheduler scheduler, long latencyMs,
                             boolean prepareFirst) {
        this(kind, nodeId, ledger, scheduler, latencyMs, prepareFirst, false);
    }

    private RecordingExecutor(String kind, String nodeId, Ledger ledger, Scheduler scheduler, long latencyMs,
                              boolean prepareFirst, boolean uncertainAfterStart) {
        this.kind = kind;
        this.nodeId = nodeId;
        this.ledger = ledger;
        this.scheduler = scheduler;
        this.latencyMs = latencyMs;
        this.prepareFirst = prepareFirst;
        this.uncertainAfterStart = uncertainAfterStart;
    }

    public static RecordingExecutor immediate(String kind, String nodeId, Ledger ledger) {
        return new RecordingExecutor(kind, nodeId, ledger, null, 0, false);
    }

    /**
     * Like the node's job executor: commits a start mark, then acts; a later holder that finds the mark does not act
     * again and reports {@code uncertain}, one that finds none acts.
     */
    public static RecordingExecutor startMarked(String kind, String nodeId, Ledger ledger, Scheduler scheduler,
                                                long latencyMs) {
        return new RecordingExecutor(kind, nodeId, ledger, scheduler, latencyMs, true, true);
    }

    @Override
    public String kind() {
        return kind;
    }

    public Ledger ledger() {
        return ledger;
    }

    /** The bytes this executor prepares for an intent: deterministic, like a transaction signed with a fixed nonce. */
    private byte[] preparedFor(String intentId) {
        return ((uncertainAfterStart ? "started:" : "signed-tx:") + intentId).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CompletionStage<ActionResult> perform(ActionContext ctx) {
        if (!prepareFirst) {
            return act(Ledger.CallType.PERFORM, ctx, false);
        }
        return ctx.prepare(preparedFor(ctx.intentId()))
                .thenCompose(v -> act(Ledger.CallType.PERFORM, ctx, true));
    }

    @Override
    public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
        if (uncertainAfterStart) {
            if (prepared.isPresent()) {
                return CompletableFuture.completedFuture(ActionResult.uncertain(kind + " " + ctx.intentId()
                        + " was started by an earlier holder that could not report; not run again"));
            }
            return ctx.prepare(preparedFor(ctx.intentId()))
                    .thenCompose(v -> act(Ledger.CallType.RECONCILE, ctx, false));
        }
        return act(Ledger.CallType.RECONCILE, ctx, prepared.isPresent());
    }

    private CompletionStage<ActionResult> act(Ledger.CallType type, ActionContext ctx, boolean hadPrepared) {
        Ledger.Effect effect = ledger.apply(type, nodeId, ctx.intentId(), ctx.token(), hadPrepared);
        ActionResult result = switch (effect) {
            case APPLIED -> ActionResult.succeeded(kind + " " + ctx.intentId()
                    + (type == Ledger.CallType.RECONCILE ? " done on reconcile" : " done"));
            case DUPLICATE -> ActionResult.succeeded(kind + " " + ctx.intentId()
                    + " already done before; reconciled without repeating it");
            case STALE_TOKEN -> ActionResult.failed(kind + " " + ctx.intentId() + " refused: stale fencing token "
                    + ctx.token());
        };
        if (scheduler == null || latencyMs <= 0) {
            return CompletableFuture.completedFuture(result);
        }
        CompletableFuture<ActionResult> done = new CompletableFuture<>();
        scheduler.schedule(() -> done.complete(result), latencyMs);
        return done;
    }
}
