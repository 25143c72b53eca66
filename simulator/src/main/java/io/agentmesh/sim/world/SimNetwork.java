package io.agentmesh.sim.world;

import io.agentmesh.node.port.Network;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One simulated process's view of the {@link NetworkModel}: the {@link Network} its node core talks through. Every
 * event for the core (peerUp, peerDown, dialFailed, message) is queued on the process's scheduler, as the Netty
 * transport queues them on the node thread. At most one connection per peer is up at a time; as in the transport,
 * a dial to a peer that is up or already being dialed does nothing.
 */
public final class SimNetwork implements Network {
    final NetworkModel model;
    final int index;
    final SimScheduler scheduler;
    final Network.Listener listener;
    final Map<NodeId, NetworkModel.Conn> up = new TreeMap<>();
    final Set<NodeId> dialing = new TreeSet<>();
    boolean alive = true;

    SimNetwork(NetworkModel model, int index, SimScheduler scheduler, Network.Listener listener) {
        this.model = model;
        this.index = index;
        this.scheduler = scheduler;
        this.listener = listener;
    }

    NodeId nodeId() {
        return model.node(index).id();
    }

    private String nameOf(NodeId peer) {
        int i = model.indexOf(peer);
        return i < 0 ? peer.shortForm() : model.node(i).name();
    }

    @Override
    public void dial(NodeId peer, InetSocketAddress address) {
        if (!alive) {
            return;
        }
        if (peer.equals(nodeId())) {
            scheduler.post("dial-failed self", () -> listener.dialFailed(peer, "cannot dial this node itself"));
            return;
        }
        if (up.containsKey(peer) || !dialing.add(peer)) {
            return;
        }
        model.connect(this, peer, address.getHostString());
    }

    @Override
    public boolean send(NodeId peer, WireMessage message) {
        if (!alive) {
            return false;
        }
        NetworkModel.Conn conn = up.get(peer);
        if (conn == null) {
            model.stats().refusedSends++;
            return false;
        }
        return model.transmit(conn, this, message);
    }

    @Override
    public void disconnect(NodeId peer, String reason) {
        if (!alive) {
            return;
        }
        NetworkModel.Conn conn = up.remove(peer);
        if (conn == null) {
            return;
        }
        conn.closeAt(this);
        scheduler.post("peer-down " + nameOf(peer), () -> listener.peerDown(peer, reason));
        model.sendClose(conn, this, reason);
    }

    /** Peers with a connection up at this end, in id order. */
    public Set<NodeId> connectedPeers() {
        return new TreeSet<>(up.keySet());
    }

    // ------------------------------------------------------------------------------ called by the model

    void dialFailed(NodeId peer, String reason) {
        if (!dialing.remove(peer) || up.containsKey(peer)) {
            return;
        }
        listener.dialFailed(peer, reason);
    }

    void established(NetworkModel.Conn conn, boolean outbound) {
        SimNetwork other = conn.other(this);
        NodeId peer = other.nodeId();
        if (outbound) {
            dialing.remove(peer);
        }
        NetworkModel.Conn old = up.get(peer);
        if (old != null) {
            // A half-open connection to a process that died or a path that was cut: the new one supersedes it.
            old.closeAt(this);
            scheduler.post("peer-down " + nameOf(peer), () -> listener.peerDown(peer,
                    "replaced by a new connection (the peer reconnected)"));
        }
        up.put(peer, conn);
        NetworkModel.NodeInfo info = model.node(other.index);
        byte[] certificate = info.certificate().clone();
        scheduler.post("peer-up " + nameOf(peer) + (outbound ? " (dialed)" : " (accepted)"),
                () -> listener.peerUp(peer, certificate, info.incarnation(), outbound));
    }

    void remoteClosed(NetworkModel.Conn conn, String reason) {
        NodeId peer = conn.other(this).nodeId();
        if (up.get(peer) != conn || !conn.openAt(this)) {
            return;
        }
        up.remove(peer);
        conn.closeAt(this);
        listener.peerDown(peer, "closed by the peer: " + reason);
    }

    /** The open connection between exactly this process and {@code other}, if both ends still hold it. */
    NetworkModel.Conn connectionTo(SimNetwork other) {
        NetworkModel.Conn c = up.get(other.nodeId());
        return c != null && c.other(this) == other && c.openAt(this) && c.openAt(other) ? c : null;
    }

    NetworkModel.Conn upConnection(NodeId peer) {
        return up.get(peer);
    }

    void die() {
        alive = false;
        for (NetworkModel.Conn conn : new ArrayList<>(up.values())) {
            conn.closeAt(this);
            model.sendClose(conn, this, "connection reset (the peer's process died)");
        }
        up.clear();
        dialing.clear();
    }
}
