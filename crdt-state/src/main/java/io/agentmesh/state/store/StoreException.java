package io.agentmesh.state.store;

/** A store operation failed; the message names the file and what the operator can do next. */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
