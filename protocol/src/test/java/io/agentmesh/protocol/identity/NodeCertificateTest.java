package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static io.agentmesh.protocol.identity.IdentityAssertions.assertEveryBitFlipRefused;
import static io.agentmesh.protocol.identity.IdentityAssertions.assertRefused;
import static io.agentmesh.protocol.identity.NodeCertificateBytesTest.T0;
import static io.agentmesh.protocol.identity.NodeCertificateBytesTest.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeCertificateTest {
    private static final long DAY = 86_400_000L;
    private final SigningKey root = key(1);
    private final SigningKey otherRoot = key(2);
    private final SigningKey node = key(3);

    private NodeCertificate cert() {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, T0, T0 + 365 * DAY);
    }

    @Test
    void anIssuedCertificateVerifiesForItsAgentWithinItsValidity() {
        NodeCertificate c = cert();
        assertSame(c, c.verify(root.verifyingKey(), T0));
        assertSame(c, c.verify(root.verifyingKey(), T0 + 365 * DAY - 1));
        assertSame(c, c.verify(AgentId.of(root.verifyingKey()), T0 + DAY));
        assertEquals(NodeId.of(node.verifyingKey()), c.nodeId());
        assertEquals(AgentId.of(root.verifyingKey()), c.agentId());
        assertEquals(T0, c.issuedAt());
        assertEquals(Role.VOTER, c.role());
    }

    @Test
    void issuingIsDeterministic() {
        assertEquals(cert(), cert());
        assertArrayEquals(cert().toBytes(), cert().toBytes());
    }

    @Test
    void aCertificateFromAnotherAgentIsRejected() {
        String other = AgentId.of(otherRoot.verifyingKey()).toString();
        assertRefused(IdentityException.Reason.WRONG_AGENT, other,
                () -> cert().verify(otherRoot.verifyingKey(), T0 + DAY));
        assertRefused(IdentityException.Reason.WRONG_AGENT, other,
                () -> cert().verify(AgentId.of(otherRoot.verifyingKey()), T0 + DAY));
    }

    @Test
    void anExpiredCertificateIsRejected() {
        assertRefused(IdentityException.Reason.EXPIRED, "expired at 2027-01-01T00:00:00Z",
                () -> cert().verify(root.verifyingKey(), T0 + 365 * DAY));
    }

    @Test
    void aCertificateBeforeItsStartIsRejected() {
        assertRefused(IdentityException.Reason.NOT_YET_VALID, "clock",
                () -> cert().verify(root.verifyingKey(), T0 - 1));
    }

    @Test
    void aCertificateSignedByAnotherKeyClaimingTheAgentIsRejected() {
        NodeCertificate real = cert();
        byte[] forged = NodeCertificate.issue(otherRoot, node.verifyingKey(), Role.VOTER, T0, T0 + DAY).signature();
        NodeCertificate c = new NodeCertificate(real.agentRootKey(), real.nodeKey(), Role.VOTER, T0, T0 + DAY, T0,
                forged);
        assertRefused(IdentityException.Reason.BAD_SIGNATURE, "invalid signature",
                () -> c.verify(root.verifyingKey(), T0));
    }

    @Test
    void everyTamperedByteIsRejected() {
        byte[] good = cert().toBytes();
        assertEquals(NodeCertificate.ENCODED_LENGTH, good.length);
        assertEquals(cert(), NodeCertificate.fromBytes(good));
        assertEveryBitFlipRefused(good, NodeCertificate::fromBytes, d -> d.verify(root.verifyingKey(), T0 + DAY));
    }

    @Test
    void aWitnessCertificateCarriesRoleCodeThreeAndSurvivesBothEncodings() {
        NodeCertificate w = NodeCertificate.issue(root, node.verifyingKey(), Role.WITNESS, T0, T0 + DAY);
        byte[] bytes = w.toBytes();
        assertEquals(3, bytes[65]);
        assertEquals(w, NodeCertificate.fromBytes(bytes));
        assertEquals(w, NodeCertificate.fromJson(w.toJson()));
        assertTrue(w.toJson().contains("\"WITNESS\""), w.toJson());
        assertSame(w, w.verify(root.verifyingKey(), T0));
        byte[] next = bytes.clone();
        next[65] = 4;
        assertRefused(IdentityException.Reason.MALFORMED, "unknown role code 4", () -> NodeCertificate.fromBytes(next));
    }

    @Test
    void theSignatureCoversARoleChange() {
        NodeCertificate c = cert();
        NodeCertificate promoted = new NodeCertificate(c.agentRootKey(), c.nodeKey(), Role.LEARNER, c.notBefore(),
                c.notAfter(), c.issuedAt(), c.signature());
        assertFalse(promoted.signatureValid());
    }

    @Test
    void malformedBytesAreRejectedWithAClearError() {
        byte[] good = cert().toBytes();
        assertRefused(IdentityException.Reason.MALFORMED, "truncated",
                () -> NodeCertificate.fromBytes(java.util.Arrays.copyOf(good, good.length - 1)));
        assertRefused(IdentityException.Reason.MALFORMED, "trailing bytes",
                () -> NodeCertificate.fromBytes(java.util.Arrays.copyOf(good, good.length + 1)));
        assertRefused(IdentityException.Reason.MALFORMED, "empty", () -> NodeCertificate.fromBytes(new byte[0]));
        byte[] version = good.clone();
        version[0] = 2;
        assertRefused(IdentityException.Reason.UNSUPPORTED_VERSION, "version 2",
                () -> NodeCertificate.fromBytes(version));
        byte[] role = good.clone();
        role[65] = 9;
        assertRefused(IdentityException.Reason.MALFORMED, "unknown role code 9", () -> NodeCertificate.fromBytes(role));
        byte[] badKey = good.clone();
        java.util.Arrays.fill(badKey, 33, 65, (byte) 0);
        badKey[33] = 1; // node key = the neutral point
        assertRefused(IdentityException.Reason.MALFORMED, "node key is invalid",
                () -> NodeCertificate.fromBytes(badKey));
        byte[] emptyValidity = good.clone();
        System.arraycopy(good, 74, emptyValidity, 66, 8); // notBefore := notAfter
        assertRefused(IdentityException.Reason.MALFORMED, "validity is empty",
                () -> NodeCertificate.fromBytes(emptyValidity));
    }

    @Test
    void jsonFormRoundTripsAndIsReadable() {
        NodeCertificate c = cert();
        String json = c.toJson();
        assertTrue(json.contains("\"format\" : \"agentmesh-node-certificate\""), json);
        assertTrue(json.contains("\"nodeId\" : \"" + c.nodeId() + "\""), json);
        assertTrue(json.contains("\"role\" : \"VOTER\""), json);
        assertEquals(c, NodeCertificate.fromJson(json));
        assertEquals(c, NodeCertificate.fromJson(json).verify(root.verifyingKey(), T0));
    }

    @Test
    void malformedJsonIsRejectedWithAClearError() {
        String json = cert().toJson();
        assertRefused(IdentityException.Reason.MALFORMED, "not valid JSON",
                () -> NodeCertificate.fromJson(json.substring(0, json.length() / 2)));
        assertRefused(IdentityException.Reason.MALFORMED, "not valid JSON",
                () -> NodeCertificate.fromJson(json + json));
        assertRefused(IdentityException.Reason.MALFORMED, "empty or not a JSON object",
                () -> NodeCertificate.fromJson(""));
        assertRefused(IdentityException.Reason.MALFORMED, "unknown field(s) [sig]",
                () -> NodeCertificate.fromJson(json.replaceFirst("\"signature\"", "\"sig\"")));
        assertRefused(IdentityException.Reason.MALFORMED, "no field 'signature'",
                () -> NodeCertificate.fromJson(json.replaceFirst(",\\s*\"signature\" : \"[0-9a-f]+\"", "")));
        assertRefused(IdentityException.Reason.MALFORMED, "field 'role' is 'ADMIN'",
                () -> NodeCertificate.fromJson(json.replace("\"VOTER\"", "\"ADMIN\"")));
        assertRefused(IdentityException.Reason.MALFORMED, "does not match nodeKey",
                () -> NodeCertificate.fromJson(json.replace(cert().nodeId().toString(),
                        NodeId.of(otherRoot.verifyingKey()).toString())));
        assertRefused(IdentityException.Reason.MALFORMED, "must be a whole number",
                () -> NodeCertificate.fromJson(json.replace("\"notBefore\" : " + T0, "\"notBefore\" : \"soon\"")));
        assertRefused(IdentityException.Reason.MALFORMED, "unknown field",
                () -> NodeCertificate.fromJson(json.replace("{", "{ \"extra\" : 1,")));
        assertRefused(IdentityException.Reason.MALFORMED, "not valid JSON",
                () -> NodeCertificate.fromJson(json.replace("{", "{ \"role\" : \"VOTER\",")));
        assertRefused(IdentityException.Reason.MALFORMED, "is not a node certificate",
                () -> NodeCertificate.fromJson(json.replace("agentmesh-node-certificate", "something-else")));
        assertRefused(IdentityException.Reason.UNSUPPORTED_VERSION, "version 7",
                () -> NodeCertificate.fromJson(json.replace("\"version\" : 1", "\"version\" : 7")));
        String sig = HexFormat.of().formatHex(cert().signature());
        assertRefused(IdentityException.Reason.MALFORMED, "64 bytes",
                () -> NodeCertificate.fromJson(json.replace(sig, sig.substring(2))));
    }

    @Test
    void tamperedJsonFailsVerification() {
        String json = cert().toJson().replace("\"notAfter\" : " + (T0 + 365 * DAY),
                "\"notAfter\" : " + (T0 + 3650 * DAY));
        NodeCertificate c = NodeCertificate.fromJson(json);
        assertRefused(IdentityException.Reason.BAD_SIGNATURE, "invalid signature",
                () -> c.verify(root.verifyingKey(), T0));
    }

    @Test
    void issuingAnEmptyValidityIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> NodeCertificate.issue(root, node.verifyingKey(), Role.LEARNER, T0, T0));
    }

    @Test
    void toStringNamesNodeAgentRoleAndValidity() {
        String s = cert().toString();
        assertTrue(s.contains(cert().nodeId().toString()) && s.contains("VOTER") && s.contains("2026-01-01"), s);
    }
}
