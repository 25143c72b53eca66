package io.agentmesh.node.actions;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Performs the side effects of one kind of intent (LLM chat, wallet spend, a job). Only the Raft leader calls it, and
 * only once it holds a committed claim on the intent (DESIGN.md invariant 6).
 *
 * <p>Threading: both methods are called on the node thread and must return at once (start the work elsewhere). The
 * returned stage may complete on any thread. Continuations attached with the non-async methods to {@link
 * ActionContext#prepare} run on the node thread, so do no blocking work in them. A stage that fails is recorded as a
 * {@code failed} outcome with the exception's message, except a failure with {@link ActionCancelledException} (the
 * prepare was refused because this node lost its claim), which records nothing. Executors own their timeouts and
 * retries: a stage that never completes keeps the intent in flight on this node, and a later leader stops waiting
 * for it after a bounded time.
 *
 * <p>An executor that changes the outside world should {@link ActionContext#prepare} before it does: a committed
 * prepare is the start mark that tells a later leader the holder may have acted, so that it waits for the holder's
 * result instead of reconciling at once.
 */
public interface ActionExecutor {

    /** The intent kind this executor serves, e.g. "llm", "wallet", "job". */
    String kind();

    /** First attempt at an intent nobody claimed before. */
    CompletionStage<ActionResult> perform(ActionContext ctx);

    /**
     * Finishing an intent that an earlier leader claimed but did not complete: it may have acted, partly or fully,
     * or not at all. {@code prepared} is what it prepared, if anything. A wallet rebroadcasts the prepared
     * transaction and checks the receipt; an LLM call retries and says so in the result; a job that cannot tell
     * whether it ran reports {@link ActionResult#uncertain}. With prepared data, it is called only once the earlier
     * holder is dead, unreachable, or silent for the coordinator's wait. {@code prepared} is also empty when the
     * earlier holder was this very node and it stopped that attempt at its safe point: nothing reached the world,
     * though a start mark may be committed (a prepare of the same bytes then succeeds again).
     */
    CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared);
}
