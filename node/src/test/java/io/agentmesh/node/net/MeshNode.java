package io.agentmesh.node.net;

import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.node.net.RecordingListener.DialFailed;
import io.agentmesh.node.net.RecordingListener.PeerDown;
import io.agentmesh.protocol.identity.NodeId;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TestNode} with a {@link RelayClient} and a tiny stand-in for the core's dialer: every address the relay
 * client discovers is dialed, and a peer that goes down or fails to dial is dialed again after {@code redialMs}.
 */
final class MeshNode implements AutoCloseable {
    final TestNode node;
    final RelayClient relays;
    final Map<NodeId, InetSocketAddress> addresses = new ConcurrentHashMap<>();
    private final long redialMs;
    private volatile boolean closed;

    MeshNode(TestAgent agent, NetworkConfig config, RelayClientConfig relayConfig, long redialMs) {
        this.node = TestNode.of(agent, config);
        this.redialMs = redialMs;
        node.events.observer = e -> {
            if (e instanceof PeerDown d) {
                redial(d.peer());
            } else if (e instanceof DialFailed f) {
                redial(f.peer());
            }
        };
        this.relays = new RelayClient(relayConfig, node.key, node.certificate, node.net, List.of(node.address),
                (peer, address) -> node.thread.execute(() -> {
                    addresses.put(peer, address);
                    node.net.dial(peer, address);
                }), new SystemClock(), new java.security.SecureRandom());
    }

    MeshNode start() {
        relays.start();
        return this;
    }

    NodeId id() {
        return node.id;
    }

    private void redial(NodeId peer) {
        if (closed) {
            return;
        }
        node.thread.schedule(() -> {
            InetSocketAddress a = addresses.get(peer);
            if (!closed && a != null && !node.net.connectedPeers().contains(peer)) {
                node.net.dial(peer, a);
            }
        }, redialMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        relays.close();
        node.close();
    }
}
