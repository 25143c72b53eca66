package io.agentmesh.node.actions;

/**
 * An action stopped at a safe point, before anything reached the outside world, because this node lost its claim or
 * its leadership: {@link ActionContext#prepare} fails with it. An executor lets it propagate (or fails its stage with
 * it); the coordinator then records no outcome and leaves the intent to whoever holds the claim next.
 */
public final class ActionCancelledException extends RuntimeException {
    public ActionCancelledException(String message, Throwable cause) {
        super(message, cause);
    }
}
