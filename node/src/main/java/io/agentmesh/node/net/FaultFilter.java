package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Drops inbound messages from a peer the {@link FaultInjector} drops or blocks (or whose direct path it blocks,
 * on a direct connection). Sits after authentication and
 * before the idle detector, so a dropped peer looks silent (and times out) exactly like a partitioned one. Only in
 * the pipeline when fault injection is on.
 */
final class FaultFilter extends ChannelInboundHandlerAdapter {
    private final FaultInjector faults;
    private final NetworkCounters counters;

    FaultFilter(FaultInjector faults, NetworkCounters counters) {
        this.faults = faults;
        this.counters = counters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Connection conn = Connection.of(ctx.channel());
        NodeId peer = conn.peerId();
        if (peer != null && faults.rule(peer).dropsFrames(conn.relayed)) {
            counters.framesDroppedByFaults.incrementAndGet();
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
