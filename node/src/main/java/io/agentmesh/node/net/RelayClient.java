package io.agentmesh.node.net;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.relay.protocol.ProtocolException;
import io.agentmesh.relay.protocol.RecordException;
import io.agentmesh.relay.protocol.RecordVerifier;
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
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * This node's side of the relays: registers a signed record with every configured relay and keeps it fresh,
 * looks up the agent's other nodes at each relay, believes only records that verify, feeds the addresses it learns
 * to the node, attaches to circuits other nodes open to it, and tells {@link NettyNetwork} which relays to dial
 * through when a direct dial fails.
 *
 * <p><b>Use</b> (after {@code network.start()}):
 * <pre>
 *   RelayClient relays = new RelayClient(RelayClientConfig.parse(List.of("relay1:7700", "relay2:7700")),
 *           identity, network, List.of(advertisedAddress),
 *           (peer, address) -> nodeThread.execute(() -> core.addPeer(peer, address)),
 *           System::currentTimeMillis);
 *   relays.start();
 *   ...
 *   relays.close();   // before network.close()
 * </pre>
 *
 * <p><b>Relays are untrusted.</b> Every record from a lookup goes through {@link RecordVerifier}: it must be signed
 * by the key of the node it names, carry a valid certificate of this agent, not be expired or claim too long a
 * life, and not go back in sequence. A relay that serves a forged, altered, long-expired or replayed record, or
 * that breaks the TLS of a circuit (altered bytes), is avoided for {@code avoidMs}: no lookups, no circuits through
 * it. Counted in {@link #stats()}.
 *
 * <p><b>Addresses</b> in this node's record: {@code advertised} as given, except that a wildcard address
 * ({@code 0.0.0.0:port}, {@code [::]:port}) becomes the address each relay sees this node connect from, with that
 * port (at most 4 such), and port 0 becomes the network's bound port. An empty list means the wildcard with the
 * network's bound port.
 *
 * <p>Threads: everything runs on the network's event loops; the {@code discovered} callback is called there too
 * (hand it to the node thread).
 */
public final class RelayClient implements RelayRouter, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayClient.class);
    private static final long FIRST_LOOKUP_DELAY_MS = 250;
    private static final int MAX_OBSERVED_ADDRESSES = 4;

    private final RelayClientConfig config;
    private final SigningKey nodeKey;
    private final NodeCertificate certificate;
    private final AgentId agent;
    private final NodeId self;
    private final String selfName;
    private final NettyNetwork network;
    private final List<InetSocketAddress> advertised;
    private final BiConsumer<NodeId, InetSocketAddress> discovered;
    private final LongSupplier clock;
    private final RecordVerifier verifier;
    private final List<Session> sessions;
    private final Map<NodeId, RegistrationRecord> known = new ConcurrentHashMap<>();
    private final Map<NodeId, InetSocketAddress> fed = new ConcurrentHashMap<>();
    private final Set<InetAddress> observed = ConcurrentHashMap.newKeySet();
    private final Counters counters = new Counters();
    private RegistrationRecord record;
    private long recordSignedAt;
    private long lastSequence;
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * @param config          relays and timings
     * @param identity        this node's key and certificate (its agent decides whose records are accepted)
     * @param network         the started network: circuits run through it, and its event loops run this client
     * @param advertised      addresses to put in this node's record (see the class comment)
     * @param discovered      called with (node, address) when a verified record shows a new node or a new address
     * @param wallClockMillis wall-clock time for record expiry and certificate validity
     */
    public RelayClient(RelayClientConfig config, LocalIdentity identity, NettyNetwork network,
                       List<InetSocketAddress> advertised, BiConsumer<NodeId, InetSocketAddress> discovered,
                       LongSupplier wallClockMillis) {
        this(config, identity.nodeKey(), identity.certificate(), network, advertised, discovered, wallClockMillis);
    }

    RelayClient(RelayClientConfig config, SigningKey nodeKey, NodeCertificate certificate, NettyNetwork network,
                List<InetSocketAddress> advertised, BiConsumer<NodeId, InetSocketAddress> discovered,
                LongSupplier wallClockMillis) {
        this.config = Objects.requireNonNull(config, "config");
        this.nodeKey = nodeKey;
        this.certificate = certificate;
        this.agent = certificate.agentId();
        this.self = NodeId.of(nodeKey.verifyingKey());
        this.selfName = self.shortForm();
        this.network = Objects.requireNonNull(network, "network");
        this.advertised = List.copyOf(advertised);
        this.discovered = Objects.requireNonNull(discovered, "discovered");
        this.clock = Objects.requireNonNull(wallClockMillis, "wallClockMillis");
        this.verifier = new RecordVerifier(agent, config.maxRecordTtlMs(), config.expiredGraceMs());
        List<Session> s = new ArrayList<>();
        for (InetSocketAddress relay : config.relays()) {
            s.add(new Session(relay));
        }
        this.sessions = List.copyOf(s);
    }

    /**
     * Connects to every relay (and keeps reconnecting) and makes the network dial through them when a direct dial
     * fails.
     *
     * @throws IllegalStateException when the network has not been started
     */
    public void start() {
        if (network.boundPort() < 0) {
            throw new IllegalStateException("start the network before the relay client");
        }
        if (started || closed) {
            return;
        }
        started = true;
        network.relayRouter(this);
        log.info("{} using relays {}", selfName, config.relays());
        for (Session s : sessions) {
            s.connect();
        }
    }

    /** Closes the relay connections; the network no longer dials through relays. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        network.relayRouter(null);
        for (Session s : sessions) {
            s.stop();
        }
    }

    /** The newest verified record of each other node of this agent seen at any relay. */
    public Map<NodeId, RegistrationRecord> knownRecords() {
        Map<NodeId, RegistrationRecord> out = new TreeMap<>(known);
        out.remove(self);
        return out;
    }

    public Stats stats() {
        return counters.snapshot();
    }

    /** One line per relay, in configuration order. */
    public List<Status> relays() {
        long now = clock.getAsLong();
        return sessions.stream().map(s -> new Status(s.relay, s.channel != null && s.channel.isActive(),
                s.registered, s.avoidedUntil > now, s.seen.size(), s.lastError)).toList();
    }

    /**
     * A relay as this node sees it.
     *
     * @param connected  the control connection is open
     * @param registered this node's record is registered there
     * @param avoided    it was caught misbehaving and is not used for now
     * @param nodesSeen  nodes of this agent (this one included) in its last lookup answer
     * @param lastError  why the last connection or request failed, or null
     */
    public record Status(InetSocketAddress relay, boolean connected, boolean registered, boolean avoided,
                         int nodesSeen, String lastError) {
    }

    /**
     * Counters since start.
     *
     * @param registrations    registrations and refreshes confirmed by relays
     * @param lookups          lookup answers received
     * @param recordsAccepted  records that verified and were newer than what was known
     * @param recordsStale     records that verified but were older than one already known (not held against the
     *                         relay)
     * @param recordsRejected  records that failed verification, by reason
     * @param relaysAvoided    times a relay was put on the avoid list
     * @param incomingCircuits circuits relays asked this node to attach to
     * @param relayRefusals    errors relays answered with (caps, unknown targets...)
     */
    public record Stats(long registrations, long lookups, long recordsAccepted, long recordsStale,
                        Map<RecordException.Reason, Long> recordsRejected, long relaysAvoided, long incomingCircuits,
                        long relayRefusals) {
        public Stats {
            recordsRejected = Map.copyOf(recordsRejected);
        }

        public long recordsRejectedTotal() {
            return recordsRejected.values().stream().mapToLong(Long::longValue).sum();
        }

        public long recordsRejected(RecordException.Reason reason) {
            return recordsRejected.getOrDefault(reason, 0L);
        }
    }

    private static final class Counters {
        final AtomicLong registrations = new AtomicLong();
        final AtomicLong lookups = new AtomicLong();
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong stale = new AtomicLong();
        final Map<RecordException.Reason, AtomicLong> rejected = new EnumMap<>(RecordException.Reason.class);
        final AtomicLong avoided = new AtomicLong();
        final AtomicLong incoming = new AtomicLong();
        final AtomicLong refusals = new AtomicLong();

        Counters() {
            for (RecordException.Reason r : RecordException.Reason.values()) {
                rejected.put(r, new AtomicLong());
            }
        }

        Stats snapshot() {
            Map<RecordException.Reason, Long> rej = new EnumMap<>(RecordException.Reason.class);
            rejected.forEach((k, v) -> {
                if (v.get() > 0) {
                    rej.put(k, v.get());
                }
            });
            return new Stats(registrations.get(), lookups.get(), accepted.get(), stale.get(), rej, avoided.get(),
                    incoming.get(), refusals.get());
        }
    }

    // ------------------------------------------------------------------------------------------- RelayRouter

    @Override
    public List<InetSocketAddress> relaysFor(NodeId peer) {
        long now = clock.getAsLong();
        return sessions.stream()
                .filter(s -> s.avoidedUntil <= now)
                .sorted(Comparator.comparingInt(s -> s.rank(peer)))
                .map(s -> s.relay)
                .toList();
    }

    @Override
    public void circuitFailed(InetSocketAddress relay, NodeId peer, String reason, boolean integrity) {
        if (!integrity) {
            return;
        }
        for (Session s : sessions) {
            if (s.relay.equals(relay)) {
                s.avoid("broke the TLS of a circuit" + (peer == null ? "" : " with " + peer.shortForm()) + ": "
                        + reason);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- records

    /** This node's current record: re-signed when the addresses changed or a third of its life has passed. */
    private synchronized RegistrationRecord currentRecord() {
        long now = clock.getAsLong();
        List<InetSocketAddress> addrs = recordAddresses();
        if (record == null || !record.addresses().equals(addrs) || now - recordSignedAt >= config.recordTtlMs() / 3
                || record.expiresAt() <= now) {
            long seq = Math.max(lastSequence + 1, now);
            lastSequence = seq;
            record = RegistrationRecord.sign(nodeKey, certificate, addrs, seq, now + config.recordTtlMs());
            recordSignedAt = now;
        }
        return record;
    }

    private List<InetSocketAddress> recordAddresses() {
        List<InetSocketAddress> base = advertised.isEmpty()
                ? List.of(new InetSocketAddress("0.0.0.0", network.boundPort())) : advertised;
        List<InetAddress> seenFrom = observed.stream()
                .sorted(Comparator.comparing(InetAddress::getHostAddress)).toList();
        LinkedHashSet<InetSocketAddress> out = new LinkedHashSet<>();
        for (InetSocketAddress given : base) {
            InetSocketAddress a = given.getPort() != 0 ? given : given.isUnresolved()
                    ? InetSocketAddress.createUnresolved(given.getHostString(), network.boundPort())
                    : new InetSocketAddress(given.getAddress(), network.boundPort());
            if (!a.isUnresolved() && a.getAddress().isAnyLocalAddress()) {
                for (InetAddress ip : seenFrom) {
                    out.add(new InetSocketAddress(ip, a.getPort()));
                }
            } else {
                out.add(a);
            }
        }
        return out.stream().limit(RegistrationRecord.MAX_ADDRESSES).toList();
    }

    private void noteObserved(InetSocketAddress seen) {
        if (seen != null && !seen.isUnresolved() && observed.size() < MAX_OBSERVED_ADDRESSES) {
            observed.add(seen.getAddress());
        }
    }

    private void records(Session from, List<byte[]> records) {
        long now = clock.getAsLong();
        Set<NodeId> seen = new HashSet<>();
        String blame = null;
        for (byte[] bytes : records) {
            RecordVerifier.Verdict v = verifier.check(bytes, from.name, now);
            switch (v.outcome()) {
                case NEW -> {
                    counters.accepted.incrementAndGet();
                    seen.add(v.record().nodeId());
                    known.put(v.record().nodeId(), v.record());
                    feed(v.record(), from);
                }
                case UNCHANGED -> seen.add(v.record().nodeId());
                case STALE -> {
                    counters.stale.incrementAndGet();
                    seen.add(v.record().nodeId());
                    log.debug("{} relay {}: {}", selfName, from.relay, v.detail());
                }
                case REJECTED -> {
                    counters.rejected.get(v.reason()).incrementAndGet();
                    log.warn("{} rejected a record from relay {}: {} ({})", selfName, from.relay, v.detail(),
                            v.reason());
                    if (v.sourceAtFault() && blame == null) {
                        blame = "served a " + v.reason() + " record: " + v.detail();
                    }
                }
            }
        }
        from.seen = Set.copyOf(seen);
        if (blame != null) {
            from.avoid(blame);
        }
        verifier.prune(now);
    }

    private void feed(RegistrationRecord r, Session from) {
        NodeId id = r.nodeId();
        if (id.equals(self) || r.addresses().isEmpty()) {
            return;
        }
        InetSocketAddress first = r.addresses().get(0);
        network.learnAddress(id, first);
        InetSocketAddress previous = fed.put(id, first);
        if (!first.equals(previous)) {
            log.info("{} discovered node {} at {} through relay {}", selfName, id.shortForm(), first, from.relay);
            try {
                discovered.accept(id, first);
            } catch (RuntimeException e) {
                log.warn("{} discovery callback failed for {}: {}", selfName, id.shortForm(), e.toString());
            }
        }
    }

    // ------------------------------------------------------------------------------------------- sessions

    /** One relay: its control connection, registration, lookups and reconnects. */
    private final class Session {
        final InetSocketAddress relay;
        final String name;
        volatile Channel channel;
        volatile boolean registered;
        volatile long avoidedUntil;
        volatile String lastError;
        volatile Set<NodeId> seen = Set.of();
        private volatile int failures;
        private volatile ScheduledFuture<?> reconnect;
        private volatile ScheduledFuture<?> tick;
        // Event loop of the current channel only:
        private byte[] nonce;
        private RegistrationRecord registeredRecord;
        private RegistrationRecord pendingRecord;
        private long lookupDelayMs;

        Session(InetSocketAddress relay) {
            this.relay = relay;
            this.name = relay.getHostString() + ":" + relay.getPort();
        }

        int rank(NodeId peer) {
            if (registered && seen.contains(peer)) {
                return 0;
            }
            return registered ? 1 : 2;
        }

        void avoid(String why) {
            long until = clock.getAsLong() + config.avoidMs();
            boolean already = avoidedUntil > clock.getAsLong();
            avoidedUntil = until;
            if (!already) {
                counters.avoided.incrementAndGet();
                log.warn("{} relay {} {}; avoiding it until {}", selfName, relay, why, Instant.ofEpochMilli(until));
            }
        }

        void connect() {
            if (closed) {
                return;
            }
            Bootstrap b = new Bootstrap()
                    .group(network.eventLoops())
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
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
        void lost(String why) {
            registered = false;
            channel = null;
            cancel(tick);
            lastError = why;
            if (closed) {
                return;
            }
            int n = failures++;
            long ceiling = Math.min(config.backoffCapMs(), config.backoffBaseMs() << Math.min(n, 30));
            long delay = ThreadLocalRandom.current().nextLong(ceiling + 1);
            if (n == 0 || n % 10 == 0) {
                log.info("{} relay {}: {}; reconnecting in {} ms (attempt {})", selfName, relay, why, delay, n + 1);
            }
            try {
                reconnect = network.eventLoops().next().schedule(this::connect, delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the network is closing
            }
        }

        void stop() {
            cancel(reconnect);
            cancel(tick);
            Channel ch = channel;
            if (ch != null) {
                ch.close().awaitUninterruptibly(1_000);
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
            if (closed || !ch.isActive() || channel != ch) {
                return;
            }
            RegistrationRecord want = currentRecord();
            if (registered && pendingRecord == null && want != registeredRecord) {
                pendingRecord = want;
                RelayFrames.write(ch, RelayCodec.register(nodeKey, nonce, want));
            }
            if (avoidedUntil <= clock.getAsLong()) {
                RelayFrames.write(ch, new RelayMessage.Lookup(agent));
            }
            long delay = lookupDelayMs;
            lookupDelayMs = Math.min(config.lookupIntervalMs(), lookupDelayMs * 2);
            scheduleTick(ch, delay);
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
                        log.info("{} lost relay {}", selfName, relay);
                    }
                    lost(why);
                }
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                lastError = "connection failed: " + cause.getMessage();
                ctx.close();
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
                switch (m) {
                    case RelayMessage.Challenge c when !challenged -> {
                        challenged = true;
                        if (c.version() != RelayCodec.PROTOCOL_VERSION) {
                            fail(ctx, "relay speaks relay protocol " + c.version() + ", this node "
                                    + RelayCodec.PROTOCOL_VERSION);
                            return;
                        }
                        noteObserved(c.observed());
                        RegistrationRecord r = currentRecord();
                        pendingRecord = r;
                        RelayFrames.write(ctx.channel(), RelayCodec.register(nodeKey, c.nonce(), r));
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
                            log.info("{} registered with relay {} (addresses {}, until {})", selfName, relay,
                                    registeredRecord.addresses(), Instant.ofEpochMilli(r.expiresAt()));
                            lookupDelayMs = Math.min(FIRST_LOOKUP_DELAY_MS, config.lookupIntervalMs());
                            tick(ctx.channel());
                        }
                    }
                    case RelayMessage.Records r when registered -> {
                        counters.lookups.incrementAndGet();
                        records(Session.this, r.records());
                    }
                    case RelayMessage.Incoming in when registered -> {
                        counters.incoming.incrementAndGet();
                        network.attachRelayed(relay, in.circuitId(), in.source());
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
                    log.debug("{} relay {} again: {}", selfName, relay, why); // logged once until it changes
                } else {
                    log.warn("{} relay {}: {}", selfName, relay, why);
                }
                lastError = why;
                ctx.close();
            }
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }
}
