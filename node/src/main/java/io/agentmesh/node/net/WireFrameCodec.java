package io.agentmesh.node.net;

import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireException;
import io.agentmesh.protocol.wire.WireMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frame payloads to and from {@link WireMessage}s, counting frames and bytes. Inbound: one length-stripped frame
 * (from the length-field decoder) becomes one message; a frame that does not decode is counted as malformed, logged
 * with the reason, answered with a Goodbye (generic before authentication, {@link Connection#close}), and closes
 * the connection (frames after it are discarded). Outbound:
 * a {@link WireMessage} is encoded here; a {@link ByteBuf} is taken as an already encoded payload (how
 * {@link NettyNetwork#send} hands over messages it encoded once for several peers).
 */
final class WireFrameCodec extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(WireFrameCodec.class);
    static final int LENGTH_FIELD_BYTES = 4;

    private final WireCodec codec;
    private final NetworkCounters counters;
    private final String self;
    private boolean failed;

    WireFrameCodec(WireCodec codec, NetworkCounters counters, String self) {
        this.codec = codec;
        this.counters = counters;
        this.self = self;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (failed) {
                return;
            }
            int length = frame.readableBytes();
            counters.framesIn.incrementAndGet();
            counters.bytesIn.addAndGet(length + LENGTH_FIELD_BYTES);
            WireMessage message;
            try {
                message = codec.decode(ByteBufUtil.getBytes(frame));
            } catch (WireException e) {
                failed = true;
                counters.malformedFrames.incrementAndGet();
                Connection conn = Connection.of(ctx.channel());
                log.warn("{} closing connection {}: malformed frame of {} bytes: {}", self, conn, length,
                        e.getMessage());
                conn.close("malformed frame: " + e.getMessage(), true);
                return;
            }
            Connection conn = Connection.of(ctx.channel());
            if (conn != null) {
                conn.lastFrameBytes(length + LENGTH_FIELD_BYTES);
            }
            ctx.fireChannelRead(message);
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ByteBuf payload;
        if (msg instanceof WireMessage m) {
            try {
                payload = Unpooled.wrappedBuffer(codec.encode(m));
            } catch (WireException e) {
                log.warn("{} cannot send {} to {}: {}", self, m.getClass().getSimpleName(),
                        Connection.of(ctx.channel()), e.getMessage());
                promise.setFailure(e);
                return;
            }
        } else if (msg instanceof ByteBuf b) {
            payload = b;
        } else {
            ctx.write(msg, promise);
            return;
        }
        counters.framesOut.incrementAndGet();
        counters.bytesOut.addAndGet(payload.readableBytes() + LENGTH_FIELD_BYTES);
        ctx.write(payload, promise);
    }
}
