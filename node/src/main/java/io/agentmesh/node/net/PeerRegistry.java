package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps at most one connection per peer and turns connection events into the core's peerUp / peerDown /
 * dialFailed / message events, in a consistent order (every event is handed to the {@link Sink} under this
 * object's lock, so a message is never delivered before its peerUp or after its peerDown).
 *
 * <p>Rules when a second authenticated connection to a peer appears:
 * <ul>
 *   <li>higher incarnation: the peer restarted; the old connection is closed, peerDown then peerUp;</li>
 *   <li>lower incarnation: the new connection is refused;</li>
 *   <li>same incarnation, one direct and one through a relay: the direct one is kept (both ends know which is
 *       which, so they agree); the relayed one is closed with a Goodbye {@value #SUPERSEDED_BY_DIRECT}; no event
 *       (the peer stays up, messages move to the direct connection);</li>
 *   <li>same incarnation, opposite directions (both nodes dialed): keep the connection dialed by the node with the
 *       lower {@link NodeId}, which both ends compute alike; the other is closed with a Goodbye
 *       {@value #DUPLICATE}; no event (the peer stays up);</li>
 *   <li>same incarnation, same direction (the peer dialed again): the newer one wins, peerDown then peerUp.</li>
 * </ul>
 * Because each end decides when it sees both connections, one end can close the loser while the other still uses
 * it. A peer whose current connection ends with the Goodbye {@value #DUPLICATE} or {@value #SUPERSEDED_BY_DIRECT}
 * therefore stays up for {@code lingerMs} waiting for the winner; if it does not authenticate in time, peerDown
 * follows.
 *
 * <p>Messages are delivered from any authenticated connection of the peer's current incarnation while the peer is
 * up (so a loser's frames already in flight are not lost).
 */
final class PeerRegistry {
    static final String DUPLICATE = "duplicate connection";
    static final String SUPERSEDED_BY_DIRECT = "replaced by a direct connection";

    /** Where decisions go. Called with the registry's lock held; implementations must not block. */
    interface Sink {
        void peerUp(Connection connection);

        void peerDown(NodeId peer, String reason);

        void dialFailed(NodeId peer, String reason);

        void message(NodeId peer, WireMessage message);

        /** Closes {@code connection} telling the peer {@code reason}; it ends without an event. */
        void retire(Connection connection, String reason);

        /** Runs {@code task} after {@code delayMs} (on any thread); the returned handle cancels it. */
        Runnable schedule(Runnable task, long delayMs);
    }

    private static final class Slot {
        Connection current;
        long incarnation;
        Runnable cancelLinger;
    }

    private final NodeId self;
    private final long lingerMs;
    private final Sink sink;
    private final Map<NodeId, Slot> slots = new HashMap<>();
    private final Set<NodeId> dialing = new HashSet<>();
    private final ConcurrentHashMap<NodeId, Connection> current = new ConcurrentHashMap<>();

    PeerRegistry(NodeId self, long lingerMs, Sink sink) {
        this.self = self;
        this.lingerMs = lingerMs;
        this.sink = sink;
    }

    /** The connection to send to {@code peer} on, or null. Lock-free. */
    Connection current(NodeId peer) {
        return current.get(peer);
    }

    synchronized Set<NodeId> upPeers() {
        return Set.copyOf(slots.keySet());
    }

    synchronized boolean isUp(NodeId peer) {
        return slots.containsKey(peer);
    }

    /** Reserves a dial to {@code peer}; false when it is already up or being dialed. */
    synchronized boolean beginDial(NodeId peer) {
        if (slots.containsKey(peer) || dialing.contains(peer)) {
            return false;
        }
        dialing.add(peer);
        return true;
    }

    /** A dial that never produced a connection object (e.g. refused before connecting). */
    synchronized void dialAborted(NodeId peer, String reason) {
        if (dialing.remove(peer) && !slots.containsKey(peer)) {
            sink.dialFailed(peer, reason);
        }
    }

    /**
     * {@code connection} passed the Hello. Returns true when it is now the peer's current connection or kept
     * as such; false when it was refused (the registry has already told the sink to retire or close it).
     */
    synchronized boolean authenticated(Connection connection) {
        NodeId peer = connection.peerId();
        long inc = connection.incarnation();
        if (connection.outbound) {
            dialing.remove(connection.expectedPeer);
        }
        Slot slot = slots.get(peer);
        if (slot == null) {
            slot = new Slot();
            slot.current = connection;
            slot.incarnation = inc;
            slots.put(peer, slot);
            current.put(peer, connection);
            sink.peerUp(connection);
            return true;
        }
        if (inc < slot.incarnation) {
            sink.retire(connection, "stale incarnation " + inc + ": this node already talks to incarnation "
                    + slot.incarnation);
            return false;
        }
        Connection old = slot.current;
        if (inc > slot.incarnation) {
            replace(peer, slot, connection, "peer restarted (incarnation " + slot.incarnation + " -> " + inc + ")");
            if (old != null) {
                sink.retire(old, "superseded by incarnation " + inc);
            }
            return true;
        }
        if (old == null) {
            // Lingering after a duplicate close: this is the winner arriving. Silent swap.
            cancelLinger(slot);
            slot.current = connection;
            current.put(peer, connection);
            return true;
        }
        if (old.relayed != connection.relayed) {
            Connection winner = connection.relayed ? old : connection;
            Connection loser = winner == connection ? old : connection;
            slot.current = winner;
            current.put(peer, winner);
            sink.retire(loser, SUPERSEDED_BY_DIRECT);
            return winner == connection;
        }
        if (old.outbound != connection.outbound) {
            boolean keepOutbound = self.compareTo(peer) < 0;
            Connection winner = connection.outbound == keepOutbound ? connection : old;
            Connection loser = winner == connection ? old : connection;
            slot.current = winner;
            current.put(peer, winner);
            sink.retire(loser, DUPLICATE);
            return winner == connection;
        }
        replace(peer, slot, connection, "peer reconnected");
        sink.retire(old, "replaced by a newer connection");
        return true;
    }

    private void replace(NodeId peer, Slot slot, Connection connection, String reason) {
        cancelLinger(slot);
        sink.peerDown(peer, reason);
        slot.current = connection;
        slot.incarnation = connection.incarnation();
        current.put(peer, connection);
        sink.peerUp(connection);
    }

    /** Hands {@code message} to the core if {@code connection}'s peer is up in that incarnation. */
    synchronized boolean deliver(Connection connection, WireMessage message) {
        NodeId peer = connection.peerId();
        Slot slot = slots.get(peer);
        if (slot == null || !connection.isAuthenticated() || slot.incarnation != connection.incarnation()) {
            return false;
        }
        sink.message(peer, message);
        return true;
    }

    /** {@code connection} closed (for whatever reason); emits what follows from it. */
    synchronized void closed(Connection connection) {
        if (!connection.isAuthenticated()) {
            if (connection.outbound && dialing.remove(connection.expectedPeer)
                    && !slots.containsKey(connection.expectedPeer)) {
                sink.dialFailed(connection.expectedPeer, connection.closeReason());
            }
            return;
        }
        NodeId peer = connection.peerId();
        Slot slot = slots.get(peer);
        if (slot == null || slot.current != connection) {
            return;
        }
        slot.current = null;
        current.remove(peer, connection);
        if (DUPLICATE.equals(connection.remoteGoodbye())
                || SUPERSEDED_BY_DIRECT.equals(connection.remoteGoodbye())) {
            slot.cancelLinger = sink.schedule(() -> lingerExpired(peer, slot), lingerMs);
            return;
        }
        slots.remove(peer);
        sink.peerDown(peer, connection.closeReason());
    }

    private synchronized void lingerExpired(NodeId peer, Slot slot) {
        if (slots.get(peer) == slot && slot.current == null) {
            slots.remove(peer);
            sink.peerDown(peer, "the connection was closed as a duplicate and the one kept did not arrive within "
                    + lingerMs + " ms");
        }
    }

    /** The core asked to disconnect: peerDown now, the connection is told why and closed. */
    synchronized void disconnect(NodeId peer, String reason) {
        Slot slot = slots.remove(peer);
        if (slot == null) {
            return;
        }
        cancelLinger(slot);
        Connection conn = slot.current;
        if (conn != null) {
            current.remove(peer, conn);
            sink.retire(conn, reason);
        }
        sink.peerDown(peer, reason);
    }

    private static void cancelLinger(Slot slot) {
        if (slot.cancelLinger != null) {
            slot.cancelLinger.run();
            slot.cancelLinger = null;
        }
    }
}
