package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.protocol.wire.WireMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Lets nothing through until the peer is authenticated. After the TLS 1.3 handshake (both sides presented an
 * Ed25519 certificate):
 * <ol>
 *   <li>the dialer checks that the TLS key is the node it dialed, then sends its Hello;</li>
 *   <li>the acceptor checks the dialer's Hello ({@link HelloAuthenticator}) and only then answers with its own, so a
 *       stranger learns nothing, not even this node's certificate;</li>
 *   <li>the dialer checks the acceptor's Hello.</li>
 * </ol>
 * Any failure is counted by reason (agentmesh_rejected_inputs_total{source="transport"}), logged once with the
 * detail, answered (when TLS is up) with a Goodbye that says only {@value Connection#REFUSED}, whatever the reason,
 * and closes the connection: a stranger learns nothing from how it was refused. The whole exchange, TLS included,
 * must finish within the handshake timeout. Once authenticated, frames pass on to the next handler.
 */
final class AuthHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AuthHandler.class);

    private final HelloAuthenticator authenticator;
    private final NetworkCounters counters;
    private final long handshakeTimeoutMs;
    private final Predicate<NodeId> blockedByFaults;
    private final Consumer<Connection> onAuthenticated;

    private Connection connection;
    private ScheduledFuture<?> timeout;
    private byte[] ownTlsDer;
    private byte[] peerTlsDer;
    private VerifyingKey tlsPeerKey;
    private boolean done;

    /**
     * @param blockedByFaults whether the fault injector refuses this peer on this connection (null: no fault
     *                        injection)
     * @param onAuthenticated called on the event loop once the peer passed
     */
    AuthHandler(HelloAuthenticator authenticator, NetworkCounters counters, long handshakeTimeoutMs,
                Predicate<NodeId> blockedByFaults, Consumer<Connection> onAuthenticated) {
        this.authenticator = authenticator;
        this.counters = counters;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        this.blockedByFaults = blockedByFaults;
        this.onAuthenticated = onAuthenticated;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // A relayed connection gets this pipeline once its circuit is spliced, on an already active channel.
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (connection != null) {
            return;
        }
        connection = Connection.of(ctx.channel());
        timeout = ctx.executor().schedule(() -> {
            if (!done) {
                fail(ctx, AuthFailure.HANDSHAKE_TIMEOUT, "TLS and Hello not done within " + handshakeTimeoutMs
                        + " ms", tlsPeerKey != null);
            }
        }, handshakeTimeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent e && !done) {
            if (!e.isSuccess()) {
                if (ctx.channel().isActive() && connection != null) {
                    // Bytes arrived and TLS rejected them (not merely a connection that closed mid-handshake).
                    connection.integrityFailure();
                }
                fail(ctx, AuthFailure.TLS_HANDSHAKE, "TLS handshake failed: " + e.cause().getMessage(), false);
            } else {
                tlsDone(ctx);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void tlsDone(ChannelHandlerContext ctx) {
        // By name: a relayed connection also holds the relay's TLS handler, outside this one.
        SSLSession session = ((SslHandler) ctx.pipeline().get("tls")).engine().getSession();
        NodeId tlsPeer;
        try {
            Certificate[] peerChain = session.getPeerCertificates();
            Certificate[] ownChain = session.getLocalCertificates();
            if (ownChain == null || ownChain.length == 0) {
                throw new AuthException(AuthFailure.TLS_HANDSHAKE, "no local TLS certificate in the session");
            }
            tlsPeerKey = TlsIdentity.nodeKeyOf(peerChain[0]);
            ownTlsDer = ownChain[0].getEncoded();
            peerTlsDer = peerChain[0].getEncoded();
            tlsPeer = NodeId.of(tlsPeerKey);
        } catch (AuthException e) {
            fail(ctx, e.reason(), e.getMessage(), true);
            return;
        } catch (SSLPeerUnverifiedException | CertificateEncodingException e) {
            fail(ctx, AuthFailure.TLS_HANDSHAKE, "no usable peer certificate: " + e.getMessage(), false);
            return;
        }
        if (tlsPeer.equals(authenticator.self())) {
            fail(ctx, AuthFailure.SELF_CONNECTION, "connected to itself", false);
            return;
        }
        if (blockedByFaults != null && blockedByFaults.test(tlsPeer)) {
            done = true;
            cancelTimeout();
            counters.connectsBlockedByFaults.incrementAndGet();
            log.info("{} refused connection {} {}: blocked by fault injection", authenticator.self().shortForm(),
                    connection.outbound ? "to" : "from", tlsPeer.shortForm());
            connection.close("blocked by fault injection", false);
            return;
        }
        if (connection.outbound) {
            if (!tlsPeer.equals(connection.expectedPeer)) {
                fail(ctx, AuthFailure.UNEXPECTED_PEER, "dialed " + connection.expectedPeer + " but "
                        + tlsPeer + " answered", true);
                return;
            }
            ctx.writeAndFlush(authenticator.hello(ownTlsDer, peerTlsDer));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done) {
            if (connection.isAuthenticated()) {
                ctx.fireChannelRead(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (tlsPeerKey == null) {
            ReferenceCountUtil.release(msg);
            fail(ctx, AuthFailure.NOT_HELLO, "application data before the TLS handshake finished", false);
            return;
        }
        if (msg instanceof WireMessage.Goodbye bye) {
            connection.remoteGoodbye(bye.reason());
            fail(ctx, AuthFailure.REFUSED_BY_PEER, "refused by the peer: " + bye.reason(), false);
            return;
        }
        if (!(msg instanceof WireMessage.Hello hello)) {
            ReferenceCountUtil.release(msg);
            fail(ctx, AuthFailure.NOT_HELLO, "first message was " + msg.getClass().getSimpleName()
                    + ", expected Hello", true);
            return;
        }
        HelloAuthenticator.AuthenticatedPeer peer;
        try {
            peer = authenticator.verify(hello, ownTlsDer, peerTlsDer, tlsPeerKey);
        } catch (AuthException e) {
            fail(ctx, e.reason(), e.getMessage(), true);
            return;
        }
        if (!connection.outbound) {
            ctx.writeAndFlush(authenticator.hello(ownTlsDer, peerTlsDer));
        }
        done = true;
        cancelTimeout();
        FrameDecoder frames = ctx.pipeline().get(FrameDecoder.class);
        if (frames != null) {
            frames.authenticated();
        }
        connection.authenticated(peer);
        onAuthenticated.accept(connection);
    }

    private void fail(ChannelHandlerContext ctx, AuthFailure reason, String detail, boolean goodbye) {
        if (done) {
            return;
        }
        done = true;
        cancelTimeout();
        counters.authFailure(reason);
        String who = connection == null ? String.valueOf(ctx.channel().remoteAddress())
                : (connection.outbound ? "to " : "from ") + peerName(ctx);
        log.warn("{} refused connection {}: {} ({})", authenticator.self().shortForm(), who, detail, reason);
        if (connection != null) {
            connection.close(reason + ": " + detail, goodbye);
        } else {
            ctx.close();
        }
    }

    private String peerName(ChannelHandlerContext ctx) {
        String where = connection.relayed ? " via relay " + connection.relay : " at " + ctx.channel().remoteAddress();
        if (tlsPeerKey != null) {
            return NodeId.of(tlsPeerKey).shortForm() + where;
        }
        if (connection.expectedPeer != null) {
            return connection.expectedPeer.shortForm() + where;
        }
        return connection.relayed ? "an unknown node" + where : String.valueOf(ctx.channel().remoteAddress());
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
