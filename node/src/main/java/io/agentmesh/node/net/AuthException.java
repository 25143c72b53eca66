package io.agentmesh.node.net;

/** A peer failed authentication; {@link #reason()} is the counted category, the message is for the log. */
final class AuthException extends Exception {
    private static final long serialVersionUID = 1L;
    private final AuthFailure reason;

    AuthException(AuthFailure reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    AuthFailure reason() {
        return reason;
    }
}
