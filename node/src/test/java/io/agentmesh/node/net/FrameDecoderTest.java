package io.agentmesh.node.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FrameDecoderTest {

    private static ByteBuf header(int length) {
        return Unpooled.buffer(4).writeInt(length);
    }

    @Test
    void beforeAuthenticationAFrameOverSixteenKibIsRefusedFromItsLengthAlone() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024 * 1024));
        // Only the 4-byte length arrives: refused before any payload is buffered.
        TooLongFrameException e = assertThrows(TooLongFrameException.class,
                () -> ch.writeInbound(header(FrameDecoder.UNAUTHENTICATED_MAX_FRAME_BYTES + 1)));
        assertEquals(true, e.getMessage().contains("before authentication"), e.getMessage());
        ch.finishAndReleaseAll();
    }

    @Test
    void afterAuthenticationFramesUpToMaxFrameBytesPassAndLargerOnesAreRefused() {
        FrameDecoder decoder = new FrameDecoder(64 * 1024);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        decoder.authenticated();
        int size = 40 * 1024;
        ch.writeInbound(Unpooled.wrappedBuffer(header(size), Unpooled.wrappedBuffer(new byte[size])));
        ByteBuf frame = ch.readInbound();
        assertEquals(size, frame.readableBytes(), "length prefix stripped");
        frame.release();
        assertThrows(TooLongFrameException.class, () -> ch.writeInbound(header(64 * 1024 + 1)));
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void anAllOnesLengthIsOversizedNotNegative() {
        FrameDecoder decoder = new FrameDecoder(64 * 1024);
        decoder.authenticated();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        assertThrows(TooLongFrameException.class, () -> ch.writeInbound(header(-1)));
        ch.finishAndReleaseAll();
    }
}
