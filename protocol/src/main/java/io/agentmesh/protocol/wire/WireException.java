package io.agentmesh.protocol.wire;

/** A frame that cannot be encoded or decoded; the message says why. The connection it came from is closed. */
public final class WireException extends RuntimeException {
    public WireException(String message) {
        super(message);
    }

    public WireException(String message, Throwable cause) {
        super(message, cause);
    }
}
