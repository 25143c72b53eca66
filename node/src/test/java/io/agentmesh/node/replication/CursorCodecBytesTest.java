package io.agentmesh.node.replication;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.store.VersionVector;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pins the stored form of peer cursors: a store written by an earlier version must resume where it left off. */
class CursorCodecBytesTest {
    static ActorId actor(int first) {
        byte[] b = new byte[ActorId.LENGTH];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (first + i);
        }
        return new ActorId(b);
    }

    static final VersionVector TWO = new VersionVector(Map.of(actor(0x20), 7L, actor(0x10), 1L << 40));
    static final String TWO_HEX = "00000002101112131415161718191a1b1c1d1e1f0000010000000000202122232425262728292a2b2c"
            + "2d2e2f0000000000000007";
    static final String EMPTY_HEX = "00000000";

    @Test
    void cursorsEncodeToThePinnedBytes() {
        assertPinned(TWO_HEX, CursorCodec.encode(TWO), "two-actor cursor");
        assertPinned(EMPTY_HEX, CursorCodec.encode(VersionVector.EMPTY), "empty cursor");
    }

    @Test
    void pinnedCursorsDecodeToTheirVectors() {
        assertEquals(TWO, CursorCodec.decode(HexFormat.of().parseHex(TWO_HEX)));
        assertEquals(VersionVector.EMPTY, CursorCodec.decode(HexFormat.of().parseHex(EMPTY_HEX)));
    }

    @Test
    void aCursorThatDoesNotDecodeReadsAsEmpty() {
        byte[] good = HexFormat.of().parseHex(TWO_HEX);
        for (int len = 0; len < good.length; len++) {
            assertEquals(VersionVector.EMPTY, CursorCodec.decode(Arrays.copyOf(good, len)), "cut to " + len);
        }
        assertEquals(VersionVector.EMPTY, CursorCodec.decode(Arrays.copyOf(good, good.length + 1)));
        byte[] negativeSeq = good.clone();
        negativeSeq[4 + 16] = (byte) 0x80;
        assertEquals(VersionVector.EMPTY, CursorCodec.decode(negativeSeq));
        assertEquals(VersionVector.EMPTY, CursorCodec.decode(HexFormat.of().parseHex("7fffffff")));
    }

    static void assertPinned(String expectedHex, byte[] actual, String what) {
        assertEquals(expectedHex, HexFormat.of().formatHex(actual), what + ": its encoding changed, but stores"
                + " written by earlier versions depend on it");
    }
}
