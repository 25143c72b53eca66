package io.agentmesh.relay;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.relay.protocol.ErrorCode;
import io.agentmesh.relay.protocol.RegistrationRecord;
import io.agentmesh.relay.tls.RelayFingerprint;
import io.agentmesh.relay.tls.RelayKey;
import io.agentmesh.relay.tls.RelayTls;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A relay: an untrusted rendezvous and forwarding point for the nodes of any number of agents. It keeps signed
 * registration records in memory (never agent state), answers lookups with them, and splices two TCP connections
 * into a circuit when a node cannot dial another directly. Every connection runs TLS 1.3 with the relay's own key
 * ({@link RelayTls}), which nodes pin, so an observer of the wire learns nothing from registrations, lookups or
 * circuit requests. The nodes' TLS runs end to end inside circuits, so the
 * relay sees only ciphertext and cannot alter it undetected. A restart loses nothing that nodes do not re-register
 * within their refresh interval.
 *
 * <p><b>Use:</b>
 * <pre>
 *   RelayServer relay = new RelayServer(RelayConfig.defaults("0.0.0.0", 7700));
 *   InetSocketAddress bound = relay.start();   // relay protocol, and HTTP /healthz, /metrics unless off
 *   ...
 *   relay.close();
 * </pre>
 * Protocol: {@link io.agentmesh.relay.protocol.RelayMessage}. Caps ({@link RelayConfig}) refuse with an
 * {@link ErrorCode} and a message that names the limit. Every event (registration, refusal, circuit opened or
 * closed, expiry) is one log line.
 *
 * <p>Threads: one acceptor and {@value #WORKER_THREADS} worker event loops, one thread for HTTP, and a lock over the
 * registration and circuit tables (held briefly, never across I/O).
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);
    static final int WORKER_THREADS = 2;
    private static final long SWEEP_INTERVAL_MS = 1_000;
    private static final long CLOSE_TIMEOUT_MS = 3_000;

    final RelayConfig config;
    final Clock clock;
    final RelayTampering tampering;
    final RelayMetrics metrics = new RelayMetrics();
    /** Registrations and lookups per source address. */
    final SourceRateLimiter sources;
    final SecureRandom random = new SecureRandom();
    private final RelayKey key;
    private final SslContext tls;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup channels;
    final AtomicInteger openConnections = new AtomicInteger();

    private final Object lock = new Object();
    private final Map<NodeId, Registration> registrations = new HashMap<>();
    private final Map<AgentId, TreeMap<NodeId, Registration>> byAgent = new HashMap<>();
    private final Map<String, Circuit> pendingCircuits = new HashMap<>();
    private final Map<NodeId, Integer> circuitsPerNode = new HashMap<>();
    private int circuits;
    private int openCircuits;

    private volatile Channel serverChannel;
    private volatile HttpServer http;
    private volatile ExecutorService httpThreads;
    private volatile ScheduledFuture<?> sweeper;
    private volatile boolean closed;

    /** A node's registration: its newest record and its control connection, if one is open. */
    static final class Registration {
        final RegistrationRecord record;
        final byte[] bytes;
        Channel control;

        Registration(RegistrationRecord record, byte[] bytes, Channel control) {
            this.record = record;
            this.bytes = bytes;
            this.control = control;
        }
    }

    /** A relay with a key of its own for this process only (nodes pin {@link #fingerprint()} for this run). */
    public RelayServer(RelayConfig config) {
        this(config, new SystemClock(), RelayTampering.NONE);
    }

    /** As {@link #RelayServer(RelayConfig, RelayKey, Clock, RelayTampering)} with a key for this process only. */
    public RelayServer(RelayConfig config, Clock clock, RelayTampering tampering) {
        this(config, RelayKey.generate(new SecureRandom()), clock, tampering);
    }

    /**
     * @param key       the relay's key: its TLS certificate carries it, nodes pin it
     * @param clock     wall-clock time for record expiry and certificate validity; monotonic time for circuit ages
     * @param tampering {@link RelayTampering#NONE} except in tests of node defenses
     */
    public RelayServer(RelayConfig config, RelayKey key, Clock clock, RelayTampering tampering) {
        this(config, key, clock, tampering, io.agentmesh.relay.limits.SourceLimits.defaults());
    }

    /** As {@link #RelayServer(RelayConfig, RelayKey, Clock, RelayTampering, io.agentmesh.relay.limits.SourceLimits)}
     *  with a key for this process only. */
    public RelayServer(RelayConfig config, Clock clock, RelayTampering tampering,
                       io.agentmesh.relay.limits.SourceLimits sourceLimits) {
        this(config, RelayKey.generate(new SecureRandom()), clock, tampering, sourceLimits);
    }

    /** @param sourceLimits control requests (registrations, lookups) one source address may make a second */
    public RelayServer(RelayConfig config, RelayKey key, Clock clock, RelayTampering tampering,
                       io.agentmesh.relay.limits.SourceLimits sourceLimits) {
        this.sources = new SourceRateLimiter(sourceLimits);
        this.key = Objects.requireNonNull(key, "key");
        this.tls = RelayTls.server(key, clock.nowMillis(), random);
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.tampering = Objects.requireNonNull(tampering, "tampering");
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("relay-accept", true),
                NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(WORKER_THREADS, new DefaultThreadFactory("relay", true),
                NioIoHandler.newFactory());
        this.channels = new DefaultChannelGroup("relay", GlobalEventExecutor.INSTANCE);
        metrics.gauge("registrations", () -> {
            synchronized (lock) {
                return registrations.size();
            }
        });
        metrics.gauge("connections", openConnections::get);
        metrics.gauge("circuits_open", () -> {
            synchronized (lock) {
                return openCircuits;
            }
        });
        metrics.gauge("circuits_pending", () -> {
            synchronized (lock) {
                return pendingCircuits.size();
            }
        });
    }

    /**
     * Binds the relay port and, unless {@code httpPort} is -1, the HTTP port. Returns the relay's address.
     *
     * @throws IllegalStateException when a port cannot be bound, saying which
     */
    public InetSocketAddress start() {
        if (closed) {
            throw new IllegalStateException("this relay was closed");
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(128 * 1024, 512 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        SslHandler ssl = tls.newHandler(ch.alloc());
                        ssl.setHandshakeTimeoutMillis(config.handshakeTimeoutMs());
                        ch.pipeline().addLast("tls", ssl);
                        ch.pipeline().addLast("relay", new RelayConnection(RelayServer.this));
                    }
                });
        ChannelFuture bind = b.bind(config.listenHost(), config.listenPort()).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            throw new IllegalStateException("relay cannot listen on " + config.listenHost() + ":"
                    + config.listenPort() + ": " + bind.cause().getMessage()
                    + "; pick another --listen port or stop what uses it", bind.cause());
        }
        serverChannel = bind.channel();
        channels.add(serverChannel);
        if (config.httpPort() >= 0) {
            startHttp();
        }
        sweeper = workers.next().scheduleAtFixedRate(this::sweep, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
        log.info("relay listening on {} (TLS, key {}){}; caps: {} connections, {} registrations ({} per agent), {}"
                        + " circuits ({}"
                        + " per node), {} bytes and {} s per circuit", address(), key.fingerprint(),
                http == null ? "" : ", HTTP on " + httpAddress(), config.maxConnections(),
                config.maxRegistrations(), config.maxRegistrationsPerAgent(), config.maxCircuits(),
                config.maxCircuitsPerNode(), config.circuitMaxBytes(), config.circuitMaxMillis() / 1000);
        return address();
    }

    private void startHttp() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(config.httpHost(), config.httpPort()), 64);
            server.createContext("/healthz", ex -> respond(ex, closed ? 503 : 200, "text/plain; charset=utf-8",
                    closed ? "shutting down\n" : "ok\n"));
            server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.prometheus()));
            server.createContext("/", ex -> respond(ex, 404, "text/plain; charset=utf-8",
                    "not found; try /healthz or /metrics\n"));
            httpThreads = Executors.newFixedThreadPool(2, new DefaultThreadFactory("relay-http", true));
            server.setExecutor(httpThreads);
            server.start();
            http = server;
        } catch (IOException e) {
            close();
            throw new IllegalStateException("relay cannot serve HTTP on " + config.httpHost() + ":"
                    + config.httpPort() + ": " + e.getMessage() + "; pick another --http port, or --http off", e);
        }
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, "HEAD".equals(ex.getRequestMethod()) ? -1 : bytes.length);
            if (!"HEAD".equals(ex.getRequestMethod())) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** The relay protocol's address; null before {@link #start()}. */
    public InetSocketAddress address() {
        Channel ch = serverChannel;
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    /** The key nodes pin: {@code --relay host:port#} and this. */
    public RelayFingerprint fingerprint() {
        return key.fingerprint();
    }

    /** The HTTP address; null when HTTP is off or before {@link #start()}. */
    public InetSocketAddress httpAddress() {
        HttpServer h = http;
        return h == null ? null : h.getAddress();
    }

    public RelayMetrics metrics() {
        return metrics;
    }

    /** Registrations held now. */
    public int registrationCount() {
        synchronized (lock) {
            return registrations.size();
        }
    }

    /** Circuits spliced and open now. */
    public int openCircuitCount() {
        synchronized (lock) {
            return openCircuits;
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Stops listening, closes every connection (circuits included) and the HTTP endpoint. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("relay on {} shutting down", address());
        ScheduledFuture<?> s = sweeper;
        if (s != null) {
            s.cancel(false);
        }
        HttpServer h = http;
        if (h != null) {
            h.stop(0);
            httpThreads.shutdownNow();
        }
        channels.close().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
        boss.shutdownGracefully(0, CLOSE_TIMEOUT_MS / 3, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(0, CLOSE_TIMEOUT_MS / 3, TimeUnit.MILLISECONDS);
        boss.terminationFuture().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
        workers.terminationFuture().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
        synchronized (lock) {
            registrations.clear();
            byAgent.clear();
            pendingCircuits.clear();
            circuitsPerNode.clear();
            circuits = 0;
            openCircuits = 0;
        }
        log.info("relay stopped");
    }

    // ------------------------------------------------------------------------------------- tables (under lock)

    /** The outcome of a registration attempt: null error means stored; {@code replaced} is an older control. */
    record RegisterResult(ErrorCode error, String message, boolean isNew, boolean addressesChanged,
                          Channel replaced) {
    }

    RegisterResult register(RegistrationRecord record, byte[] bytes, Channel control) {
        synchronized (lock) {
            NodeId id = record.nodeId();
            Registration old = registrations.get(id);
            if (old != null) {
                if (record.sequence() < old.record.sequence()
                        || (record.sequence() == old.record.sequence()
                        && !java.util.Arrays.equals(bytes, old.bytes))) {
                    return new RegisterResult(ErrorCode.REPLAYED, "record sequence " + record.sequence()
                            + " is not newer than the held " + old.record.sequence(), false, false, null);
                }
            } else {
                if (registrations.size() >= config.maxRegistrations()) {
                    return new RegisterResult(ErrorCode.CAP_REGISTRATIONS, "relay full: it holds its maximum of "
                            + config.maxRegistrations() + " registrations (--max-registrations); use another relay",
                            false, false, null);
                }
                TreeMap<NodeId, Registration> agentMap = byAgent.get(record.agentId());
                if (agentMap != null && agentMap.size() >= config.maxRegistrationsPerAgent()) {
                    return new RegisterResult(ErrorCode.CAP_AGENT_REGISTRATIONS, "relay holds its maximum of "
                            + config.maxRegistrationsPerAgent() + " registrations for agent " + record.agentId()
                            + " (--max-registrations-per-agent)", false, false, null);
                }
            }
            Registration reg = new Registration(record, bytes, control);
            if (old != null && !old.record.agentId().equals(record.agentId())) {
                TreeMap<NodeId, Registration> previous = byAgent.get(old.record.agentId());
                if (previous != null) {
                    previous.remove(id);
                    if (previous.isEmpty()) {
                        byAgent.remove(old.record.agentId());
                    }
                }
            }
            registrations.put(id, reg);
            byAgent.computeIfAbsent(record.agentId(), a -> new TreeMap<>()).put(id, reg);
            Channel replaced = old != null && old.control != null && old.control != control ? old.control : null;
            boolean changed = old == null || !old.record.addresses().equals(record.addresses());
            return new RegisterResult(null, null, old == null, changed, replaced);
        }
    }

    /** The control connection of {@code node} closed: it stays registered (until expiry) but unreachable. */
    void controlClosed(NodeId node, Channel control) {
        synchronized (lock) {
            Registration reg = registrations.get(node);
            if (reg != null && reg.control == control) {
                reg.control = null;
            }
        }
    }

    /** Live records of {@code agent}, by node id, as many as fit one reply. */
    List<byte[]> lookup(AgentId agent) {
        long now = clock.nowMillis();
        List<byte[]> out = new ArrayList<>();
        synchronized (lock) {
            TreeMap<NodeId, Registration> regs = byAgent.get(agent);
            if (regs == null) {
                return out;
            }
            int bytes = 3;
            for (Registration r : regs.values()) {
                if (r.record.expiresAt() <= now) {
                    continue;
                }
                if (out.size() >= io.agentmesh.relay.protocol.RelayCodec.MAX_RECORDS_PER_REPLY
                        || bytes + 2 + r.bytes.length > io.agentmesh.relay.protocol.RelayCodec.MAX_FRAME_BYTES) {
                    break;
                }
                bytes += 2 + r.bytes.length;
                out.add(r.bytes);
            }
        }
        return out;
    }

    Registration registration(NodeId node) {
        synchronized (lock) {
            Registration r = registrations.get(node);
            return r != null && r.record.expiresAt() > clock.nowMillis() ? r : null;
        }
    }

    /** Reserves a circuit slot for source -> target; an error message (code first) or null when reserved. */
    RelayMessageError reserveCircuit(NodeId source, NodeId target) {
        synchronized (lock) {
            if (circuits >= config.maxCircuits()) {
                return new RelayMessageError(ErrorCode.CAP_CIRCUITS, "relay carries its maximum of "
                        + config.maxCircuits() + " circuits (--max-circuits); try another relay");
            }
            for (NodeId n : List.of(source, target)) {
                if (circuitsPerNode.getOrDefault(n, 0) >= config.maxCircuitsPerNode()) {
                    return new RelayMessageError(ErrorCode.CAP_NODE_CIRCUITS, "node " + n.shortForm()
                            + " has its maximum of " + config.maxCircuitsPerNode()
                            + " circuits on this relay (--max-circuits-per-node)");
                }
            }
            circuits++;
            circuitsPerNode.merge(source, 1, Integer::sum);
            circuitsPerNode.merge(target, 1, Integer::sum);
            return null;
        }
    }

    record RelayMessageError(ErrorCode code, String message) {
    }

    void releaseCircuit(NodeId source, NodeId target, boolean wasOpen) {
        synchronized (lock) {
            circuits--;
            if (wasOpen) {
                openCircuits--;
            }
            for (NodeId n : List.of(source, target)) {
                circuitsPerNode.computeIfPresent(n, (k, v) -> v <= 1 ? null : v - 1);
            }
        }
    }

    void addPending(Circuit c) {
        synchronized (lock) {
            pendingCircuits.put(HexFormat.of().formatHex(c.id), c);
        }
    }

    /** Removes and returns the pending circuit {@code id} if {@code node} is its target. */
    Circuit takePending(byte[] id, NodeId node) {
        synchronized (lock) {
            String key = HexFormat.of().formatHex(id);
            Circuit c = pendingCircuits.get(key);
            if (c == null || !c.target.equals(node)) {
                return null;
            }
            pendingCircuits.remove(key);
            openCircuits++;
            return c;
        }
    }

    /** Removes the pending circuit if still pending; true when it was. */
    boolean dropPending(Circuit c) {
        synchronized (lock) {
            return pendingCircuits.remove(HexFormat.of().formatHex(c.id), c);
        }
    }

    private void sweep() {
        long now = clock.nowMillis();
        List<RegistrationRecord> expired = new ArrayList<>();
        synchronized (lock) {
            for (Iterator<Registration> it = registrations.values().iterator(); it.hasNext(); ) {
                Registration r = it.next();
                if (r.record.expiresAt() <= now) {
                    it.remove();
                    TreeMap<NodeId, Registration> agentMap = byAgent.get(r.record.agentId());
                    if (agentMap != null) {
                        agentMap.remove(r.record.nodeId());
                        if (agentMap.isEmpty()) {
                            byAgent.remove(r.record.agentId());
                        }
                    }
                    expired.add(r.record);
                }
            }
        }
        for (RegistrationRecord r : expired) {
            metrics.registrationsExpired.incrementAndGet();
            log.info("registration of node {} (agent {}) expired", r.nodeId().shortForm(), r.agentId().shortForm());
        }
    }

    byte[] newNonce() {
        byte[] n = new byte[io.agentmesh.relay.protocol.RelayMessage.NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }
}
