package io.agentmesh.relay.protocol;

/** Why a relay refused something; stable names for metrics and logs, sent in {@link RelayMessage.Error}. */
public enum ErrorCode {
    /** The peer speaks another relay protocol version. */
    VERSION(1),
    /** A frame that does not decode, is too large, or comes out of turn. */
    PROTOCOL(2),
    /** A proof of key possession that does not verify. */
    BAD_PROOF(3),
    /** A registration record that does not verify (see the message). */
    BAD_RECORD(4),
    /** A registration older than the one the relay holds for that node. */
    REPLAYED(5),
    /** The relay holds its maximum number of registrations. */
    CAP_REGISTRATIONS(6),
    /** The relay holds its maximum number of registrations for this agent. */
    CAP_AGENT_REGISTRATIONS(7),
    /** The relay carries its maximum number of circuits. */
    CAP_CIRCUITS(8),
    /** The source or target node has its maximum number of circuits on this relay. */
    CAP_NODE_CIRCUITS(9),
    /** The relay has its maximum number of connections. */
    CAP_CONNECTIONS(10),
    /** No registration for the target node (never registered, or expired). */
    UNKNOWN_TARGET(11),
    /** The target is registered but has no control connection to this relay right now. */
    TARGET_UNREACHABLE(12),
    /** The target did not attach to the circuit in time. */
    ATTACH_TIMEOUT(13),
    /** An attach for a circuit the relay does not know (expired or never offered). */
    UNKNOWN_CIRCUIT(14),
    /** A lookup before registering, or for another agent than the registered one. */
    NOT_ALLOWED(15),
    /** The relay is shutting down. */
    SHUTTING_DOWN(16),
    /** The control connection was replaced by a newer one of the same node. */
    REPLACED(17),
    /** The source address kept sending control requests over the relay's per-source limit. */
    RATE_LIMITED(18);

    public final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    static ErrorCode of(int code) throws ProtocolException {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        throw new ProtocolException("unknown relay error code " + code);
    }
}
