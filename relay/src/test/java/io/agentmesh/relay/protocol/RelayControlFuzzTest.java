package io.agentmesh.relay.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;

import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the relay control protocol (docs/fuzzing.md): the byte stream a relay or a node reads
 * from the other side ({@link RelayFrames}, the very accumulator both use), each frame's message
 * ({@link RelayCodec#decode}) and the signed registration records a lookup returns
 * ({@link RegistrationRecord#fromBytes}). The first byte picks the reader. Bad input must give a
 * {@link ProtocolException} or a {@link RecordException} and nothing else.
 */
class RelayControlFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void readersGiveAMessageOrTheirCheckedException(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int selector = Byte.toUnsignedInt(input[0]);
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        try {
            switch (selector % 3) {
                case 0 -> RelayCodec.decode(rest);
                case 1 -> RegistrationRecord.fromBytes(rest);
                default -> readStream(rest, 1 + selector / 3);
            }
        } catch (ProtocolException | RecordException refused) {
            // the documented refusals
        }
    }

    /** Feeds the stream in pieces of {@code pieceBytes}, as TCP may cut it, and reads every complete frame. */
    private static void readStream(byte[] stream, int pieceBytes) throws ProtocolException {
        RelayFrames frames = new RelayFrames();
        try {
            for (int at = 0; at < stream.length; at += pieceBytes) {
                frames.add(Unpooled.wrappedBuffer(stream, at, Math.min(pieceBytes, stream.length - at)));
                while (frames.next() != null) {
                    // each complete frame decoded; the next one may be complete too
                }
            }
            frames.takeRest().release();
        } finally {
            frames.release();
        }
    }
}
