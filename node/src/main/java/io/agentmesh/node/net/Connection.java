package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One TCP connection and what is known about it: direction, the peer a dial expected, whether it runs through a
 * relay, the authenticated peer once the Hello checked out, and why it closed. Shared by the handlers of its
 * pipeline (through a channel attribute) and {@link PeerRegistry}.
 *
 * <p>A relayed connection is a TCP connection to a relay spliced to the peer's; {@code outbound} is still the
 * node-to-node direction (the dialer is the TLS client), whichever side opened which TCP connection.
 */
final class Connection {
    static final AttributeKey<Connection> KEY = AttributeKey.valueOf("agentmesh.connection");
    /**
     * The whole Goodbye an unauthenticated peer gets, whatever the reason: the other end may be a stranger probing
     * the node (a crafted frame would otherwise come back with the decoder's own message), so the reason stays in
     * this node's log and metrics. Enrolled peers learn why once they passed the Hello.
     */
    static final String REFUSED = "refused";
    private static final long GOODBYE_FLUSH_LIMIT_MS = 1_000;

    final boolean outbound;
    /** The node {@code dial} expected; null for accepted connections. */
    final NodeId expectedPeer;
    /** The relay this connection runs through; null for a direct connection. */
    final InetSocketAddress relay;
    final boolean relayed;
    /** The dial this connection is an attempt of; null for accepted connections and direct-path probes. */
    final DialPlan plan;
    /** A direct-path probe to a peer that is connected through a relay: its failure is no event. */
    final boolean probe;
    /** TLS failed on bytes that arrived (altered or garbled on the way), rather than on a closed connection. */
    private volatile boolean integrityFailure;
    private volatile Channel channel;
    private volatile HelloAuthenticator.AuthenticatedPeer peer;
    private volatile String localReason;
    private volatile String remoteGoodbye;
    private final AtomicBoolean closeHandled = new AtomicBoolean();

    private Connection(boolean outbound, NodeId expectedPeer, InetSocketAddress relay, DialPlan plan, boolean probe) {
        this.outbound = outbound;
        this.expectedPeer = expectedPeer;
        this.relay = relay;
        this.relayed = relay != null;
        this.plan = plan;
        this.probe = probe;
    }

    /** A connection another node opened to this one's listening socket. */
    static Connection accepted() {
        return new Connection(false, null, null, null, false);
    }

    /** The direct attempt of {@code plan}. */
    static Connection dial(DialPlan plan) {
        return new Connection(true, plan.peer, null, plan, false);
    }

    /** An attempt of {@code plan} through a circuit at {@code relay}; this node is the TLS client. */
    static Connection dialViaRelay(DialPlan plan, InetSocketAddress relay) {
        return new Connection(true, plan.peer, Objects.requireNonNull(relay, "relay"), plan, false);
    }

    /** A retry of the direct path to {@code peer}, which is up through a relay; its failure is no event. */
    static Connection probe(NodeId peer) {
        return new Connection(true, peer, null, null, true);
    }

    /**
     * This node's end of circuit {@code circuitId} that another node opened through {@code relay}; inbound (this
     * node is the TLS server) although this node opens the TCP connection.
     */
    static Connection attach(InetSocketAddress relay, byte[] circuitId) {
        Connection c = new Connection(false, null, relay, null, false);
        c.attachCircuit(circuitId);
        return c;
    }

    private volatile byte[] circuitId;
    /** Bytes of the frame being handed up the pipeline (set by {@link WireFrameCodec}, read by the rate limiter). */
    private int lastFrameBytes;

    void lastFrameBytes(int bytes) {
        lastFrameBytes = bytes;
    }

    int lastFrameBytes() {
        return lastFrameBytes;
    }

    /** The relay circuit an attaching connection is for (target side); null otherwise and once authenticated. */
    void attachCircuit(byte[] id) {
        circuitId = id;
    }

    byte[] circuitId() {
        return circuitId;
    }

    void integrityFailure() {
        integrityFailure = true;
    }

    boolean hadIntegrityFailure() {
        return integrityFailure;
    }

    static Connection of(Channel channel) {
        return channel.attr(KEY).get();
    }

    void attach(Channel ch) {
        this.channel = ch;
        ch.attr(KEY).set(this);
    }

    Channel channel() {
        return channel;
    }

    void authenticated(HelloAuthenticator.AuthenticatedPeer p) {
        this.peer = p;
    }

    boolean isAuthenticated() {
        return peer != null;
    }

    HelloAuthenticator.AuthenticatedPeer peer() {
        return peer;
    }

    /** The authenticated peer's id, else the expected one, else null. */
    NodeId peerId() {
        HelloAuthenticator.AuthenticatedPeer p = peer;
        return p != null ? p.id() : expectedPeer;
    }

    long incarnation() {
        HelloAuthenticator.AuthenticatedPeer p = peer;
        return p == null ? 0 : p.incarnation();
    }

    /** Records why this side closes it, unless a reason is already recorded. */
    void reason(String reason) {
        if (localReason == null) {
            localReason = reason;
        }
    }

    void remoteGoodbye(String reason) {
        remoteGoodbye = reason;
    }

    String remoteGoodbye() {
        return remoteGoodbye;
    }

    /** Why the connection ended, for peerDown / dialFailed and the log. */
    String closeReason() {
        if (localReason != null) {
            return localReason;
        }
        if (remoteGoodbye != null) {
            return "peer said goodbye: " + remoteGoodbye;
        }
        return "connection closed by peer";
    }

    /** True exactly once: the caller handles the close. */
    boolean markCloseHandled() {
        return closeHandled.compareAndSet(false, true);
    }

    /**
     * Closes with {@code reason}; when {@code goodbye}, first tells the peer in a Goodbye (bounded wait for the
     * flush): the reason for an authenticated peer, only {@link #REFUSED} for any other. Safe from any thread,
     * idempotent.
     */
    void close(String reason, boolean goodbye) {
        reason(reason);
        Channel ch = channel;
        if (ch == null || !ch.isOpen()) {
            return;
        }
        if (goodbye && ch.isActive()) {
            String text = !isAuthenticated() ? REFUSED
                    : reason.length() <= 512 ? reason : reason.substring(0, 509) + "...";
            ch.writeAndFlush(new WireMessage.Goodbye(text)).addListener(ChannelFutureListener.CLOSE);
            ch.eventLoop().schedule(() -> ch.close(), GOODBYE_FLUSH_LIMIT_MS, TimeUnit.MILLISECONDS);
        } else {
            ch.close();
        }
    }

    @Override
    public String toString() {
        NodeId id = peerId();
        Channel ch = channel;
        String who = id != null ? id.shortForm() : relayed ? "an unknown node"
                : ch != null ? String.valueOf(ch.remoteAddress()) : "?";
        return (outbound ? "to " : "from ") + who + (relayed ? " via relay " + relay : "");
    }
}
