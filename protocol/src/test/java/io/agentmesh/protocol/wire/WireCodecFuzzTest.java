package io.agentmesh.protocol.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Coverage-guided fuzzing of the wire codec (docs/fuzzing.md): every frame payload a peer sends reaches
 * {@link WireCodec#decode}. Bad bytes must give a {@link WireException} and nothing else; bytes it accepts must be a
 * message that encodes again and decodes to the same message, so nothing half-checked reaches the node.
 */
class WireCodecFuzzTest {
    private final WireCodec codec = new WireCodec();

    @FuzzTest(maxDuration = "10s")
    void decodeGivesAMessageOrAWireException(byte[] frame) {
        WireMessage message;
        try {
            message = codec.decode(frame);
        } catch (WireException refused) {
            return;
        }
        byte[] again = codec.encode(message);
        assertArrayEquals(again, codec.encode(codec.decode(again)), "re-encoding is stable for " + message);
    }
}
