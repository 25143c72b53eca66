package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.relay.protocol.ProtocolException;
import io.agentmesh.relay.protocol.RegistrationRecord;
import io.agentmesh.relay.protocol.RelayCodec;
import io.agentmesh.relay.protocol.RelayFrames;
import io.agentmesh.relay.protocol.RelayMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;

/**
 * One relay as this node uses it: the control connection, registering this node's record and refreshing it, lookups
 * of the agent's nodes, circuits the relay announces, reconnecting after a backoff with full jitter, and the window
 * during which the relay is avoided after it misbehaved. Runs on the network's event loops.
 */
final class RelaySession {
    private static final Logger log = LoggerFactory.getLogger(RelaySession.class);
    private static final long FIRST_LOOKUP_DELAY_MS = 250;
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final long STOP_WAIT_MS = 1_000;

    /**
     * What every session of one client shares.
     *
     * @param random   jitter for reconnect delays; called from several event loops, so thread-safe
     * @param closed   whether the client is closed
     */
    record Shared(RelayClientConfig config, Clock clock, RelayClient.Counters counters, String selfName,
                  SigningKey nodeKey, AgentId agent, OwnRecord ownRecord, RelayDirectory directory,
                  NettyNetwork network, RandomGenerator random, BooleanSupplier closed) {
    }

    final InetSocketAddress relay;
    final String name;
    private final SslContext tls;
    private final Shared shared;
    private volatile Channel channel;
    private volatile boolean registered;
    private volatile long avoidedUntil;
    private volatile String lastError;
    private volatile Set<NodeId> seen = Set.of();
    private volatile int failures;
    private volatile ScheduledFuture<?> reconnect;
    private volatile ScheduledFuture<?> tick;
    // Event loop of the current channel only:
    private byte[] nonce;
    private RegistrationRecord registeredRecord;
    private RegistrationRecord pendingRecord;
    private long lookupDelayMs;

    RelaySession(InetSocketAddress relay, SslContext tls, Shared shared) {
        this.relay = relay;
        this.tls = tls;
        this.name = relay.getHostString() + ":" + relay.getPort();
        this.shared = shared;
    }

    RelayClient.Status status() {
        Channel ch = channel;
        return new RelayClient.Status(relay, ch != null && ch.isActive(), registered, isAvoided(), seen.size(),
                lastError);
    }

    boolean isAvoided() {
        return avoidedUntil > shared.clock().nowMillis();
    }

    /** How good a path to {@code peer} this relay is: 0 registered and sees it, 1 registered, 2 not registered. */
    int rank(NodeId peer) {
        if (registered && seen.contains(peer)) {
            return 0;
        }
        return registered ? 1 : 2;
    }

    /** Stops using this relay for {@code avoidMs}: no lookups, no circuits through it. */
    void avoid(String why) {
        long now = shared.clock().nowMillis();
        long until = now + shared.config().avoidMs();
        boolean already = avoidedUntil > now;
        avoidedUntil = until;
        if (!already) {
            shared.counters().avoided.incrementAndGet();
            log.warn("{} relay {} {}; avoiding it until {}", shared.selfName(), relay, why,
                    Instant.ofEpochMilli(until));
        }
    }

