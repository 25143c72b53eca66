package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;

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

class NodeRevocationTest {
    private static final long DAY = 86_400_000L;
    private final SigningKey root = key(1);
    private final SigningKey otherRoot = key(2);
    private final SigningKey node = key(3);

    private static byte[] actor(int b) {
        byte[] a = new byte[NodeRevocation.ACTOR_LENGTH];
        Arrays.fill(a, (byte) b);
        return a;
    }

    private NodeRevocation revocation() {
        return NodeRevocation.issue(root, node.verifyingKey(), T0 + DAY, "disk stolen",
                List.of(new NodeRevocation.Cut(actor(0xb0), 7), new NodeRevocation.Cut(actor(0x0a), 42)));
    }

    private NodeCertificate certificateIssuedAt(long issuedAt) {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, T0, T0 + 365 * DAY, issuedAt);
    }

    @Test
    void anIssuedRevocationVerifiesForItsAgentAndSortsItsCut() {
        NodeRevocation r = revocation();
        assertSame(r, r.verify(root.verifyingKey()));
        assertEquals(NodeId.of(node.verifyingKey()), r.nodeId());
        assertEquals(AgentId.of(root.verifyingKey()), r.agentId());
        assertArrayEquals(actor(0x0a), r.cut().get(0).actor(), "cut entries sorted by actor");
        assertEquals(OptionalLong.of(42), r.lastValidSeq(actor(0x0a)));
        assertEquals(OptionalLong.of(7), r.lastValidSeq(actor(0xb0)));
        assertEquals(OptionalLong.empty(), r.lastValidSeq(actor(0x0b)));
    }

    @Test
    void issuingIsDeterministic() {
        assertEquals(revocation(), revocation());
        assertArrayEquals(revocation().toBytes(), revocation().toBytes());
    }

    @Test
    void everyCertificateOfTheKeyIsDeadWhenEverItWasIssuedAndOtherKeysAndAgentsAreNot() {
        NodeRevocation r = revocation();
        assertTrue(r.revokes(certificateIssuedAt(T0)));
        assertTrue(r.revokes(certificateIssuedAt(T0 + DAY)), "issued at the very revocation time: dead");
        assertTrue(r.revokes(certificateIssuedAt(T0 + 30 * DAY)), "enrolled again after it: dead all the same");
        NodeCertificate otherNode = NodeCertificate.issue(root, key(4).verifyingKey(), Role.VOTER, T0, T0 + DAY);
        assertFalse(r.revokes(otherNode));
        NodeCertificate otherAgent = NodeCertificate.issue(otherRoot, node.verifyingKey(), Role.VOTER, T0, T0 + DAY);
        assertFalse(r.revokes(otherAgent), "another agent's enrollment of the same key is not this agent's to revoke");
    }

    @Test
    void aRevocationFromAnotherAgentIsRejected() {
        assertRefused(IdentityException.Reason.WRONG_AGENT, AgentId.of(otherRoot.verifyingKey()).toString(),
                () -> revocation().verify(otherRoot.verifyingKey()));
    }

    @Test
    void aRevocationSignedByAnotherKeyClaimingTheAgentIsRejected() {
        NodeRevocation real = revocation();
        byte[] forged = NodeRevocation.issue(otherRoot, node.verifyingKey(), real.revokedAt(), real.reason(),
                real.cut()).signature();
        NodeRevocation r = new NodeRevocation(real.agentRootKey(), real.nodeKey(), real.revokedAt(), real.reason(),
                real.cut(), forged);
        assertRefused(IdentityException.Reason.BAD_SIGNATURE, "invalid signature", () -> r.verify(root.verifyingKey()));
    }

    @Test
    void theSignatureCoversTheCutTheTimeAndTheReason() {
        NodeRevocation r = revocation();
        List<NodeRevocation.Cut> raised = List.of(new NodeRevocation.Cut(actor(0x0a), 43), r.cut().get(1));
        assertFalse(new NodeRevocation(r.agentRootKey(), r.nodeKey(), r.revokedAt(), r.reason(), raised,
                r.signature()).signatureValid());
        assertFalse(new NodeRevocation(r.agentRootKey(), r.nodeKey(), r.revokedAt() - 1, r.reason(), r.cut(),
                r.signature()).signatureValid());
        assertFalse(new NodeRevocation(r.agentRootKey(), r.nodeKey(), r.revokedAt(), "retired", r.cut(),
                r.signature()).signatureValid());
    }

    @Test
    void everyTamperedByteIsRejected() {
        byte[] good = revocation().toBytes();
        assertEquals(revocation(), NodeRevocation.fromBytes(good));
        assertEveryBitFlipRefused(good, NodeRevocation::fromBytes, d -> d.verify(root.verifyingKey()));
    }

    @Test
    void malformedBytesAreRejectedWithAClearError() {
        byte[] good = revocation().toBytes();
        assertRefused(IdentityException.Reason.MALFORMED, "empty", () -> NodeRevocation.fromBytes(new byte[0]));
        assertRefused(IdentityException.Reason.MALFORMED, "truncated",
                () -> NodeRevocation.fromBytes(Arrays.copyOf(good, good.length - 1)));
        assertRefused(IdentityException.Reason.MALFORMED, "trailing bytes",
                () -> NodeRevocation.fromBytes(Arrays.copyOf(good, good.length + 1)));
        byte[] version = good.clone();
        version[0] = 2;
        assertRefused(IdentityException.Reason.UNSUPPORTED_VERSION, "version 2",
                () -> NodeRevocation.fromBytes(version));
        byte[] badKey = good.clone();
        Arrays.fill(badKey, 33, 65, (byte) 0);
        badKey[33] = 1; // node key = the neutral point
        assertRefused(IdentityException.Reason.MALFORMED, "node key is invalid", () -> NodeRevocation.fromBytes(badKey));
        int reasonAt = 1 + 32 + 32 + 8;
        byte[] longReason = good.clone();
        longReason[reasonAt] = 0x01; // length 256 + 11: over the limit
        assertRefused(IdentityException.Reason.MALFORMED, "reason", () -> NodeRevocation.fromBytes(longReason));
        byte[] badUtf8 = good.clone();
        badUtf8[reasonAt + 2] = (byte) 0xff;
        assertRefused(IdentityException.Reason.MALFORMED, "UTF-8", () -> NodeRevocation.fromBytes(badUtf8));
        byte[] newline = good.clone();
        newline[reasonAt + 2] = '\n';
        assertRefused(IdentityException.Reason.MALFORMED, "control characters", () -> NodeRevocation.fromBytes(newline));
        int cutAt = reasonAt + 2 + "disk stolen".length();
        byte[] manyEntries = good.clone();
        manyEntries[cutAt] = 0x7f; // 32,512 entries cannot fit
        assertRefused(IdentityException.Reason.MALFORMED, "cut", () -> NodeRevocation.fromBytes(manyEntries));
        byte[] swapped = good.clone(); // the two entries in the wrong order
        System.arraycopy(good, cutAt + 2, swapped, cutAt + 2 + 24, 24);
        System.arraycopy(good, cutAt + 2 + 24, swapped, cutAt + 2, 24);
        assertRefused(IdentityException.Reason.MALFORMED, "ascending order", () -> NodeRevocation.fromBytes(swapped));
        byte[] negativeSeq = good.clone();
        negativeSeq[cutAt + 2 + 16] = (byte) 0x80;
        assertRefused(IdentityException.Reason.MALFORMED, ">= 0", () -> NodeRevocation.fromBytes(negativeSeq));
    }

    @Test
    void issuingARevocationTheEncodingRefusesFailsWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeRevocation.issue(root, node.verifyingKey(),
                T0, "x".repeat(257), List.of())).getMessage().contains("256 bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeRevocation.issue(root, node.verifyingKey(),
                T0, "two\nlines", List.of())).getMessage().contains("control characters"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeRevocation.issue(root, node.verifyingKey(),
                T0, "", List.of(new NodeRevocation.Cut(actor(1), 1), new NodeRevocation.Cut(actor(1), 2))))
                .getMessage().contains("twice"));
    }

    @Test
    void jsonFormRoundTripsAndIsReadable() {
        NodeRevocation r = revocation();
        String json = r.toJson();
        assertTrue(json.contains("\"format\" : \"agentmesh-node-revocation\""), json);
        assertTrue(json.contains("\"nodeId\" : \"" + r.nodeId() + "\""), json);
        assertTrue(json.contains("\"lastValidSeq\" : 42"), json);
        assertEquals(r, NodeRevocation.fromJson("test", json));
        assertSame(NodeRevocation.fromJson("test", json).verify(root.verifyingKey()).getClass(), NodeRevocation.class);
    }

    @Test
    void malformedJsonIsRejectedWithAClearError() {
        String json = revocation().toJson();
        assertRefused(IdentityException.Reason.MALFORMED, "not valid JSON",
                () -> NodeRevocation.fromJson("body", json.substring(0, json.length() / 2)));
        assertRefused(IdentityException.Reason.MALFORMED, "body is empty or not a JSON object",
                () -> NodeRevocation.fromJson("body", "[]"));
        assertRefused(IdentityException.Reason.MALFORMED, "unknown field(s) [why]",
                () -> NodeRevocation.fromJson("body", json.replaceFirst("\"reason\"", "\"why\"")));
        assertRefused(IdentityException.Reason.MALFORMED, "not valid JSON",
                () -> NodeRevocation.fromJson("body", json.replace("{", "{ \"reason\" : \"dup\",")));
        assertRefused(IdentityException.Reason.MALFORMED, "is not a node revocation",
                () -> NodeRevocation.fromJson("body", json.replace("agentmesh-node-revocation", "agentmesh-node-certificate")));
        assertRefused(IdentityException.Reason.UNSUPPORTED_VERSION, "version 3",
                () -> NodeRevocation.fromJson("body", json.replace("\"version\" : 1", "\"version\" : 3")));
        assertRefused(IdentityException.Reason.MALFORMED, "does not match nodeKey",
                () -> NodeRevocation.fromJson("body", json.replace(revocation().nodeId().toString(),
                        NodeId.of(otherRoot.verifyingKey()).toString())));
        assertRefused(IdentityException.Reason.MALFORMED, "field 'cut' item 0 has unknown field(s) [seq]",
                () -> NodeRevocation.fromJson("body", json.replaceFirst("\"lastValidSeq\"", "\"seq\"")));
        assertRefused(IdentityException.Reason.MALFORMED, "'lastValidSeq' must be >= 0",
                () -> NodeRevocation.fromJson("body", json.replace("\"lastValidSeq\" : 42", "\"lastValidSeq\" : -1")));
        assertRefused(IdentityException.Reason.MALFORMED, "field 'cut' must be an array",
                () -> NodeRevocation.fromJson("body", json.replaceFirst("\"cut\" : \\[[^\\]]*\\]", "\"cut\" : 5")));
        String actorHex = HexFormat.of().formatHex(actor(0x0a));
        assertRefused(IdentityException.Reason.MALFORMED, "16 bytes",
                () -> NodeRevocation.fromJson("body", json.replace(actorHex, actorHex.substring(2))));
        String otherActor = HexFormat.of().formatHex(actor(0xb0));
        assertRefused(IdentityException.Reason.MALFORMED, "ascending order",
                () -> NodeRevocation.fromJson("body", json.replace(actorHex, "ff".repeat(16))
                        .replace(otherActor, actorHex)));
    }

    @Test
    void tamperedJsonFailsVerification() {
        String json = revocation().toJson().replace("\"lastValidSeq\" : 42", "\"lastValidSeq\" : 4200");
        NodeRevocation r = NodeRevocation.fromJson("body", json);
        assertRefused(IdentityException.Reason.BAD_SIGNATURE, "invalid signature", () -> r.verify(root.verifyingKey()));
    }

    @Test
    void toStringNamesNodeTimeAndReason() {
        String s = revocation().toString();
        assertTrue(s.contains(revocation().nodeId().toString()) && s.contains("2026-01-02") && s.contains("disk stolen"), s);
    }
}
