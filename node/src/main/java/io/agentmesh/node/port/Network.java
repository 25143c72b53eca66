package io.agentmesh.node.port;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;

import java.net.InetSocketAddress;

/**
 * How the node core talks to peers. Netty implements it in production, the simulator's network model in tests.
 *
 * <p>Contract: no method blocks or throws for network reasons; outcomes come back later as {@link Listener} events
 * on the node thread. Only authenticated peers (TLS done, node certificate from this agent verified, session proof
 * checked) are ever reported up, so the core never sees a stranger. At most one connection per peer is reported at
 * a time.
 */
public interface Network {

    /** Starts dialing {@code address}, expecting {@code peer} there; the result is peerUp or dialFailed. */
    void dial(NodeId peer, InetSocketAddress address);

    /**
     * Queues {@code message} for {@code peer}. Returns false (and drops it) when the peer is not connected or its
     * outbound buffer is over its limit; the core's anti-entropy repairs whatever a drop loses.
     */
    boolean send(NodeId peer, WireMessage message);

    /** Closes the connection to {@code peer}, telling it why; peerDown follows. */
    void disconnect(NodeId peer, String reason);

    /** Events the network delivers to the core, always on the node thread. */
    interface Listener {
        /** An authenticated connection to {@code peer} is open; {@code certificate} is its verified certificate. */
        void peerUp(NodeId peer, byte[] certificate, long incarnation, boolean outbound);

        /** The connection to {@code peer} closed. */
        void peerDown(NodeId peer, String reason);

        /** A dial to {@code peer} did not produce a connection. */
        void dialFailed(NodeId peer, String reason);

        /** A message from an authenticated peer. */
        void message(NodeId peer, WireMessage message);
    }
}
