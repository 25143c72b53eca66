package io.agentmesh.node.net;

/** Why a connection was refused before it was reported up; each one is a counter in {@link NetworkStats}. */
public enum AuthFailure {
    /** The TLS handshake failed (no or unusable client certificate, not TLS 1.3, not TLS at all). */
    TLS_HANDSHAKE,
    /** TLS plus Hello did not finish within {@code handshakeTimeoutMs}. */
    HANDSHAKE_TIMEOUT,
    /** The TLS certificate's key is not an Ed25519 key. */
    TLS_KEY_NOT_ED25519,
    /** The dialed node is not the node {@code dial} expected at that address. */
    UNEXPECTED_PEER,
    /** The other end is this very node. */
    SELF_CONNECTION,
    /** The first frame was not a Hello. */
    NOT_HELLO,
    /** The Hello announced another protocol version. */
    PROTOCOL_VERSION,
    /** The node certificate in the Hello could not be decoded. */
    MALFORMED_CERTIFICATE,
    /** The node certificate was issued by another agent's root key. */
    WRONG_AGENT,
    /** The node certificate's signature does not verify. */
    BAD_CERTIFICATE_SIGNATURE,
    /** The node certificate is not valid yet. */
    CERTIFICATE_NOT_YET_VALID,
    /** The node certificate has expired. */
    CERTIFICATE_EXPIRED,
    /** The agent root revoked the certificate's node key: the node was removed, and every certificate of it is dead. */
    REVOKED,
    /** The node certificate is for another key than the one that did the TLS handshake. */
    KEY_MISMATCH,
    /** The session proof does not verify for this TLS session. */
    BAD_SESSION_PROOF,
    /** The Hello's incarnation is not >= 1. */
    BAD_INCARNATION,
    /** The other end refused this node (a Goodbye instead of a Hello). */
    REFUSED_BY_PEER
}
