package io.agentmesh.node.core;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stored certificate list keeps the layout earlier versions wrote (certificates back to back), so a node
 * restarted on a newer version still knows its members before they reconnect. Each certificate's own bytes are
 * pinned in protocol's NodeCertificateBytesTest; this pins how the list puts them together.
 */
class StoredCertificatesTest {
    static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    static final long YEAR = 365 * 86_400_000L;
    static final SigningKey ROOT = SigningKey.generate(new SecureRandom());

    static final NodeCertificate VOTER = NodeCertificate.issue(ROOT,
            SigningKey.generate(new SecureRandom()).verifyingKey(), Role.VOTER, T0, T0 + YEAR, T0 + 1234);
    static final NodeCertificate LEARNER = NodeCertificate.issue(ROOT,
            SigningKey.generate(new SecureRandom()).verifyingKey(), Role.LEARNER, T0 - 1, T0 + 2 * YEAR);

    static byte[] backToBack(NodeCertificate... certificates) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (NodeCertificate c : certificates) {
            out.writeBytes(c.toBytes());
        }
        return out.toByteArray();
    }

    @Test
    void aListIsItsCertificatesBackToBack() {
        assertArrayEquals(backToBack(VOTER, LEARNER), StoredCertificates.encode(List.of(VOTER, LEARNER)));
        assertEquals(0, StoredCertificates.encode(List.of()).length);
    }

    @Test
    void aListWrittenByEarlierVersionsReadsBackItsCertificates() {
        StoredCertificates.Decoded d = StoredCertificates.decode(backToBack(VOTER, LEARNER));
        assertEquals(2, d.certificates().size());
        assertEquals(VOTER, NodeCertificate.fromBytes(d.certificates().get(0)));
        assertEquals(LEARNER, NodeCertificate.fromBytes(d.certificates().get(1)));
        assertEquals(0, d.trailingBytes());
    }

    @Test
    void bytesTooFewForAnotherCertificateAreReportedNotDecoded() {
        byte[] stored = backToBack(VOTER, LEARNER);
        StoredCertificates.Decoded cut = StoredCertificates.decode(Arrays.copyOf(stored, stored.length - 1));
        assertEquals(1, cut.certificates().size());
        assertArrayEquals(VOTER.toBytes(), cut.certificates().get(0));
        assertEquals(NodeCertificate.ENCODED_LENGTH - 1, cut.trailingBytes());
        assertEquals(0, StoredCertificates.decode(new byte[0]).certificates().size());
    }
}
