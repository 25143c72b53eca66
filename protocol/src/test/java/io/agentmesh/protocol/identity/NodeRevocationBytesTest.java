package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static io.agentmesh.protocol.identity.NodeCertificateBytesTest.T0;
import static io.agentmesh.protocol.identity.NodeCertificateBytesTest.assertPinned;
import static io.agentmesh.protocol.identity.NodeCertificateBytesTest.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Pins the bytes of node revocations. They are signed by the agent root, stored in every node's store and carried to
 * every peer, so the layout must never change by accident: a revocation signed by an earlier agentmesh must still
 * decode and verify, byte for byte, or a removed node would come back.
 */
class NodeRevocationBytesTest {
    private static byte[] actor(int b) {
        byte[] a = new byte[NodeRevocation.ACTOR_LENGTH];
        Arrays.fill(a, (byte) b);
        return a;
    }

    static final NodeRevocation TWO_ACTORS = NodeRevocation.issue(key(1), key(3).verifyingKey(), T0 + 5678,
            "laptop lost", List.of(new NodeRevocation.Cut(actor(0x0a), 42), new NodeRevocation.Cut(actor(0xb0), 7)));
    static final NodeRevocation NOTHING_KEPT = NodeRevocation.issue(key(1), key(4).verifyingKey(), T0, "",
            List.of());

    static final String TWO_ACTORS_HEX = "01cecc1507dc1ddd7295951c290888f095adb9"
            + "044d1b73d696e6df065d683bd4fcdadbd184a2d526f1ebdd5c06fdad9359b228759b4d7f79d66689fa254aad85460000019b76da"
            + "be2e000b6c6170746f70206c6f737400020a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a000000000000002ab0b0b0b0b0b0b0b0b0b0b0"
            + "b0b0b0b0b00000000000000007d2478c2195c9e21d2ab183438b5a455fb53e99d0d9382997ae80e57963f6f53f22f105dea5b221"
            + "02d9bafa40f635db0a97075f8c14144615223461802641a903";
    static final String NOTHING_KEPT_HEX = "01cecc1507dc1ddd7295951c290888f095ad"
            + "b9044d1b73d696e6df065d683bd4fc9be3287795907809407e14439ff198d5bfc7dce6f9bc743cb369146f610b48010000019b76"
            + "daa80000000000f93065527e8da321af7f85e29fe5374c55c930d48ed3efacde0030dddbfda5f8973d5fac60026d37b929b65503"
            + "bb3f1aef4ca96d94fa0f795653beb5c0c78a0b";

    @Test
    void revocationsEncodeToThePinnedBytes() {
        assertPinned(TWO_ACTORS_HEX, TWO_ACTORS.toBytes(), "revocation with a cut");
        assertPinned(NOTHING_KEPT_HEX, NOTHING_KEPT.toBytes(), "revocation with an empty cut");
    }

    @Test
    void pinnedRevocationsStillDecodeAndVerify() {
        for (String hex : new String[] {TWO_ACTORS_HEX, NOTHING_KEPT_HEX}) {
            NodeRevocation r = NodeRevocation.fromBytes(HexFormat.of().parseHex(hex));
            assertSame(r, r.verify(key(1).verifyingKey()));
            assertEquals(hex, HexFormat.of().formatHex(r.toBytes()));
        }
        assertEquals(TWO_ACTORS, NodeRevocation.fromBytes(HexFormat.of().parseHex(TWO_ACTORS_HEX)));
    }
}
