package io.agentmesh.node.net;

import io.agentmesh.node.limits.Limits;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireException;
import io.agentmesh.protocol.wire.WireMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The production {@link Network}: Netty over TCP, TLS 1.3 with certificates on both sides, length-prefixed
 * {@link WireCodec} frames, and a Hello exchange that admits only nodes enrolled by this agent's root key.
 *
 * <p><b>Use:</b>
 * <pre>
 *   NettyNetwork net = new NettyNetwork(config, identity, nodeThread, listener, new SystemClock());
 *   InetSocketAddress bound = net.start();     // listens; dial/send work from here on
 *   net.dial(peerId, address);                // -> listener.peerUp(...) or listener.dialFailed(...)
 *   net.send(peerId, message);
 *   net.close();
 * </pre>
 *
 * <p><b>Pipeline</b> (per connection, head to tail): TLS 1.3 (JDK provider, client certificate required, any
 * certificate accepted at the TLS layer) -> flush consolidation -> {@link FrameDecoder} (4-byte length, max
 * {@code maxFrameBytes}, 16 KiB before authentication) and length prepender -> {@link WireFrameCodec} ->
 * {@link AuthHandler} (nothing passes before a valid Hello) -> {@link PeerRateLimiter} -> [{@link FaultFilter}] -> reader-idle timeout ->
 * {@link InboundDispatcher} -> {@link ConnectionGuard}.
 * Identity binding: see {@link TlsIdentity} and {@link HelloAuthenticator}.
 *
 * <p><b>Events</b> reach the {@link Network.Listener} only through the node's {@link Scheduler}, in this order per
 * peer: peerUp, messages, peerDown. A peer is up at most once at a time; duplicate connections are resolved as
 * {@link PeerRegistry} describes. The transport consumes Hello and Goodbye itself (a Goodbye's reason shows up in
 * peerDown). After {@link #close()} no more events are delivered.
 *
 * <p><b>dial</b> does nothing when the peer is already up or already being dialed (the pending dial's outcome
 * stands). A dial whose connection fails while the peer is up through another connection reports nothing.
 *
 * <p><b>Relays.</b> With a {@link RelayClient} started on this network, a dial whose direct attempt fails (refused,
 * unreachable, someone else answers, or the {@link FaultInjector} cuts the direct path) tries a circuit through
 * each relay the client suggests, then reports one dialFailed listing every attempt. A circuit is a TCP connection
 * to the relay ({@link RelayPreamble}: challenge, Connect or Attach, Connected or Attached) that then carries the
 * same pipeline as a direct connection, TLS and Hello included, end to end: the dialer is the TLS client, the
 * target (which attaches when its relay client hears of the circuit) the TLS server. TLS failing on altered bytes
 * is counted and the relay avoided. Every {@code directRetryMs} a peer that is up only through a relay is dialed
 * directly again; a direct connection that authenticates replaces the relayed one silently ({@link PeerRegistry}).
 * The core sees none of this: the same peerUp / peerDown / dialFailed events. {@link Dialing} runs the dial plans,
 * {@link RelayedPaths} the circuits attached to and the direct-path retries; this class keeps the lifecycle,
 * {@link #send} and the pipeline.
 *
 * <p>Threads: one Netty event loop group of {@value #EVENT_LOOP_THREADS} threads for everything. {@link #send} may
 * be called from any thread; it encodes on the calling thread (once per message object, shared across peers).
 */
public final class NettyNetwork implements Network, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NettyNetwork.class);
    static final int EVENT_LOOP_THREADS = 2;
    private static final long CLOSE_TIMEOUT_MS = 3_000;

    private final NetworkConfig config;
    private final Scheduler nodeThread;
    private final Network.Listener listener;
    private final NodeId self;
    private final String selfName;
    private final HelloAuthenticator authenticator;
    private final TlsIdentity tls;
    private final WireCodec codec = new WireCodec();
    private final NetworkCounters counters = new NetworkCounters();
    private final FaultInjector faults;
    private final PeerRegistry registry;
    private final EventLoopGroup group;
    private final ChannelGroup channels;
    private final SigningKey nodeKey;
    private final byte[] ownCertificateBytes;
    private final Dialing dialing;
    private final RelayedPaths paths;
    private final Limits limits;
    private final Clock clock;
    private volatile ScheduledFuture<?> directRetry;
    private volatile Channel serverChannel;
    private volatile boolean closed;
    private volatile Encoded lastEncoded;

    private record Encoded(WireMessage message, byte[] payload) {
    }

    /**
     * @param config          listening address, limits, timeouts, fault injection
     * @param identity        this node's key, certificate, agent root and incarnation
     * @param nodeThread      where every listener call runs
     * @param listener        the node core
     * @param clock           wall-clock time for certificate validity ({@code SystemClock} in production)
     */
    public NettyNetwork(NetworkConfig config, LocalIdentity identity, Scheduler nodeThread,
                        Network.Listener listener, Clock clock) {
        this(config, identity, nodeThread, listener, clock, certificate -> false);
    }

    /**
     * @param revoked whether a peer's certificate was revoked (its node removed): such a peer is refused at the
     *                handshake. Called on event-loop threads: thread-safe and non-blocking.
     */
    public NettyNetwork(NetworkConfig config, LocalIdentity identity, Scheduler nodeThread,
                        Network.Listener listener, Clock clock, Predicate<NodeCertificate> revoked) {
        this(config, identity, nodeThread, listener, clock, revoked, Limits.defaults());
    }

    /** @param limits what each authenticated peer may send ({@link PeerRateLimiter}), and their counters */
    public NettyNetwork(NetworkConfig config, LocalIdentity identity, Scheduler nodeThread,
                        Network.Listener listener, Clock clock, Predicate<NodeCertificate> revoked, Limits limits) {
        this(config, identity.nodeKey(), identity.certificate(), identity.incarnation(), identity.agentRoot(),
                nodeThread, listener, clock, revoked, limits);
    }

    /**
     * Without {@link LocalIdentity}'s consistency checks, so tests can build nodes that lie (a certificate that is
     * not theirs). Production code uses the public constructor.
     */
    NettyNetwork(NetworkConfig config, SigningKey nodeKey, NodeCertificate ownCertificate, long incarnation,
                 VerifyingKey agentRoot, Scheduler nodeThread, Network.Listener listener, Clock clock,
                 Predicate<NodeCertificate> revoked) {
        this(config, nodeKey, ownCertificate, incarnation, agentRoot, nodeThread, listener, clock, revoked,
                Limits.defaults());
    }

    NettyNetwork(NetworkConfig config, SigningKey nodeKey, NodeCertificate ownCertificate, long incarnation,
                 VerifyingKey agentRoot, Scheduler nodeThread, Network.Listener listener, Clock clock,
                 Predicate<NodeCertificate> revoked, Limits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = clock;
        this.config = Objects.requireNonNull(config, "config");
        this.nodeThread = Objects.requireNonNull(nodeThread, "nodeThread");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.self = NodeId.of(nodeKey.verifyingKey());
        this.nodeKey = nodeKey;
        this.ownCertificateBytes = ownCertificate.toBytes();
        this.selfName = self.shortForm();
        this.authenticator = new HelloAuthenticator(nodeKey, ownCertificate, incarnation, agentRoot,
                clock, revoked);
        this.tls = TlsIdentity.create(nodeKey, clock.nowMillis(), new SecureRandom());
        this.faults = config.faultInjection() ? new FaultInjector() : null;
        this.registry = new PeerRegistry(self, config.handshakeTimeoutMs(), new RegistrySink());
        this.group = new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS,
                new DefaultThreadFactory("net-" + selfName, true), NioIoHandler.newFactory());
        this.channels = new DefaultChannelGroup("agentmesh-" + selfName, GlobalEventExecutor.INSTANCE);
        WriteBufferWaterMark waterMark = new WriteBufferWaterMark(config.writeBufferLowBytes(),
                config.writeBufferHighBytes());
        Bootstrap direct = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeoutMs())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .handler(new Initializer(true));
        Bootstrap relayed = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeoutMs())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .handler(new RelayedInitializer());
        this.dialing = new Dialing(selfName, registry, faults, counters, direct, relayed, this::connectionClosed,
                () -> closed);
        this.paths = new RelayedPaths(self, registry, faults, counters, dialing, () -> closed);
    }

    /**
     * Binds the server socket and returns the address it listens on (with the real port when the config said 0).
     *
     * @throws IllegalStateException when the address cannot be bound (in use, not local), saying which
     */
    public InetSocketAddress start() {
        if (closed) {
            throw new IllegalStateException("this network was closed");
        }
        if (serverChannel != null) {
            return localAddress();
        }
        ServerBootstrap server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        config.writeBufferLowBytes(), config.writeBufferHighBytes()))
                .childHandler(new Initializer(false));
        ChannelFuture bind = server.bind(config.bindHost(), config.bindPort()).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            throw new IllegalStateException("cannot listen on " + config.bindHost() + ":" + config.bindPort() + ": "
                    + bind.cause().getMessage() + "; pick another port or stop what uses it", bind.cause());
        }
        serverChannel = bind.channel();
        channels.add(serverChannel);
        directRetry = group.next().scheduleAtFixedRate(paths::probeDirect, config.directRetryMs(),
                config.directRetryMs(), TimeUnit.MILLISECONDS);
        log.info("{} listening on {}", selfName, serverChannel.localAddress());
        return localAddress();
    }

    /** Where the server listens; null before {@link #start()}. */
    public InetSocketAddress localAddress() {
        Channel ch = serverChannel;
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    /** The bound port; -1 before {@link #start()}. */
    public int boundPort() {
        InetSocketAddress a = localAddress();
        return a == null ? -1 : a.getPort();
    }

    public NodeId nodeId() {
        return self;
    }

    /** Peers currently reported up. */
    public Set<NodeId> connectedPeers() {
        return registry.upPeers();
    }

    public NetworkStats stats() {
        return counters.snapshot();
    }

    /**
     * The fault injector.
     *
     * @throws IllegalStateException when {@link NetworkConfig#faultInjection()} is off
     */
    public FaultInjector faults() {
        if (faults == null) {
            throw new IllegalStateException("fault injection is off; enable it in NetworkConfig.faultInjection");
        }
        return faults;
    }

    /**
     * Dials {@code peer}: directly at {@code address} first; when that fails (refused, unreachable, someone else
     * answers, or the fault injector cuts the direct path) and a {@link RelayClient} is attached, through each
     * relay it suggests in turn, running the same TLS and Hello inside the circuit. One dialFailed (listing every
     * attempt) when all fail.
     */
    @Override
    public void dial(NodeId peer, InetSocketAddress address) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(address, "address");
        if (closed) {
            return;
        }
        if (peer.equals(self)) {
            emit(() -> listener.dialFailed(peer, "cannot dial this node itself"));
            return;
        }
        if (!registry.beginDial(peer)) {
            log.debug("{} dial {}: already connected or dialing", selfName, peer.shortForm());
            return;
        }
        if (faults != null && faults.rule(peer).block()) {
            counters.connectsBlockedByFaults.incrementAndGet();
            log.info("{} dial {} at {} refused: blocked by fault injection", selfName, peer.shortForm(), address);
            registry.dialAborted(peer, "blocked by fault injection");
            return;
        }
        paths.learnAddress(peer, address);
        dialing.advance(new DialPlan(peer, address));
    }

    /**
     * A relay says {@code source} wants a circuit to this node: opens the attaching connection, which becomes an
     * inbound node connection (TLS server side) once spliced. Called by {@link RelayClient}.
     */
    void attachRelayed(InetSocketAddress relay, byte[] circuitId, NodeId source) {
        paths.attach(relay, circuitId, source);
    }

    /** Where {@code peer} may be dialed directly (learned from a relay record); used to retry the direct path. */
    void learnAddress(NodeId peer, InetSocketAddress address) {
        paths.learnAddress(peer, address);
    }

    /** Attaches the relays to dial through when a direct dial fails. */
    void relayRouter(RelayRouter router) {
        dialing.relayRouter(router);
    }

    EventLoopGroup eventLoops() {
        return group;
    }

    /** Whether {@code peer} is up through a relay right now. */
    public boolean isRelayed(NodeId peer) {
        Connection c = registry.current(peer);
        return c != null && c.relayed;
    }

    @Override
    public boolean send(NodeId peer, WireMessage message) {
        Connection conn = registry.current(peer);
        if (conn == null || closed) {
            counters.sendsRejected.incrementAndGet();
            return false;
        }
        long delayMs = 0;
        if (faults != null) {
            FaultInjector.Rule rule = faults.rule(peer);
            if (rule.dropsFrames(conn.relayed)) {
                counters.framesDroppedByFaults.incrementAndGet();
                return true;
            }
            delayMs = rule.delayMs();
        }
        Channel ch = conn.channel();
        if (!ch.isWritable()) {
            counters.sendsRejected.incrementAndGet();
            return false;
        }
        byte[] payload = encode(message);
        if (payload == null) {
            counters.sendsRejected.incrementAndGet();
            return false;
        }
        write(ch, Unpooled.wrappedBuffer(payload), delayMs);
        return true;
    }

    /** Test hook: sends {@code payload} as one frame, unchecked, to {@code peer}'s current connection. */
    boolean sendRawFrame(NodeId peer, byte[] payload) {
        Connection conn = registry.current(peer);
        if (conn == null) {
            return false;
        }
        conn.channel().writeAndFlush(Unpooled.wrappedBuffer(payload));
        return true;
    }

    private static void write(Channel ch, ByteBuf payload, long delayMs) {
        if (delayMs <= 0) {
            ch.writeAndFlush(payload, ch.voidPromise());
        } else {
            ch.eventLoop().schedule(() -> ch.writeAndFlush(payload, ch.voidPromise()), delayMs,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** Encodes once per message object: a push to many peers reuses the bytes. Null when it cannot be sent. */
    private byte[] encode(WireMessage message) {
        Encoded last = lastEncoded;
        if (last != null && last.message() == message) {
            return last.payload();
        }
        byte[] payload;
        try {
            payload = codec.encode(message);
        } catch (WireException e) {
            log.warn("{} cannot send {}: {}", selfName, message.getClass().getSimpleName(), e.getMessage());
            return null;
        }
        if (payload.length > config.maxFrameBytes()) {
            log.warn("{} cannot send {} of {} bytes: over maxFrameBytes {}; send smaller batches", selfName,
                    message.getClass().getSimpleName(), payload.length, config.maxFrameBytes());
            return null;
        }
        lastEncoded = new Encoded(message, payload);
        return payload;
    }

    @Override
    public void disconnect(NodeId peer, String reason) {
        if (closed) {
            return;
        }
        log.info("{} disconnecting {}: {}", selfName, peer.shortForm(), reason);
        registry.disconnect(peer, reason);
    }

    /**
     * Stops listening, says Goodbye on every connection, closes them and stops the event loops (bounded wait).
     * No listener events after this.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("{} network closing", selfName);
        ScheduledFuture<?> retry = directRetry;
        if (retry != null) {
            retry.cancel(false);
        }
        for (Channel ch : channels) {
            Connection conn = Connection.of(ch);
            if (conn != null && conn.isAuthenticated()) {
                conn.close("node shutting down", true);
            } else {
                ch.close();
            }
        }
        channels.newCloseFuture().awaitUninterruptibly(CLOSE_TIMEOUT_MS / 2);
        group.shutdownGracefully(0, CLOSE_TIMEOUT_MS / 2, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(CLOSE_TIMEOUT_MS);
    }

    private void authenticated(Connection conn) {
        if (closed) {
            conn.close("node shutting down", true);
            return;
        }
        if (conn.relayed) {
            paths.authenticated(conn);
        }
        registry.authenticated(conn);
    }

    private void connectionClosed(Connection conn) {
        if (!conn.markCloseHandled()) {
            return;
        }
        if (conn.relayed) {
            paths.closed(conn);
        }
        if (conn.probe && paths.probeEnded(conn)) {
            return;
        }
        if (conn.plan != null && !conn.isAuthenticated()) {
            dialing.attemptFailed(conn);
            return;
        }
        if (conn.isAuthenticated()) {
            log.debug("{} connection {} closed: {}", selfName, conn, conn.closeReason());
        }
        registry.closed(conn);
    }

    /** Hands {@code event} to the node thread unless closed. */
    private void emit(Runnable event) {
        if (closed) {
            return;
        }
        try {
            nodeThread.execute(event);
        } catch (RejectedExecutionException e) {
            log.debug("{} node thread refused an event: {}", selfName, e.toString());
        }
    }

    /** Hands {@code event} to the node thread's priority lane unless closed. */
    private void emitUrgent(Runnable event) {
        if (closed) {
            return;
        }
        try {
            nodeThread.executeUrgent(event);
        } catch (RejectedExecutionException e) {
            log.debug("{} node thread refused an event: {}", selfName, e.toString());
        }
    }

    private final class RegistrySink implements PeerRegistry.Sink {
        @Override
        public void peerUp(Connection c) {
            HelloAuthenticator.AuthenticatedPeer p = c.peer();
            log.info("{} peer {} up ({}{}, incarnation {}, role {})", selfName, p.id().shortForm(),
                    c.outbound ? "outbound" : "inbound", c.relayed ? " via relay " + c.relay : "",
                    p.incarnation(), p.certificate().role());
            byte[] cert = p.certificateBytes().clone();
            emit(() -> listener.peerUp(p.id(), cert, p.incarnation(), c.outbound));
        }

        @Override
        public void peerDown(NodeId peer, String reason) {
            log.info("{} peer {} down: {}", selfName, peer.shortForm(), reason);
            emit(() -> listener.peerDown(peer, reason));
        }

        @Override
        public void dialFailed(NodeId peer, String reason) {
            log.info("{} dial {} failed: {}", selfName, peer.shortForm(), reason);
            emit(() -> listener.dialFailed(peer, reason));
        }

        @Override
        public void message(NodeId peer, WireMessage message) {
            if (message instanceof WireMessage.Consensus) {
                // Raft's votes and heartbeats go ahead of the node's ordinary backlog (Scheduler.executeUrgent).
                emitUrgent(() -> listener.message(peer, message));
            } else {
                emit(() -> listener.message(peer, message));
            }
        }

        @Override
        public void retire(Connection c, String reason) {
            if (PeerRegistry.SUPERSEDED_BY_DIRECT.equals(reason)) {
                counters.directUpgrades.incrementAndGet();
                log.info("{} peer {} moved to a direct connection; closing the one via relay {}", selfName,
                        c.peerId().shortForm(), c.relay);
            } else {
                log.debug("{} closing connection {}: {}", selfName, c, reason);
            }
            c.close(reason, true);
        }

        @Override
        public Runnable schedule(Runnable task, long delayMs) {
            try {
                ScheduledFuture<?> f = group.next().schedule(task, delayMs, TimeUnit.MILLISECONDS);
                return () -> f.cancel(false);
            } catch (RejectedExecutionException e) {
                return () -> { };
            }
        }
    }

    private final class Initializer extends ChannelInitializer<SocketChannel> {
        private final boolean outbound;

        Initializer(boolean outbound) {
            this.outbound = outbound;
        }

        @Override
        protected void initChannel(SocketChannel ch) {
            Connection conn = outbound ? ch.attr(Dialing.DIAL).getAndSet(null) : Connection.accepted();
            if (!track(ch, conn)) {
                return;
            }
            addNodeHandlers(ch, conn);
        }
    }

    /**
     * A TCP connection to a relay: TLS with the relay (its key pinned), the relay preamble, and the node pipeline
     * (the nodes' TLS inside the relay's) once the circuit is spliced.
     */
    private final class RelayedInitializer extends ChannelInitializer<SocketChannel> {
        @Override
        protected void initChannel(SocketChannel ch) {
            Connection conn = ch.attr(Dialing.DIAL).getAndSet(null);
            if (!track(ch, conn)) {
                return;
            }
            RelayRouter router = dialing.relayRouter();
            io.netty.handler.ssl.SslContext relayTls = router == null ? null : router.relayTls(conn.relay);
            if (relayTls == null) {
                conn.reason("relay " + conn.relay + " is not in use (the relay client stopped)");
                ch.close();
                return;
            }
            long timeoutMs = config.connectTimeoutMs() + config.handshakeTimeoutMs();
            SslHandler ssl = relayTls.newHandler(ch.alloc(), conn.relay.getHostString(), conn.relay.getPort());
            ssl.setHandshakeTimeoutMillis(timeoutMs);
            // The relay's TLS hides which node this circuit is for; the nodes' own TLS runs inside it, end to end.
            ch.pipeline().addLast("relay-tls", ssl);
            ch.pipeline().addLast("relay", conn.outbound
                    ? RelayPreamble.connect(nodeKey, ownCertificateBytes, conn.expectedPeer, timeoutMs,
                    c -> addNodeHandlers(c, conn))
                    : RelayPreamble.attach(nodeKey, conn.circuitId(), timeoutMs, c -> addNodeHandlers(c, conn)));
        }
    }

    /** Binds {@code conn} to {@code ch}; false (and closed) when the network is closing. */
    private boolean track(Channel ch, Connection conn) {
        conn.attach(ch);
        if (closed) {
            ch.close();
            return false;
        }
        channels.add(ch);
        ch.closeFuture().addListener(f -> connectionClosed(conn));
        return true;
    }

    /** TLS, framing, authentication and dispatch; the TLS side follows the node-to-node direction. */
    private void addNodeHandlers(Channel ch, Connection conn) {
        SslHandler ssl = conn.outbound
                ? tls.clientContext().newHandler(ch.alloc())
                : tls.serverContext().newHandler(ch.alloc());
        ssl.setHandshakeTimeoutMillis(0); // AuthHandler times TLS and Hello together

        ChannelPipeline p = ch.pipeline();
        p.addLast("tls", ssl);
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        p.addLast("frame-decoder", new FrameDecoder(config.maxFrameBytes()));
        p.addLast("frame-encoder", new LengthFieldPrepender(WireFrameCodec.LENGTH_FIELD_BYTES));
        p.addLast("wire", new WireFrameCodec(codec, counters, selfName));
        p.addLast("auth", new AuthHandler(authenticator, counters, config.handshakeTimeoutMs(),
                faults == null ? null : peer -> faults.rule(peer).refusesConnections(conn.relayed),
                NettyNetwork.this::authenticated));
        p.addLast("limits", new PeerRateLimiter(limits, clock, selfName));
        if (faults != null) {
            p.addLast("faults", new FaultFilter(faults, counters));
        }
        p.addLast("idle", new IdleStateHandler(config.idleTimeoutMs(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast("dispatch", new InboundDispatcher(registry, selfName));
        p.addLast("guard", new ConnectionGuard(counters, config.idleTimeoutMs(), selfName));
    }
}
