package io.agentmesh.state.store;

/**
 * The store refused an operation because too much already waits for its disk (or its readers). Nothing was written:
 * unlike a failed write, this promises nothing lost, and the caller may retry later.
 */
public final class StoreOverloadedException extends StoreException {
    public StoreOverloadedException(String message) {
        super(message);
    }
}
