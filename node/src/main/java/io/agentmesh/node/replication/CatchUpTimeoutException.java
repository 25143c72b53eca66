package io.agentmesh.node.replication;

/**
 * A catch-up from a majority did not finish within its bound: too few voters answered, or this node had not yet
 * stored everything the answering majority held. Nothing is undone; what was pulled stays, and a new catch-up
 * starts over.
 */
public final class CatchUpTimeoutException extends RuntimeException {
    public CatchUpTimeoutException(String message) {
        super(message);
    }
}
