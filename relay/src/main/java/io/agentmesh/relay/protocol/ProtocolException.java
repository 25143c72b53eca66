package io.agentmesh.relay.protocol;

/**
 * Bytes that do not form a valid relay message or record: wrong length, unknown type, a field out of range. The
 * message says what and where, for the log line of whoever received them.
 */
public final class ProtocolException extends Exception {
    public ProtocolException(String message) {
        super(message);
    }
}
