package io.agentmesh.relay.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

/**
 * Splits a control stream into {@link RelayCodec} frames and, when the connection turns into a spliced circuit,
 * hands back the bytes that arrived after the last frame (they belong to the circuit). Not thread-safe: one per
 * channel, used on its event loop.
 */
public final class RelayFrames {
    private ByteBuf buffer;

    /** Adds {@code in} (takes ownership). */
    public void add(ByteBuf in) {
        if (buffer == null) {
            buffer = Unpooled.buffer(Math.max(256, in.readableBytes()));
        }
        buffer.writeBytes(in);
        in.release();
    }

    /**
     * The next complete frame's message, or null when more bytes are needed.
     *
     * @throws ProtocolException for an oversized frame or a payload that does not decode
     */
    public RelayMessage next() throws ProtocolException {
        if (buffer == null || buffer.readableBytes() < RelayCodec.LENGTH_FIELD_BYTES) {
            return null;
        }
        long length = buffer.getUnsignedInt(buffer.readerIndex());
        if (length > RelayCodec.MAX_FRAME_BYTES || length == 0) {
            throw new ProtocolException("relay frame of " + length + " bytes (limit " + RelayCodec.MAX_FRAME_BYTES
                    + ")");
        }
        if (buffer.readableBytes() < RelayCodec.LENGTH_FIELD_BYTES + length) {
            return null;
        }
        buffer.skipBytes(RelayCodec.LENGTH_FIELD_BYTES);
        byte[] payload = new byte[(int) length];
        buffer.readBytes(payload);
        return RelayCodec.decode(payload);
    }

    /** Bytes buffered past the last frame (possibly empty); the caller owns them. Ends this accumulator. */
    public ByteBuf takeRest() {
        ByteBuf rest = buffer == null ? Unpooled.EMPTY_BUFFER : buffer;
        buffer = null;
        return rest;
    }

    public void release() {
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }

    /** {@code message} as one frame. */
    public static ByteBuf frame(ByteBufAllocator alloc, RelayMessage message) {
        byte[] payload = RelayCodec.encode(message);
        ByteBuf out = alloc.buffer(RelayCodec.LENGTH_FIELD_BYTES + payload.length);
        out.writeInt(payload.length);
        out.writeBytes(payload);
        return out;
    }

    public static ChannelFuture write(Channel ch, RelayMessage message) {
        return ch.writeAndFlush(frame(ch.alloc(), message));
    }
}
