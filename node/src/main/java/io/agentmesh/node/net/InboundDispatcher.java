package io.agentmesh.node.net;

import io.agentmesh.protocol.wire.WireMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands authenticated messages to the {@link PeerRegistry}, which passes them to the node thread. A Goodbye is the
 * transport's own business: it records the peer's reason and closes (the core hears it in peerDown). A second
 * Hello is a protocol violation and closes the connection.
 */
final class InboundDispatcher extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboundDispatcher.class);
    private final PeerRegistry registry;
    private final String self;

    InboundDispatcher(PeerRegistry registry, String self) {
        this.registry = registry;
        this.self = self;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Connection conn = Connection.of(ctx.channel());
        if (!(msg instanceof WireMessage message)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        switch (message) {
            case WireMessage.Goodbye bye -> {
                log.info("{} connection {}: peer said goodbye: {}", self, conn, bye.reason());
                conn.remoteGoodbye(bye.reason());
                ctx.close();
            }
            case WireMessage.Hello hello -> {
                log.warn("{} closing connection {}: a second Hello", self, conn);
                conn.close("protocol violation: a second Hello", true);
            }
            default -> registry.deliver(conn, message);
        }
    }
}
