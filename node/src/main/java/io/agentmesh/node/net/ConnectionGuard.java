package io.agentmesh.node.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;

/**
 * Last handler of every pipeline: counts connections opened and closed, and closes a connection, with a counted and
 * logged reason, on an oversized or corrupt length prefix, on reader idleness, and on any other error that reached
 * the end of the pipeline. TLS failures are counted by {@link AuthHandler}; here they only close.
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
    private final NetworkCounters counters;
    private final long idleTimeoutMs;
    private final String self;

    ConnectionGuard(NetworkCounters counters, long idleTimeoutMs, String self) {
        this.counters = counters;
        this.idleTimeoutMs = idleTimeoutMs;
        this.self = self;
    }

    private boolean counted;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) { // relayed: added once the circuit is spliced
            count();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        count();
        ctx.fireChannelActive();
    }

    private void count() {
        if (!counted) {
            counted = true;
            counters.connectionsOpened.incrementAndGet();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        counters.connectionsClosed.incrementAndGet();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            Connection conn = Connection.of(ctx.channel());
            log.info("{} closing connection {}: nothing received for {} ms", self, conn, idleTimeoutMs);
            conn.close("idle: nothing received for " + idleTimeoutMs + " ms", true);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Connection conn = Connection.of(ctx.channel());
        if (!ctx.channel().isOpen()) {
            return;
        }
        if (cause instanceof TooLongFrameException) {
            counters.oversizedFrames.incrementAndGet();
            log.warn("{} closing connection {}: oversized frame: {}", self, conn, cause.getMessage());
            conn.close("oversized frame: " + cause.getMessage(), true);
        } else if (cause instanceof CorruptedFrameException) {
            counters.malformedFrames.incrementAndGet();
            log.warn("{} closing connection {}: corrupt frame length ({})", self, conn, cause.getMessage());
            conn.close("malformed frame: " + cause.getMessage(), true);
        } else if (cause instanceof SSLException || cause.getCause() instanceof SSLException) {
            conn.integrityFailure();
            log.debug("{} closing connection {} after a TLS error: {}", self, conn, cause.toString());
            conn.close("TLS error: " + rootMessage(cause), false);
        } else if (cause instanceof IOException) {
            log.debug("{} connection {} failed: {}", self, conn, cause.toString());
            conn.close("connection lost: " + cause.getMessage(), false);
        } else {
            String what = cause instanceof DecoderException ? "decoding error" : "internal error";
            log.warn("{} closing connection {} after an {}: {}", self, conn, what, cause.toString(), cause);
            conn.close(what + ": " + rootMessage(cause), false);
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage());
    }
}
