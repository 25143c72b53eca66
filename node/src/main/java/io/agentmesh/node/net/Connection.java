package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One TCP connection and what is known about it: direction, the peer a dial expected, the authenticated peer once
 * the Hello checked out, and why it closed. Shared by the handlers of its pipeline (through a channel attribute)
 * and {@link PeerRegistry}.
 */
final class Connection {
    static final AttributeKey<Connection> KEY = AttributeKey.valueOf("agentmesh.connection");
    private static final long GOODBYE_FLUSH_LIMIT_MS = 1_000;

    final boolean outbound;
    /** The node {@code dial} expected; null for accepted connections. */
    final NodeId expectedPeer;
    private volatile Channel channel;
    private volatile HelloAuthenticator.AuthenticatedPeer peer;
    private volatile String localReason;
    private volatile String remoteGoodbye;
    private final AtomicBoolean closeHandled = new AtomicBoolean();

    Connection(boolean outbound, NodeId expectedPeer) {
        this.outbound = outbound;
        this.expectedPeer = expectedPeer;
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
     * flush). Safe from any thread, idempotent.
     */
    void close(String reason, boolean goodbye) {
        reason(reason);
        Channel ch = channel;
        if (ch == null || !ch.isOpen()) {
            return;
        }
        if (goodbye && ch.isActive()) {
            String text = reason.length() <= 512 ? reason : reason.substring(0, 509) + "...";
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
        String who = id != null ? id.shortForm() : ch != null ? String.valueOf(ch.remoteAddress()) : "?";
        return (outbound ? "to " : "from ") + who;
    }
}