    void connect() {
        if (shared.closed().getAsBoolean()) {
            return;
        }
        Bootstrap b = new Bootstrap()
                .group(shared.network().eventLoops())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = tls.newHandler(ch.alloc(), relay.getHostString(), relay.getPort());
                        ssl.setHandshakeTimeoutMillis(CONNECT_TIMEOUT_MS);
                        ch.pipeline().addLast("relay-tls", ssl);
                        ch.pipeline().addLast("relay-control", new Control());
                    }
                });
        try {
            b.connect(relay).addListener(f -> {
                if (!f.isSuccess()) {
                    lost("cannot connect: " + f.cause().getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            // the network is closing
        }
    }

    /** The connection failed or ended: reconnect after a backoff with full jitter. */
    private void lost(String why) {
        registered = false;
        channel = null;
        cancel(tick);
        lastError = why;
        if (shared.closed().getAsBoolean()) {
            return;
        }
        int n = failures++;
        long delay = shared.config().backoff().delayMs(n, shared.random());
        if (n == 0 || n % 10 == 0) {
            log.info("{} relay {}: {}; reconnecting in {} ms (attempt {})", shared.selfName(), relay, why, delay,
                    n + 1);
        }
        try {
            reconnect = shared.network().eventLoops().next().schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the network is closing
        }
    }

    void stop() {
        cancel(reconnect);
        cancel(tick);
        Channel ch = channel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(STOP_WAIT_MS);
        }
    }

    private void scheduleTick(Channel ch, long delayMs) {
        try {
            tick = ch.eventLoop().schedule(() -> tick(ch), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Refreshes the registration when the record changed, looks up the agent, and plans the next tick. */
    private void tick(Channel ch) {
        if (shared.closed().getAsBoolean() || !ch.isActive() || channel != ch) {
            return;
        }
        RegistrationRecord want = shared.ownRecord().current();
        if (registered && pendingRecord == null && want != registeredRecord) {
            pendingRecord = want;
            RelayFrames.write(ch, RelayCodec.register(shared.nodeKey(), nonce, want));
        }
        if (!isAvoided()) {
            RelayFrames.write(ch, new RelayMessage.Lookup(shared.agent()));
        }
        long delay = lookupDelayMs;
        lookupDelayMs = Math.min(shared.config().lookupIntervalMs(), lookupDelayMs * 2);
        scheduleTick(ch, delay);
    }

    private void lookupAnswered(List<byte[]> records) {
        RelayDirectory.Lookup lookup = shared.directory().accept(name, relay, records);
        seen = lookup.seen();
        if (lookup.blame() != null) {
            avoid(lookup.blame());
        }
    }

    /** The pin refusal somewhere in {@code t}'s causes, or null. */
    static RelayPins.RelayPinException pinFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof RelayPins.RelayPinException p) {
                return p;
            }
        }
        return null;
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    /** The control connection's handler. */
    private final class Control extends ChannelInboundHandlerAdapter {
        private final RelayFrames frames = new RelayFrames();
        private boolean challenged;
        private boolean failed;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            frames.release();
            boolean wasRegistered = registered;
            if (channel == ctx.channel() || channel == null) {
                String why = failed ? lastError : "connection closed";
                if (wasRegistered && !failed) {
                    log.info("{} lost relay {}", shared.selfName(), relay);
                }
                lost(why);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            RelayPins.RelayPinException pin = pinFailure(cause);
            if (pin != null) {
                fail(ctx, pin.getMessage());
                return;
            }
            if (!failed) {
                lastError = "connection failed: " + cause.getMessage();
            }
            ctx.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess() && !failed) {
                RelayPins.RelayPinException pin = pinFailure(e.cause());
                fail(ctx, pin != null ? pin.getMessage() : "TLS with the relay failed: " + e.cause().getMessage());
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf) || failed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            frames.add(buf);
            try {
                RelayMessage m;
                while (!failed && (m = frames.next()) != null) {
                    handle(ctx, m);
                }
            } catch (ProtocolException e) {
                fail(ctx, "malformed frame from the relay: " + e.getMessage());
            }
        }

        private void handle(ChannelHandlerContext ctx, RelayMessage m) {
            RelayClient.Counters counters = shared.counters();
            switch (m) {
                case RelayMessage.Challenge c when !challenged -> {
                    challenged = true;
                    if (c.version() != RelayCodec.PROTOCOL_VERSION) {
                        fail(ctx, "relay speaks relay protocol " + c.version() + ", this node "
                                + RelayCodec.PROTOCOL_VERSION);
                        return;
                    }
                    shared.ownRecord().observed(c.observed());
                    RegistrationRecord r = shared.ownRecord().current();
                    pendingRecord = r;
                    RelayFrames.write(ctx.channel(), RelayCodec.register(shared.nodeKey(), c.nonce(), r));
                }
                case RelayMessage.Registered r when pendingRecord != null -> {
                    boolean first = !registered;
                    registered = true;
                    registeredRecord = pendingRecord;
                    pendingRecord = null;
                    nonce = r.nextNonce();
                    failures = 0;
                    lastError = null;
                    counters.registrations.incrementAndGet();
                    if (first) {
                        log.info("{} registered with relay {} (addresses {}, until {})", shared.selfName(), relay,
                                registeredRecord.addresses(), Instant.ofEpochMilli(r.expiresAt()));
                        lookupDelayMs = Math.min(FIRST_LOOKUP_DELAY_MS, shared.config().lookupIntervalMs());
                        tick(ctx.channel());
                    }
                }
                case RelayMessage.Records r when registered -> {
                    counters.lookups.incrementAndGet();
                    lookupAnswered(r.records());
                }
                case RelayMessage.Incoming in when registered -> {
                    counters.incoming.incrementAndGet();
                    shared.network().attachRelayed(relay, in.circuitId(), in.source());
                }
                case RelayMessage.Error e -> {
                    counters.refusals.incrementAndGet();
                    fail(ctx, "relay refused: " + e.message() + " (" + e.code() + ")");
                }
                default -> fail(ctx, "unexpected " + m.getClass().getSimpleName() + " from the relay");
            }
        }

        private void fail(ChannelHandlerContext ctx, String why) {
            failed = true;
            if (why.equals(lastError)) {
                log.debug("{} relay {} again: {}", shared.selfName(), relay, why); // logged once until it changes
            } else {
                log.warn("{} relay {}: {}", shared.selfName(), relay, why);
            }
            lastError = why;
            ctx.close();
        }
    }
}
