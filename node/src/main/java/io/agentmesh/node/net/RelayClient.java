package io.agentmesh.node.net;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.relay.protocol.RecordException;
import io.agentmesh.relay.protocol.RecordVerifier;
import io.agentmesh.relay.protocol.RegistrationRecord;
import io.agentmesh.relay.HostPort;
import io.agentmesh.relay.tls.RelayTls;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.random.RandomGenerator;

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
 *           new SystemClock(), new SecureRandom());
 *   relays.start();
 *   ...
 *   relays.close();   // before network.close()
 * </pre>
 *
 * <p><b>Every connection to a relay runs TLS</b> (control, dialing and attaching), the relay's key checked against
 * its pin, else trusted on first use ({@link RelayPins}): an observer of the wire sees no registration, lookup or
 * circuit request. A relay presenting another key is refused, and the session says why in {@link Status#lastError}.
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
 * <p>Parts: {@link OwnRecord} (this node's signed record), one {@link RelaySession} per relay (connection,
 * registration, lookups, reconnects, avoid window), {@link RelayDirectory} (verifying and feeding the records relays
 * serve); this class ranks the relays for {@link NettyNetwork}.
 *
 * <p>Threads: everything runs on the network's event loops; the {@code discovered} callback is called there too
 * (hand it to the node thread).
 */
public final class RelayClient implements RelayRouter, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayClient.class);
    /** The file in a node's state directory where keys of unpinned relays are recorded at first use. */
    public static final String KNOWN_RELAYS_FILE = RelayPins.KNOWN_RELAYS_FILE;

    private final RelayClientConfig config;
    private final String selfName;
    private final NettyNetwork network;
    private final RelayDirectory directory;
    private final List<RelaySession> sessions;
    private final Map<InetSocketAddress, SslContext> relayTls;
    private final Counters counters = new Counters();
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * @param config     relays and timings
     * @param identity   this node's key and certificate (its agent decides whose records are accepted)
     * @param network    the started network: circuits run through it, and its event loops run this client
     * @param advertised addresses to put in this node's record (see the class comment)
     * @param discovered called with (node, address) when a verified record shows a new node or a new address
     * @param clock      wall-clock time for record expiry and certificate validity
     * @param random     jitter for reconnect delays; called from several event loops, so it must be thread-safe
     *                   ({@code java.util.Random} and {@code SecureRandom} are)
     */
    public RelayClient(RelayClientConfig config, LocalIdentity identity, NettyNetwork network,
                       List<InetSocketAddress> advertised, BiConsumer<NodeId, InetSocketAddress> discovered,
                       Clock clock, RandomGenerator random) {
        this(config, identity.nodeKey(), identity.certificate(), network, advertised, discovered, clock, random);
    }

    RelayClient(RelayClientConfig config, SigningKey nodeKey, NodeCertificate certificate, NettyNetwork network,
                List<InetSocketAddress> advertised, BiConsumer<NodeId, InetSocketAddress> discovered,
                Clock clock, RandomGenerator random) {
        this.config = Objects.requireNonNull(config, "config");
        NodeId self = NodeId.of(nodeKey.verifyingKey());
        this.selfName = self.shortForm();
        this.network = Objects.requireNonNull(network, "network");
        Objects.requireNonNull(clock, "clock");
        AgentId agent = certificate.agentId();
        this.directory = new RelayDirectory(self,
                new RecordVerifier(agent, config.maxRecordTtlMs(), config.expiredGraceMs()), clock, counters,
                network::learnAddress, Objects.requireNonNull(discovered, "discovered"));
        OwnRecord ownRecord = new OwnRecord(nodeKey, certificate, advertised, network::boundPort, clock,
                config.recordTtlMs());
        RelaySession.Shared shared = new RelaySession.Shared(config, clock, counters, selfName, nodeKey, agent,
                ownRecord, directory, network, Objects.requireNonNull(random, "random"),
                () -> closed);
        RelayPins pins;
        try {
            pins = new RelayPins(config.pins(), config.knownRelaysFile(), selfName);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read the known relays in "
                    + config.knownRelaysFile().orElse(null) + ": " + e.getMessage(), e);
        }
        List<RelaySession> s = new ArrayList<>();
        Map<InetSocketAddress, SslContext> tls = new java.util.HashMap<>();
        for (InetSocketAddress relay : config.relays()) {
            SslContext context = RelayTls.client(pins.checkFor(HostPort.format(relay)));
            tls.put(relay, context);
            s.add(new RelaySession(relay, context, shared));
        }
        this.sessions = List.copyOf(s);
        this.relayTls = Map.copyOf(tls);
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
        for (RelaySession s : sessions) {
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
        for (RelaySession s : sessions) {
            s.stop();
        }
    }

    /** The newest verified record of each other node of this agent seen at any relay. */
    public Map<NodeId, RegistrationRecord> knownRecords() {
        return directory.knownRecords();
    }

    public Stats stats() {
        return counters.snapshot();
    }

    /** One line per relay, in configuration order. */
    public List<Status> relays() {
        return sessions.stream().map(RelaySession::status).toList();
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

    /** Counters shared by the client's parts. */
    static final class Counters {
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

    /** Relays not avoided, best first: those registered that saw {@code peer}, then those registered, then others. */
    @Override
    public List<InetSocketAddress> relaysFor(NodeId peer) {
        return sessions.stream()
                .filter(s -> !s.isAvoided())
                .sorted(Comparator.comparingInt(s -> s.rank(peer)))
                .map(s -> s.relay)
                .toList();
    }

    @Override
    public SslContext relayTls(InetSocketAddress relay) {
        return relayTls.get(relay);
    }

    @Override
    public void circuitFailed(InetSocketAddress relay, NodeId peer, String reason, boolean integrity) {
        if (!integrity) {
            return;
        }
        for (RelaySession s : sessions) {
            if (s.relay.equals(relay)) {
                s.avoid("broke the TLS of a circuit" + (peer == null ? "" : " with " + peer.shortForm()) + ": "
                        + reason);
            }
        }
    }
}
