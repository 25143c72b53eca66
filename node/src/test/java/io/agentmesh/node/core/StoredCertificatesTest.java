package io.agentmesh.node.core;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stored certificate list keeps the layout earlier versions wrote (certificates back to back), so a node
 * restarted on a newer version still knows its members before they reconnect.
 */
class StoredCertificatesTest {
    static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    static final long YEAR = 365 * 86_400_000L;

    static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    static final NodeCertificate VOTER = NodeCertificate.issue(key(1), key(3).verifyingKey(), Role.VOTER, T0,
            T0 + YEAR, T0 + 1234);
    static final NodeCertificate LEARNER = NodeCertificate.issue(key(1), key(4).verifyingKey(), Role.LEARNER,
            T0 - 1, T0 + 2 * YEAR);

    // The same certificates' pinned bytes as protocol's NodeCertificateBytesTest.
    static final String VOTER_HEX = "01cecc1507dc1ddd7295951c290888f095adb9044d1b73d696e6df065d683bd4fcdadbd184a2d526"
            + "f1ebdd5c06fdad9359b228759b4d7f79d66689fa254aad8546010000019b76daa800000001a2ce8bd4000000019b76daacd218"
            + "4ad5d17088c9d73bd766e26d23601128f2862e9133d556228e7b56f12192a97c09853f552da2a2765f26f2018c2906c2ac0c07"
            + "b83d0170b4ecee7649157203";
    static final String LEARNER_HEX = "01cecc1507dc1ddd7295951c290888f095adb9044d1b73d696e6df065d683bd4fc9be328779590"
            + "7809407e14439ff198d5bfc7dce6f9bc743cb369146f610b4801020000019b76daa7ff000001aa263d00000000019b76daa7ff"
            + "fa0cf232ec5d9ea881e1e627b8a8722a42f74fc3d0a6f32a9239fae43e263aa44bd51306c2bf23c181efb64e8224e7f31e9774"
            + "7e65b12ed54c0ddfab772c310b";

    @Test
    void aListIsItsCertificatesBackToBack() {
        assertEquals(VOTER_HEX + LEARNER_HEX,
                HexFormat.of().formatHex(StoredCertificates.encode(List.of(VOTER, LEARNER))));
        assertEquals(0, StoredCertificates.encode(List.of()).length);
    }

    @Test
    void aListWrittenByEarlierVersionsReadsBackItsCertificates() {
        StoredCertificates.Decoded d = StoredCertificates.decode(HexFormat.of().parseHex(VOTER_HEX + LEARNER_HEX));
        assertEquals(2, d.certificates().size());
        assertEquals(VOTER, NodeCertificate.fromBytes(d.certificates().get(0)));
        assertEquals(LEARNER, NodeCertificate.fromBytes(d.certificates().get(1)));
        assertEquals(0, d.trailingBytes());
    }

    @Test
    void bytesTooFewForAnotherCertificateAreReportedNotDecoded() {
        byte[] stored = HexFormat.of().parseHex(VOTER_HEX + LEARNER_HEX);
        StoredCertificates.Decoded cut = StoredCertificates.decode(Arrays.copyOf(stored, stored.length - 1));
        assertEquals(1, cut.certificates().size());
        assertArrayEquals(VOTER.toBytes(), cut.certificates().get(0));
        assertEquals(NodeCertificate.ENCODED_LENGTH - 1, cut.trailingBytes());
        assertEquals(0, StoredCertificates.decode(new byte[0]).certificates().size());
    }
}
