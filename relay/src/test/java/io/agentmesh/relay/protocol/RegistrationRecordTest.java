package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.relay.Keys;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistrationRecordTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long TTL = Keys.HOUR;
    private final Keys agent = new Keys();
    private final Keys.Node node = agent.node(NOW);
    private final InetSocketAddress v4 = new InetSocketAddress("10.1.2.3", 7600);
    private final InetSocketAddress v6 = new InetSocketAddress("2001:db8::7", 7601);
    private final InetSocketAddress named = InetSocketAddress.createUnresolved("node-a.example.org", 7602);

    private static RecordException.Reason reason(ThrowingCheck check) {
        return assertThrows(RecordException.class, check::run).reason();
    }

    private interface ThrowingCheck {
        void run() throws RecordException;
    }

    @Test
    void encodesDecodesAndVerifiesWithEveryKindOfAddress() throws RecordException {
        RegistrationRecord r = node.record(42, NOW + 60_000, v4, v6, named);
        byte[] bytes = r.toBytes();
        RegistrationRecord back = RegistrationRecord.fromBytes(bytes);
        assertEquals(r, back);
        assertArrayEquals(bytes, back.toBytes());
        assertEquals(List.of(v4, v6, named), back.addresses());
        assertEquals(node.id(), back.nodeId());
        assertEquals(agent.root.verifyingKey(), back.certificate().agentRootKey());
        back.verify(AgentId.of(agent.root.verifyingKey()), NOW, TTL);
        back.verify(null, NOW, TTL);
        assertTrue(new String(r.signingPayload(), 0, 25, java.nio.charset.StandardCharsets.US_ASCII)
                .startsWith("agentmesh/relay-record/v1"));
    }

    @Test
    void anAlteredRecordFailsItsSignature() throws RecordException {
        RegistrationRecord r = node.record(1, NOW + 60_000, v4);
        // Same signature, another address: what a relay redirecting traffic would serve.
        RegistrationRecord redirected = new RegistrationRecord(r.nodeId(), r.agentId(), r.nodeKey(), r.certificate(),
                List.of(new InetSocketAddress("10.6.6.6", 7600)), r.sequence(), r.expiresAt(), r.signature());
        assertEquals(RecordException.Reason.BAD_SIGNATURE, reason(() -> redirected.verify(null, NOW, TTL)));
        // A longer life, same signature.
        RegistrationRecord extended = new RegistrationRecord(r.nodeId(), r.agentId(), r.nodeKey(), r.certificate(),
                r.addresses(), r.sequence(), r.expiresAt() + 1, r.signature());
        assertEquals(RecordException.Reason.BAD_SIGNATURE, reason(() -> extended.verify(null, NOW, TTL)));
        // Any flipped bit of the encoding.
        byte[] bytes = r.toBytes();
        for (int i = 0; i < bytes.length; i++) {
            byte[] flipped = bytes.clone();
            flipped[i] ^= 0x04;
            try {
                RegistrationRecord.fromBytes(flipped).verify(null, NOW, TTL);
                throw new AssertionError("a record with byte " + i + " flipped verified");
            } catch (RecordException expected) {
                // good
            }
        }
    }

    @Test
    void forgedRecordsAreRefused() {
        Keys.Node mallory = agent.node(NOW);
        RegistrationRecord genuine = node.record(1, NOW + 60_000, v4);
        // Mallory claims the victim's node id with her own key.
        RegistrationRecord claimsId = new RegistrationRecord(node.id(), genuine.agentId(), mallory.key().verifyingKey(),
                mallory.certificate(), List.of(v4), 2, NOW + 60_000, new byte[64]);
        RegistrationRecord signedClaim = resign(claimsId, mallory);
        assertEquals(RecordException.Reason.NODE_ID_MISMATCH, reason(() -> signedClaim.verify(null, NOW, TTL)));
        // The victim's id and key, signed by Mallory.
        RegistrationRecord wrongSigner = resign(genuine, mallory);
        assertEquals(RecordException.Reason.BAD_SIGNATURE, reason(() -> wrongSigner.verify(null, NOW, TTL)));
    }

    @Test
    void certificatesMustMatchTheRecordAndBeValid() {
        Keys other = new Keys();
        Keys.Node stranger = other.node(NOW);
        // A node of another agent registering under this agent's id: certificate mismatch.
        RegistrationRecord r = stranger.record(1, NOW + 60_000, v4);
        RegistrationRecord underOurAgent = resign(new RegistrationRecord(r.nodeId(), node.record(1, NOW + 1, v4)
                .agentId(), r.nodeKey(), r.certificate(), r.addresses(), 1, NOW + 60_000, r.signature()), stranger);
        assertEquals(RecordException.Reason.CERTIFICATE_MISMATCH,
                reason(() -> underOurAgent.verify(null, NOW, TTL)));
        // A genuine record of the other agent, asked about ours.
        assertEquals(RecordException.Reason.WRONG_AGENT,
                reason(() -> r.verify(AgentId.of(agent.root.verifyingKey()), NOW, TTL)));
        // Someone else's certificate in our record.
        RegistrationRecord borrowed = resign(new RegistrationRecord(node.id(), r.agentId(), node.key().verifyingKey(),
                stranger.certificate(), List.of(v4), 1, NOW + 60_000, r.signature()), node);
        assertEquals(RecordException.Reason.CERTIFICATE_MISMATCH, reason(() -> borrowed.verify(null, NOW, TTL)));
        // A certificate that expired.
        NodeCertificate old = NodeCertificate.issue(agent.root, node.key().verifyingKey(), Role.VOTER,
                NOW - 10 * Keys.HOUR, NOW - Keys.HOUR);
        RegistrationRecord stale = RegistrationRecord.sign(node.key(), old, List.of(v4), 1, NOW + 60_000);
        assertEquals(RecordException.Reason.CERTIFICATE_INVALID, reason(() -> stale.verify(null, NOW, TTL)));
    }

    @Test
    void expiredAndTooLongLivedRecordsAreRefused() {
        RegistrationRecord expired = node.record(1, NOW);
        assertEquals(RecordException.Reason.EXPIRED, reason(() -> expired.verify(null, NOW, TTL)));
        RegistrationRecord forever = node.record(1, NOW + TTL + 1, v4);
        assertEquals(RecordException.Reason.TOO_LONG_LIVED, reason(() -> forever.verify(null, NOW, TTL)));
    }

    @Test
    void malformedBytesAreRefusedWithAReason() {
        byte[] good = node.record(1, NOW + 60_000, v4, named).toBytes();
        assertEquals(RecordException.Reason.MALFORMED,
                reason(() -> RegistrationRecord.fromBytes(Arrays.copyOf(good, good.length - 1))));
        assertEquals(RecordException.Reason.MALFORMED,
                reason(() -> RegistrationRecord.fromBytes(Arrays.copyOf(good, good.length + 1))));
        byte[] version = good.clone();
        version[0] = 2;
        assertEquals(RecordException.Reason.MALFORMED, reason(() -> RegistrationRecord.fromBytes(version)));
        assertEquals(RecordException.Reason.MALFORMED, reason(() -> RegistrationRecord.fromBytes(new byte[0])));
        assertEquals(RecordException.Reason.MALFORMED, reason(() -> RegistrationRecord.fromBytes(
                new byte[RegistrationRecord.MAX_ENCODED_BYTES + 1])));
        assertThrows(IllegalArgumentException.class, () -> node.record(1, NOW + 1, new InetSocketAddress("10.0.0.1", 0)));
        InetSocketAddress[] nine = new InetSocketAddress[9];
        Arrays.fill(nine, v4);
        assertThrows(IllegalArgumentException.class, () -> node.record(1, NOW + 1, nine));
    }

    private static RegistrationRecord resign(RegistrationRecord r, Keys.Node signer) {
        byte[] sig = signer.key().sign(r.signingPayload());
        return new RegistrationRecord(r.nodeId(), r.agentId(), r.nodeKey(), r.certificate(), r.addresses(),
                r.sequence(), r.expiresAt(), sig);
    }
}
