package io.agentmesh.node.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the stream into frames of a 4-byte big-endian length and that many payload bytes, stripping the length.
 * Until the peer is authenticated the limit is {@link #UNAUTHENTICATED_MAX_FRAME_BYTES} (a Hello is a few hundred
 * bytes), so a stranger cannot make a connection buffer megabytes; {@link #authenticated()} raises it to
 * {@code maxFrameBytes}. A longer frame raises one {@link TooLongFrameException} (counted and closed by
 * {@link ConnectionGuard}) as soon as its length is read, before any of it is buffered; everything after it is
 * discarded.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    static final int UNAUTHENTICATED_MAX_FRAME_BYTES = 16 * 1024;

    private final int maxFrameBytes;
    private int limit;
    private boolean failed;

    FrameDecoder(int maxFrameBytes) {
        super(maxFrameBytes + WireFrameCodec.LENGTH_FIELD_BYTES, 0, WireFrameCodec.LENGTH_FIELD_BYTES, 0,
                WireFrameCodec.LENGTH_FIELD_BYTES, true);
        this.maxFrameBytes = maxFrameBytes;
        this.limit = Math.min(maxFrameBytes, UNAUTHENTICATED_MAX_FRAME_BYTES);
    }

    /** Called on the event loop once the peer passed the Hello. */
    void authenticated() {
        limit = maxFrameBytes;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        if (in.readableBytes() >= WireFrameCodec.LENGTH_FIELD_BYTES) {
            long payload = in.getUnsignedInt(in.readerIndex());
            if (payload > limit) {
                failed = true;
                in.skipBytes(in.readableBytes());
                throw new TooLongFrameException("frame of " + payload + " bytes exceeds the limit of " + limit
                        + (limit < maxFrameBytes ? " before authentication" : ""));
            }
        }
        return super.decode(ctx, in);
    }
}
