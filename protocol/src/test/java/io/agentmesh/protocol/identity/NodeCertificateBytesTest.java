package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Pins the bytes of node certificates. They are signed, stored in identity directories and node stores, and carried
 * to peers and relays, so the layout must never change by accident: certificates issued by an earlier agentmesh must
 * still decode and verify, byte for byte.
 */
class NodeCertificateBytesTest {
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

    static final String VOTER_HEX = "01cecc1507dc1ddd7295951c290888f095adb9044d1b73d696e6df065d683bd4fcdadbd184a2d526"
            + "f1ebdd5c06fdad9359b228759b4d7f79d66689fa254aad8546010000019b76daa800000001a2ce8bd4000000019b76daacd218"
            + "4ad5d17088c9d73bd766e26d23601128f2862e9133d556228e7b56f12192a97c09853f552da2a2765f26f2018c2906c2ac0c07"
            + "b83d0170b4ecee7649157203";
    static final String LEARNER_HEX = "01cecc1507dc1ddd7295951c290888f095adb9044d1b73d696e6df065d683bd4fc9be328779590"
            + "7809407e14439ff198d5bfc7dce6f9bc743cb369146f610b4801020000019b76daa7ff000001aa263d00000000019b76daa7ff"
            + "fa0cf232ec5d9ea881e1e627b8a8722a42f74fc3d0a6f32a9239fae43e263aa44bd51306c2bf23c181efb64e8224e7f31e9774"
            + "7e65b12ed54c0ddfab772c310b";

    @Test
    void certificatesEncodeToThePinnedBytes() {
        assertPinned(VOTER_HEX, VOTER.toBytes(), "voter certificate");
        assertPinned(LEARNER_HEX, LEARNER.toBytes(), "learner certificate");
    }

    @Test
    void pinnedCertificatesStillDecodeAndVerify() {
        for (String hex : new String[] {VOTER_HEX, LEARNER_HEX}) {
            NodeCertificate c = NodeCertificate.fromBytes(HexFormat.of().parseHex(hex));
            assertSame(c, c.verify(key(1).verifyingKey(), T0 + 1));
            assertEquals(hex, HexFormat.of().formatHex(c.toBytes()));
        }
        assertEquals(VOTER, NodeCertificate.fromBytes(HexFormat.of().parseHex(VOTER_HEX)));
    }

    static void assertPinned(String expectedHex, byte[] actual, String what) {
        assertEquals(expectedHex, HexFormat.of().formatHex(actual), what + ": its encoding changed, but stored and"
                + " signed bytes of earlier versions depend on it");
    }
}
