package io.agentmesh.relay.protocol;

/** A registration record that must not be believed, with the reason as a metric label and a message for people. */
public final class RecordException extends Exception {

    /** Why a record was refused. */
    public enum Reason {
        /** Bytes do not decode as a record. */
        MALFORMED,
        /** The node id is not the hash of the node key in the record. */
        NODE_ID_MISMATCH,
        /** The node key did not sign these bytes (altered, or signed by someone else). */
        BAD_SIGNATURE,
        /** The enclosed node certificate is for another key or another agent than the record says. */
        CERTIFICATE_MISMATCH,
        /** The enclosed node certificate is not validly signed by its agent root, or not valid now. */
        CERTIFICATE_INVALID,
        /** The record belongs to another agent than the one asked about. */
        WRONG_AGENT,
        /** The record's expiry has passed. */
        EXPIRED,
        /** The record claims to be valid for longer than the verifier allows (limits how long a replay works). */
        TOO_LONG_LIVED,
        /** An older sequence number than one already seen for this node from the same source. */
        REPLAYED
    }

    private final Reason reason;

    public RecordException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
