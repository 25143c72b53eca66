package io.agentmesh.node.actions;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Everything an executor gets for one action.
 *
 * <ul>
 *   <li>{@link #intentId()}: the idempotency key. Pass it to any outside system that can deduplicate (an
 *       Idempotency-Key header, a payment reference); the same intent is never performed under two ids.</li>
 *   <li>{@link #token()}: the fencing token of the claim this node holds, (term, claim index). Increases with every
 *       new claim on the same intent; an outside system that remembers the highest token it saw per key can refuse a
 *       deposed leader's late request.</li>
 *   <li>{@link #prepare(byte[])}: records data in the journal that must be durable on a majority before the outside
 *       world sees the action, e.g. a signed transaction: sign, prepare, then broadcast. The stage completes (on the
 *       node thread) once the data is committed, or fails with {@link ActionCancelledException} if this node lost
 *       its claim or leadership, in which case the action must not go ahead: this is the action's safe point. Once
 *       it has passed, the action runs to its end and its result is reported even if leadership is lost meanwhile.
 *       A committed prepare is also the start mark a later leader waits on: while the holder is alive it waits a
 *       bounded time for the holder's own result before reconciling. A later leader gets the prepared bytes in
 *       {@link ActionExecutor#reconcile}. Callable from any thread; at most {@link JournalOp#MAX_PREPARED_BYTES}.</li>
 * </ul>
 */
public final class ActionContext {
    private final String intentId;
    private final String kind;
    private final String payloadJson;
    private final FencingToken token;
    private final String nodeId;
    private final Function<byte[], CompletionStage<Void>> preparer;

    public ActionContext(String intentId, String kind, String payloadJson, FencingToken token, String nodeId,
                         Function<byte[], CompletionStage<Void>> preparer) {
        this.intentId = Objects.requireNonNull(intentId, "intentId");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.payloadJson = Objects.requireNonNull(payloadJson, "payloadJson");
        this.token = Objects.requireNonNull(token, "token");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.preparer = Objects.requireNonNull(preparer, "preparer");
    }

    public String intentId() {
        return intentId;
    }

    public String kind() {
        return kind;
    }

    public String payloadJson() {
        return payloadJson;
    }

    public FencingToken token() {
        return token;
    }

    /** The node performing the action (the claim holder). */
    public String nodeId() {
        return nodeId;
    }

    public CompletionStage<Void> prepare(byte[] data) {
        return preparer.apply(data.clone());
    }

    @Override
    public String toString() {
        return "ActionContext[" + intentId + ", " + kind + ", token=" + token + ", node=" + nodeId + "]";
    }
}
