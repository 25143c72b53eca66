package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireMessage;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelloAuthenticatorTest {
    private final TestAgent agent = new TestAgent();
    private final TestClock clock = new TestClock();
    private final SigningKey aKey = TestAgent.newNodeKey();
    private final SigningKey bKey = TestAgent.newNodeKey();
    /** The revocations node b enforces. */
    private final List<NodeRevocation> revocations = new CopyOnWriteArrayList<>();
    private final HelloAuthenticator a = new HelloAuthenticator(aKey, agent.certify(aKey), 3, agent.root.verifyingKey(),
            clock, certificate -> false);
    private final HelloAuthenticator b = new HelloAuthenticator(bKey, agent.certify(bKey), 1, agent.root.verifyingKey(),
            clock, certificate -> revocations.stream().anyMatch(r -> r.revokes(certificate)));
    /** A wall clock the test moves; certificate checks read only wall time. */
    private static final class TestClock implements Clock {
        final AtomicLong wallMillis = new AtomicLong(System.currentTimeMillis());

        @Override
        public long nowMillis() {
            return wallMillis.get();
        }

        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }
    }

    // Stand-ins for the two TLS certificates' DER.
    private final byte[] aDer = {1, 2, 3};
    private final byte[] bDer = {4, 5, 6};

    /** Peers of other versions sign and check this payload, so its bytes must never change by accident. */
    @Test
    void theSessionProofPayloadKeepsItsPinnedBytes() {
        byte[] payload = HelloAuthenticator.proofMessage(1, 0x0102030405060708L, new byte[] {1, 2, 3},
                new byte[] {4, 5, 6});
        assertEquals("6167656e746d6573682f73657373696f6e2f7631" // "agentmesh/session/v1"
                + "00000001" + "0102030405060708" // protocol version, incarnation
                + "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81" // SHA-256 of the signer's DER
                + "787c798e39a5bc1910355bae6d0cd87a36b2e10fd0202a83e3bb6b005da83472", // SHA-256 of the verifier's DER
                HexFormat.of().formatHex(payload));
    }

    @Test
    void aHelloMadeForThisSessionIsAccepted() throws AuthException {
        WireMessage.Hello hello = a.hello(aDer, bDer);
        HelloAuthenticator.AuthenticatedPeer p = b.verify(hello, bDer, aDer, aKey.verifyingKey());
        assertEquals(NodeId.of(aKey.verifyingKey()), p.id());
        assertEquals(3, p.incarnation());
    }

    @Test
    void aProofIsNotValidOnAnotherSession() {
        WireMessage.Hello hello = a.hello(aDer, bDer);
        byte[] otherPeerDer = {9, 9, 9};
        assertReason(AuthFailure.BAD_SESSION_PROOF,
                () -> b.verify(hello, otherPeerDer, aDer, aKey.verifyingKey()));
        // Nor in the other direction (a reflected Hello).
        assertReason(AuthFailure.BAD_SESSION_PROOF, () -> b.verify(hello, aDer, bDer, aKey.verifyingKey()));
    }

    @Test
    void anAlteredIncarnationBreaksTheProof() {
        WireMessage.Hello h = a.hello(aDer, bDer);
        WireMessage.Hello altered = new WireMessage.Hello(h.protocolVersion(), h.certificate(), h.sessionProof(), 4);
        assertReason(AuthFailure.BAD_SESSION_PROOF, () -> b.verify(altered, bDer, aDer, aKey.verifyingKey()));
    }

    @Test
    void anotherProtocolVersionIsRefused() {
        WireMessage.Hello h = a.hello(aDer, bDer);
        WireMessage.Hello v2 = new WireMessage.Hello(WireCodec.PROTOCOL_VERSION + 1, h.certificate(),
                h.sessionProof(), h.incarnation());
        assertReason(AuthFailure.PROTOCOL_VERSION, () -> b.verify(v2, bDer, aDer, aKey.verifyingKey()));
    }

    @Test
    void aCertificateForAnotherKeyThanTheTlsKeyIsRefused() {
        WireMessage.Hello hello = a.hello(aDer, bDer);
        SigningKey tlsKey = TestAgent.newNodeKey();
        assertReason(AuthFailure.KEY_MISMATCH, () -> b.verify(hello, bDer, aDer, tlsKey.verifyingKey()));
    }

    @Test
    void certificatesOutsideTheirValidityOrFromAnotherAgentAreRefused() {
        long t = clock.nowMillis();
        SigningKey k = TestAgent.newNodeKey();
        NodeCertificate future = agent.certify(k, t + TestAgent.HOUR_MS, t + 2 * TestAgent.HOUR_MS);
        HelloAuthenticator early = new HelloAuthenticator(k, future, 1, agent.root.verifyingKey(), clock,
                certificate -> false);
        assertReason(AuthFailure.CERTIFICATE_NOT_YET_VALID,
                () -> b.verify(early.hello(aDer, bDer), bDer, aDer, k.verifyingKey()));

        NodeCertificate foreign = new TestAgent().certify(k);
        HelloAuthenticator stranger = new HelloAuthenticator(k, foreign, 1, foreign.agentRootKey(), clock,
                certificate -> false);
        assertReason(AuthFailure.WRONG_AGENT,
                () -> b.verify(stranger.hello(aDer, bDer), bDer, aDer, k.verifyingKey()));

        // Valid when issued, expired by the time it is checked: the check uses the clock at verify time.
        WireMessage.Hello hello = a.hello(aDer, bDer);
        clock.wallMillis.addAndGet(48 * TestAgent.HOUR_MS);
        assertReason(AuthFailure.CERTIFICATE_EXPIRED, () -> b.verify(hello, bDer, aDer, aKey.verifyingKey()));
    }

    @Test
    void aRevokedKeyIsRefusedEvenUnderACertificateIssuedAfterItsRevocation() {
        long now = clock.nowMillis();
        revocations.add(NodeRevocation.issue(agent.root, aKey.verifyingKey(), now, "retired", List.of()));
        AuthException e = assertThrows(AuthException.class,
                () -> b.verify(a.hello(aDer, bDer), bDer, aDer, aKey.verifyingKey()));
        assertEquals(AuthFailure.REVOKED, e.reason());
        assertTrue(e.getMessage().contains(NodeId.of(aKey.verifyingKey()) + " was removed")
                && e.getMessage().contains("only a new node key"), e.getMessage());

        NodeCertificate again = NodeCertificate.issue(agent.root, aKey.verifyingKey(), Role.VOTER, now - 1,
                now + TestAgent.HOUR_MS, now + 1);
        HelloAuthenticator enrolledAgain = new HelloAuthenticator(aKey, again, 4, agent.root.verifyingKey(), clock,
                certificate -> false);
        assertReason(AuthFailure.REVOKED,
                () -> b.verify(enrolledAgain.hello(aDer, bDer), bDer, aDer, aKey.verifyingKey()));
    }

    @Test
    void garbageInTheCertificateFieldIsRefused() {
        WireMessage.Hello h = a.hello(aDer, bDer);
        WireMessage.Hello bad = new WireMessage.Hello(h.protocolVersion(), new byte[] {1, 2}, h.sessionProof(), 3);
        assertReason(AuthFailure.MALFORMED_CERTIFICATE, () -> b.verify(bad, bDer, aDer, aKey.verifyingKey()));
    }

    @Test
    void ownHelloReflectedBackIsRefused() {
        WireMessage.Hello own = b.hello(bDer, aDer);
        assertReason(AuthFailure.SELF_CONNECTION, () -> b.verify(own, aDer, bDer, bKey.verifyingKey()));
    }

    private interface Check {
        void run() throws AuthException;
    }

    private static void assertReason(AuthFailure expected, Check check) {
        AuthException e = assertThrows(AuthException.class, check::run);
        assertEquals(expected, e.reason(), e.getMessage());
    }
}
