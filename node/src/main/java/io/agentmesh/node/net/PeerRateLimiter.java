package io.agentmesh.node.net;

import io.agentmesh.relay.limits.Episode;
import io.agentmesh.node.limits.Limits;
import io.agentmesh.node.limits.PeerLimits;
import io.agentmesh.relay.limits.TokenBucket;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Paces what one authenticated peer sends ({@link PeerLimits}): a bucket of signed changes and one of frame bytes
 * per connection. A message over a bucket is still delivered (nothing the peer sent is dropped: the core's
 * cursors and anti-entropy assume what arrives is applied), but the connection stops reading until the debt is
 * repaid at the limit's rate, so TCP pushes back on the sender. A peer that stays over its limit for
 * {@code disconnectAfterMs} is disconnected with a Goodbye naming the limit. One log line per episode, and one at
 * the disconnection; {@link Limits} counts both for the metrics.
 *
 * <p>Sits right after authentication: only enrolled peers reach it (before, frames are capped at 16 KiB and the
 * handshake timeout bounds them). One instance per connection, on its event loop (no locking).
 */
final class PeerRateLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PeerRateLimiter.class);
    /** A pause is re-evaluated at least this often, well inside the reader-idle timeout. */
    private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final PeerLimits limits;
    private final Limits counters;
    private final Clock clock;
    private final String self;
    private TokenBucket changes;
    private TokenBucket bytes;
    private Episode episode;
    private boolean paused;
    private boolean disconnected;

    PeerRateLimiter(Limits limits, Clock clock, String self) {
        this.limits = limits.peers();
        this.counters = limits;
        this.clock = clock;
        this.self = self;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WireMessage message)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (disconnected) {
            return; // cut off: what was still in flight is not delivered
        }
        Connection conn = Connection.of(ctx.channel());
        long now = clock.monotonicNanos();
        if (changes == null) {
            changes = new TokenBucket(limits.maxChangesPerSecond(),
                    (double) limits.maxChangesPerSecond() * PeerLimits.BURST_SECONDS, now);
            bytes = new TokenBucket(limits.maxBytesPerSecond(),
                    (double) limits.maxBytesPerSecond() * PeerLimits.BURST_SECONDS, now);
            episode = new Episode(TimeUnit.MILLISECONDS.toNanos(Limits.EPISODE_QUIET_MS),
                    TimeUnit.MILLISECONDS.toNanos(limits.disconnectAfterMs()));
        }
        int changeCount = message instanceof WireMessage.Changes c ? c.changes().size() : 0;
        long waitNanos = Math.max(changes.take(changeCount, now), bytes.take(conn.lastFrameBytes(), now));
        if (waitNanos > 0) {
            counters.peerSlowed();
            switch (episode.over(now)) {
                case STARTED -> log.warn("{} slowing peer {}: over its limit of {} changes/s or {} bytes/s; reads"
                        + " paused until it is back under (disconnected if it stays over for {} ms)", self, conn,
                        limits.maxChangesPerSecond(), limits.maxBytesPerSecond(), limits.disconnectAfterMs());
                case PERSISTS -> {
                    disconnected = true;
                    counters.peerDisconnected();
                    String reason = "rate limit: over " + limits.maxChangesPerSecond() + " changes/s or "
                            + limits.maxBytesPerSecond() + " bytes/s for " + episode.durationMs() + " ms";
                    log.warn("{} disconnecting peer {}: {} ({} messages over the limit)", self, conn, reason,
                            episode.inputsOver());
                    conn.close(reason, true);
                    return;
                }
                case CONTINUES -> { }
            }
            pause(ctx, Math.min(waitNanos, MAX_PAUSE_NANOS));
        }
        ctx.fireChannelRead(msg);
    }

    private void pause(ChannelHandlerContext ctx, long nanos) {
        if (paused) {
            return;
        }
        paused = true;
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(() -> {
            paused = false;
            if (ctx.channel().isOpen()) {
                ctx.channel().config().setAutoRead(true);
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }
}
