package io.agentmesh.node.net;

import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireMessage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * Makes and checks {@link WireMessage.Hello}s: the step that turns "someone who holds an Ed25519 key finished TLS"
 * into "an enrolled node of this agent". No I/O; the pipeline's {@link AuthHandler} feeds it.
 *
 * <p><b>Session proof</b>: the sender signs, with its node key,
 * <pre>
 *   "agentmesh/session/v1" || u32 protocolVersion || i64 incarnation
 *                          || SHA-256(sender's TLS certificate DER) || SHA-256(receiver's TLS certificate DER)
 * </pre>
 * Each side's TLS certificate carries its node key and carries a fresh random serial per process, and TLS 1.3 proved
 * that each side holds the private key of the certificate it presented. So the proof says "the holder of this node
 * key speaks on the TLS session between these two certificates": a man in the middle cannot present either
 * certificate without its key, and a proof cannot be replayed between other certificates. (Java 21 has no public
 * API for the TLS exporter value, which would also bind the proof to one session between the same two processes;
 * reusing a proof on a second session between the same two processes would need one of their keys anyway.)
 *
 * <p>Checks, in order: protocol version, incarnation, certificate decodes, certificate enrolls the node in this
 * agent at the current wall-clock time, certificate not revoked (its node key was never removed, whenever the
 * certificate was issued),
 * certificate's node key = TLS key, session proof, not ourselves.
 */
final class HelloAuthenticator {
    private static final byte[] DOMAIN = "agentmesh/session/v1".getBytes(StandardCharsets.US_ASCII);
    private static final int SHA256_BYTES = 32;
    private static final int PROOF_MESSAGE_BYTES = DOMAIN.length + Integer.BYTES + Long.BYTES + 2 * SHA256_BYTES;

    private final SigningKey nodeKey;
    private final byte[] ownCertificate;
    private final long incarnation;
    private final VerifyingKey agentRoot;
    private final Clock clock;
    private final Predicate<NodeCertificate> revoked;
    private final NodeId self;

    /**
     * @param revoked whether a certificate of this agent is dead because its node was removed; called on event-loop
     *                threads, so it must be thread-safe and must not block
     */
    HelloAuthenticator(SigningKey nodeKey, NodeCertificate ownCertificate, long incarnation, VerifyingKey agentRoot,
                       Clock clock, Predicate<NodeCertificate> revoked) {
        this.revoked = revoked;
        this.nodeKey = nodeKey;
        this.ownCertificate = ownCertificate.toBytes();
        this.incarnation = incarnation;
        this.agentRoot = agentRoot;
        this.clock = clock;
        this.self = NodeId.of(nodeKey.verifyingKey());
    }

    NodeId self() {
        return self;
    }

    /** Our Hello for the TLS session between {@code ownTlsDer} (ours) and {@code peerTlsDer}. */
    WireMessage.Hello hello(byte[] ownTlsDer, byte[] peerTlsDer) {
        byte[] proof = nodeKey.sign(proofMessage(WireCodec.PROTOCOL_VERSION, incarnation, ownTlsDer, peerTlsDer));
        return new WireMessage.Hello(WireCodec.PROTOCOL_VERSION, ownCertificate, proof, incarnation);
    }

    /**
     * Checks the peer's Hello received on the TLS session between {@code ownTlsDer} and {@code peerTlsDer}, whose
     * key TLS proved to be {@code tlsPeerKey}.
     */
    AuthenticatedPeer verify(WireMessage.Hello hello, byte[] ownTlsDer, byte[] peerTlsDer, VerifyingKey tlsPeerKey)
            throws AuthException {
        if (hello.protocolVersion() != WireCodec.PROTOCOL_VERSION) {
            throw new AuthException(AuthFailure.PROTOCOL_VERSION, "peer speaks protocol version "
                    + hello.protocolVersion() + ", this node speaks " + WireCodec.PROTOCOL_VERSION
                    + "; run the same agentmesh version on both");
        }
        if (hello.incarnation() < 1) {
            throw new AuthException(AuthFailure.BAD_INCARNATION, "peer announced incarnation "
                    + hello.incarnation() + "; incarnations start at 1");
        }
        NodeCertificate cert;
        try {
            cert = NodeCertificate.fromBytes(hello.certificate());
        } catch (IdentityException e) {
            throw new AuthException(AuthFailure.MALFORMED_CERTIFICATE, "unreadable node certificate: "
                    + e.getMessage());
        }
        try {
            cert.verify(agentRoot, clock.nowMillis());
        } catch (IdentityException e) {
            AuthFailure reason = switch (e.reason()) {
                case WRONG_AGENT -> AuthFailure.WRONG_AGENT;
                case NOT_YET_VALID -> AuthFailure.CERTIFICATE_NOT_YET_VALID;
                case EXPIRED -> AuthFailure.CERTIFICATE_EXPIRED;
                default -> AuthFailure.BAD_CERTIFICATE_SIGNATURE;
            };
            throw new AuthException(reason, e.getMessage());
        }
        if (revoked.test(cert)) {
            throw new AuthException(AuthFailure.REVOKED, "node " + cert.nodeId() + " was removed from agent "
                    + cert.agentId() + " and its key stays removed (this certificate was issued at "
                    + Instant.ofEpochMilli(cert.issuedAt()) + "); only a new node key, enrolled, can join");
        }
        if (!cert.nodeKey().equals(tlsPeerKey)) {
            throw new AuthException(AuthFailure.KEY_MISMATCH, "the Hello carries the certificate of node "
                    + cert.nodeId() + " but TLS was done with the key of node " + NodeId.of(tlsPeerKey));
        }
        byte[] expected = proofMessage(hello.protocolVersion(), hello.incarnation(), peerTlsDer, ownTlsDer);
        if (!tlsPeerKey.verify(expected, hello.sessionProof())) {
            throw new AuthException(AuthFailure.BAD_SESSION_PROOF, "node " + cert.nodeId()
                    + " sent a session proof that does not hold for this TLS session");
        }
        if (cert.nodeId().equals(self)) {
            throw new AuthException(AuthFailure.SELF_CONNECTION, "connected to itself");
        }
        return new AuthenticatedPeer(cert.nodeId(), cert, hello.certificate(), hello.incarnation());
    }

    static byte[] proofMessage(int protocolVersion, long incarnation, byte[] signerTlsDer, byte[] verifierTlsDer) {
        return new BoundedWriter(PROOF_MESSAGE_BYTES).fixed(DOMAIN).i32(protocolVersion).i64(incarnation)
                .fixed(sha256(signerTlsDer)).fixed(sha256(verifierTlsDer)).toByteArray();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A peer that passed every check. */
    record AuthenticatedPeer(NodeId id, NodeCertificate certificate, byte[] certificateBytes, long incarnation) {
    }
}
