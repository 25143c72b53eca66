package io.agentmesh.relay;

import io.agentmesh.protocol.identity.NodeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One circuit: the source's dialing connection spliced to the target's attached connection. Bytes are forwarded as
 * they come, with backpressure (a side stops reading while the other side's outbound buffer is over its high
 * water mark). Closed when either side closes, at the byte limit, at the time limit, or when the relay stops; the
 * reserved caps are released exactly once.
 */
final class Circuit {
    private static final Logger log = LoggerFactory.getLogger(Circuit.class);

    final byte[] id;
    final String name;
    final NodeId source;
    final NodeId target;
    final Channel dialer;
    private final RelayServer relay;
    private volatile Channel attached;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean open;
    private volatile long openedNanos;
    private volatile ScheduledFuture<?> timer;

    Circuit(RelayServer relay, byte[] id, NodeId source, NodeId target, Channel dialer) {
        this.relay = relay;
        this.id = id;
        this.name = HexFormat.of().formatHex(id, 0, 4);
        this.source = source;
        this.target = target;
        this.dialer = dialer;
    }

    /** Arms the attach timeout: a target that does not attach in time fails the circuit. */
    void awaitAttach() {
        timer = dialer.eventLoop().schedule(() -> {
            if (relay.dropPending(this)) {
                relay.metrics.refused(io.agentmesh.relay.protocol.ErrorCode.ATTACH_TIMEOUT);
                fail(io.agentmesh.relay.protocol.ErrorCode.ATTACH_TIMEOUT, "target " + target.shortForm()
                        + " did not attach within " + relay.config.attachTimeoutMs() + " ms");
            }
        }, relay.config.attachTimeoutMs(), TimeUnit.MILLISECONDS);
    }

    /** Fails a circuit that was never spliced: tells the dialer why and closes it. */
    void fail(io.agentmesh.relay.protocol.ErrorCode code, String message) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        cancelTimer();
        relay.releaseCircuit(source, target, false);
        log.info("circuit {} {} -> {} refused: {} ({})", name, source.shortForm(), target.shortForm(), message, code);
        if (dialer.isActive()) {
            io.agentmesh.relay.protocol.RelayFrames.write(dialer,
                    new io.agentmesh.relay.protocol.RelayMessage.Error(code, message))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Splices: installs forwarding on both channels. Called on the attached channel's event loop after both
     * confirmations were written. {@code dialerRest} / {@code attachedRest}: bytes each side sent past its last
     * control frame (forwarded first).
     */
    void splice(Channel attachedChannel, ByteBuf attachedRest, Runnable dialerSwitch) {
        this.attached = attachedChannel;
        cancelTimer();
        open = true;
        openedNanos = relay.clock.monotonicNanos();
        relay.metrics.circuitsOpened.incrementAndGet();
        timer = dialer.eventLoop().schedule(() -> {
            relay.metrics.circuitsClosedByTimeLimit.incrementAndGet();
            close("time limit of " + relay.config.circuitMaxMillis() + " ms reached");
        }, relay.config.circuitMaxMillis(), TimeUnit.MILLISECONDS);
        attachedChannel.pipeline().addLast("splice", new Splice(false, dialer));
        dialer.eventLoop().execute(dialerSwitch);
        if (attachedRest.isReadable()) {
            forward(attachedRest, false, dialer, attachedChannel);
        } else {
            attachedRest.release();
        }
        log.info("circuit {} {} -> {} open ({} -> {})", name, source.shortForm(), target.shortForm(),
                dialer.remoteAddress(), attachedChannel.remoteAddress());
    }

    /** The dialer side's forwarding handler (installed on the dialer's event loop). */
    Splice dialerSplice() {
        return new Splice(true, attached);
    }

    private void forward(ByteBuf buf, boolean fromSource, Channel to, Channel from) {
        int n = buf.readableBytes();
        long total = bytes.addAndGet(n);
        relay.metrics.circuitBytes.addAndGet(n);
        if (total > relay.config.circuitMaxBytes()) {
            buf.release();
            relay.metrics.circuitsClosedByByteLimit.incrementAndGet();
            close("byte limit of " + relay.config.circuitMaxBytes() + " bytes reached");
            return;
        }
        relay.tampering.circuitBytes(buf, fromSource);
        to.writeAndFlush(buf, to.voidPromise());
        if (!to.isWritable()) {
            from.config().setAutoRead(false);
            if (to.isWritable()) { // it drained meanwhile: its writability event may have come and gone
                from.config().setAutoRead(true);
            }
        }
    }

    /** Closes both sides (after flushing what was forwarded) and releases the caps. Any thread, once. */
    void close(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        cancelTimer();
        relay.releaseCircuit(source, target, open);
        relay.metrics.circuitsClosed.incrementAndGet();
        long ms = open ? (relay.clock.monotonicNanos() - openedNanos) / 1_000_000 : 0;
        log.info("circuit {} {} -> {} closed after {} bytes, {} ms: {}", name, source.shortForm(),
                target.shortForm(), bytes.get(), ms, reason);
        flushAndClose(dialer);
        Channel a = attached;
        if (a != null) {
            flushAndClose(a);
        }
    }

    private static void flushAndClose(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    private void cancelTimer() {
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** Forwards what one side reads to the other. */
    final class Splice extends ChannelInboundHandlerAdapter {
        private final boolean fromSource;
        private final Channel other;

        Splice(boolean fromSource, Channel other) {
            this.fromSource = fromSource;
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf) || closed.get()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            forward(buf, fromSource, other, ctx.channel());
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                other.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close((fromSource ? "source " + source.shortForm() : "target " + target.shortForm()) + " closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            close((fromSource ? "source " : "target ") + "connection failed: " + cause.getMessage());
        }
    }
}
