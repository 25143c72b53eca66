package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;

import java.net.InetSocketAddress;
import java.util.List;

/** What {@link NettyNetwork} asks about relays when a direct dial fails ({@link RelayClient} answers). */
interface RelayRouter {
    /** Relays to try for a circuit to {@code peer}, best first; empty when there are none worth trying. */
    List<InetSocketAddress> relaysFor(NodeId peer);

    /**
     * A circuit through {@code relay} failed. {@code integrity}: the TLS inside it broke on altered bytes, which an
     * honest relay never causes.
     */
    void circuitFailed(InetSocketAddress relay, NodeId peer, String reason, boolean integrity);

    /** The TLS towards {@code relay} (its key checked against its pin), for circuits; null for a relay not in use. */
    io.netty.handler.ssl.SslContext relayTls(InetSocketAddress relay);
}
