package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.relay.protocol.ProtocolException;
import io.agentmesh.relay.protocol.RelayCodec;
import io.agentmesh.relay.protocol.RelayFrames;
import io.agentmesh.relay.protocol.RelayMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The relay protocol part of a relayed node connection, before the node's own TLS starts: answers the relay's
 * challenge with Connect (dialer: "splice me to {@code target}") or Attach (target: "this is my side of circuit
 * X"), waits for Connected / Attached, then installs the node pipeline ({@code onSpliced}) and steps aside,
 * passing on any bytes that came after the relay's last frame. A relay error, a malformed frame or the timeout
 * closes the connection with the reason recorded on its {@link Connection}.
 */
final class RelayPreamble extends ChannelInboundHandlerAdapter {
    private final SigningKey nodeKey;
    private final byte[] certificate;
    private final NodeId target;
    private final byte[] circuitId;
    private final long timeoutMs;
    private final Consumer<Channel> onSpliced;
    private final RelayFrames frames = new RelayFrames();
    private ScheduledFuture<?> timer;
    private boolean asked;
    private boolean done;

    /** Dialer side: ask for a circuit to {@code target}. */
    static RelayPreamble connect(SigningKey nodeKey, byte[] certificate, NodeId target, long timeoutMs,
                                 Consumer<Channel> onSpliced) {
        return new RelayPreamble(nodeKey, certificate, target, null, timeoutMs, onSpliced);
    }

    /** Target side: attach to {@code circuitId}. */
    static RelayPreamble attach(SigningKey nodeKey, byte[] circuitId, long timeoutMs, Consumer<Channel> onSpliced) {
        return new RelayPreamble(nodeKey, null, null, circuitId, timeoutMs, onSpliced);
    }

    private RelayPreamble(SigningKey nodeKey, byte[] certificate, NodeId target, byte[] circuitId, long timeoutMs,
                          Consumer<Channel> onSpliced) {
        this.nodeKey = nodeKey;
        this.certificate = certificate;
        this.target = target;
        this.circuitId = circuitId;
        this.timeoutMs = timeoutMs;
        this.onSpliced = onSpliced;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> fail(ctx, "no circuit within " + timeoutMs + " ms"), timeoutMs,
                TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        frames.release();
        if (!done) {
            done = true;
            Connection.of(ctx.channel()).reason("relay closed the connection before the circuit was ready");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        frames.add(buf);
        try {
            RelayMessage m;
            while (!done && (m = frames.next()) != null) {
                handle(ctx, m);
            }
        } catch (ProtocolException e) {
            fail(ctx, "malformed relay frame: " + e.getMessage());
        }
    }

    private void handle(ChannelHandlerContext ctx, RelayMessage m) {
        switch (m) {
            case RelayMessage.Challenge c when !asked -> {
                if (c.version() != RelayCodec.PROTOCOL_VERSION) {
                    fail(ctx, "relay speaks relay protocol " + c.version() + ", this node "
                            + RelayCodec.PROTOCOL_VERSION);
                    return;
                }
                asked = true;
                RelayMessage request = target != null
                        ? RelayCodec.connect(nodeKey, certificate, c.nonce(), target)
                        : RelayCodec.attach(nodeKey, c.nonce(), circuitId);
                RelayFrames.write(ctx.channel(), request);
            }
            case RelayMessage.Connected c when asked && target != null -> spliced(ctx);
            case RelayMessage.Attached a when asked && target == null && Arrays.equals(a.circuitId(), circuitId) ->
                    spliced(ctx);
            case RelayMessage.Error e -> fail(ctx, "relay refused: " + e.message() + " (" + e.code() + ")");
            default -> fail(ctx, "unexpected " + m.getClass().getSimpleName() + " from the relay");
        }
    }

    private void spliced(ChannelHandlerContext ctx) {
        done = true;
        cancelTimer();
        ByteBuf rest = frames.takeRest();
        onSpliced.accept(ctx.channel()); // adds the node pipeline after this handler
        if (rest.isReadable()) {
            ctx.fireChannelRead(rest);
            ctx.fireChannelReadComplete();
        } else {
            rest.release();
        }
        ctx.pipeline().remove(this);
    }

    private void fail(ChannelHandlerContext ctx, String reason) {
        if (done) {
            return;
        }
        done = true;
        cancelTimer();
        Connection.of(ctx.channel()).reason(reason);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (done) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        RelayPins.RelayPinException pin = RelaySession.pinFailure(cause);
        fail(ctx, pin != null ? pin.getMessage() : "relay connection failed: " + cause.getMessage());
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
