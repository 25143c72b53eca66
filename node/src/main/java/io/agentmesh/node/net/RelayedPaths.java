package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Paths through relays and the way back off them: attaching to the circuits other nodes open to this one (bounded),
 * the direct address of each peer, and the periodic retry of the direct path to every peer that is up only through
 * a relay (a direct connection that authenticates replaces the relayed one, see {@link PeerRegistry}). Also tells
 * the {@link RelayRouter} when a circuit failed, so a relay that altered bytes is avoided.
 */
final class RelayedPaths {
    private static final Logger log = LoggerFactory.getLogger(RelayedPaths.class);
    /** Circuits being attached at once; more are refused, so a relay cannot make this node open sockets unbounded. */
    static final int MAX_PENDING_ATTACHES = 64;

    private final NodeId self;
    private final String selfName;
    private final PeerRegistry registry;
    private final FaultInjector faults;
    private final NetworkCounters counters;
    private final Dialing dialing;
    private final BooleanSupplier shuttingDown;
    private final ConcurrentHashMap<NodeId, InetSocketAddress> directAddresses = new ConcurrentHashMap<>();
    private final Set<NodeId> probing = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pendingAttaches = new AtomicInteger();

    /** @param faults null when fault injection is off */
    RelayedPaths(NodeId self, PeerRegistry registry, FaultInjector faults, NetworkCounters counters, Dialing dialing,
                 BooleanSupplier shuttingDown) {
        this.self = self;
        this.selfName = self.shortForm();
        this.registry = registry;
        this.faults = faults;
        this.counters = counters;
        this.dialing = dialing;
        this.shuttingDown = shuttingDown;
    }

    /** Where {@code peer} may be dialed directly (dialed there, or learned from a relay record). */
    void learnAddress(NodeId peer, InetSocketAddress address) {
        if (!peer.equals(self)) {
            directAddresses.put(peer, address);
        }
    }

    /**
     * A relay says {@code source} wants a circuit to this node: opens the attaching connection, which becomes an
     * inbound node connection (TLS server side) once spliced.
     */
    void attach(InetSocketAddress relay, byte[] circuitId, NodeId source) {
        if (shuttingDown.getAsBoolean()) {
            return;
        }
        if (faults != null && faults.rule(source).block()) {
            counters.connectsBlockedByFaults.incrementAndGet();
            log.info("{} circuit from {} through relay {} refused: blocked by fault injection", selfName,
                    source.shortForm(), relay);
            return;
        }
        if (pendingAttaches.incrementAndGet() > MAX_PENDING_ATTACHES) {
            pendingAttaches.decrementAndGet();
            log.warn("{} circuit from {} through relay {} refused: {} circuits already being attached", selfName,
                    source.shortForm(), relay, MAX_PENDING_ATTACHES);
            return;
        }
        counters.relayAttaches.incrementAndGet();
        log.debug("{} attaching to a circuit from {} through relay {}", selfName, source.shortForm(), relay);
        dialing.open(Connection.attach(relay, circuitId), relay);
    }

    /**
     * Retries the direct path to every peer that is connected only through a relay and has a known address; a
     * direct connection that authenticates replaces the relayed one ({@link PeerRegistry}).
     */
    void probeDirect() {
        if (shuttingDown.getAsBoolean()) {
            return;
        }
        for (NodeId peer : registry.upPeers()) {
            Connection c = registry.current(peer);
            InetSocketAddress address = directAddresses.get(peer);
            if (c == null || !c.relayed || address == null
                    || (faults != null && faults.rule(peer).refusesConnections(false))) {
                continue;
            }
            if (!probing.add(peer)) {
                continue;
            }
            counters.directProbes.incrementAndGet();
            log.debug("{} retrying the direct path to {} at {}", selfName, peer.shortForm(), address);
            dialing.open(Connection.probe(peer), address);
        }
    }

    /** {@code conn}, relayed, authenticated: an attached circuit no longer counts as pending. */
    void authenticated(Connection conn) {
        counters.relayedConnections.incrementAndGet();
        if (!conn.outbound && conn.circuitId() != null) {
            pendingAttaches.decrementAndGet();
            conn.attachCircuit(null);
        }
    }

    /** A direct-path probe ended; true when it failed (then nothing else is to be done about it). */
    boolean probeEnded(Connection conn) {
        probing.remove(conn.expectedPeer);
        if (!conn.isAuthenticated()) {
            log.debug("{} direct path to {} still unusable: {}", selfName, conn.expectedPeer.shortForm(),
                    conn.closeReason());
            return true;
        }
        return false;
    }

    /** A relayed connection ended: frees its attach slot and reports a failed circuit to the router. */
    void closed(Connection conn) {
        if (!conn.outbound && conn.plan == null && !conn.isAuthenticated() && conn.circuitId() != null) {
            pendingAttaches.decrementAndGet();
        }
        NodeId peer = conn.peerId();
        RelayRouter r = dialing.relayRouter();
        if (conn.hadIntegrityFailure() && !shuttingDown.getAsBoolean()) {
            // (TLS failing while this node shuts down proves nothing)
            counters.relayIntegrityFailures.incrementAndGet();
            log.warn("{} connection {} broke TLS on altered bytes: {}; the relay is not trusted for a while",
                    selfName, conn, conn.closeReason());
            if (r != null) {
                r.circuitFailed(conn.relay, peer, conn.closeReason(), true);
            }
        } else if (!conn.isAuthenticated() && conn.outbound) {
            counters.relayDialFailures.incrementAndGet();
            log.info("{} circuit to {} through relay {} failed: {}", selfName,
                    peer == null ? "?" : peer.shortForm(), conn.relay, conn.closeReason());
            if (r != null) {
                r.circuitFailed(conn.relay, peer, conn.closeReason(), false);
            }
        }
    }
}
