package io.agentmesh.relay;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.relay.protocol.ErrorCode;
import io.agentmesh.relay.protocol.ProtocolException;
import io.agentmesh.relay.protocol.RecordException;
import io.agentmesh.relay.protocol.RegistrationRecord;
import io.agentmesh.relay.protocol.RelayCodec;
import io.agentmesh.relay.protocol.RelayFrames;
import io.agentmesh.relay.protocol.RelayMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The relay's side of one TCP connection until it becomes part of a circuit: sends the challenge, then serves a
 * control connection (register, refresh, lookup), a dial (connect, wait for the target) or an attach. Refusals are
 * counted by {@link ErrorCode}, logged once and end the connection.
 */
final class RelayConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RelayConnection.class);
    /** Bytes a dialer may send before its circuit is spliced (it should send none). */
    private static final int MAX_EARLY_BYTES = 64 * 1024;

    private enum State { NEW, CONTROL, DIALING, SPLICED, CLOSED }

    private final RelayServer relay;
    private final RelayFrames frames = new RelayFrames();
    private State state = State.NEW;
    private byte[] nonce;
    private NodeId node;
    private AgentId agent;
    private Circuit circuit;
    private int earlyBytes;
    private ScheduledFuture<?> handshakeTimer;
    private String peer = "?";
    /** A control request is waiting for its source's turn: frames arriving meanwhile are only queued. */
    private boolean waiting;
    /** The refusal is one more of a source whose episode was already logged: counted, not logged. */
    private boolean quietRefusal;
    /** A slowed request waits at most this long at a time (well inside the idle timeout). */
    private static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    RelayConnection(RelayServer relay) {
        this.relay = relay;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        relay.metrics.connectionsAccepted.incrementAndGet();
        peer = String.valueOf(ctx.channel().remoteAddress());
        relay.openConnections.incrementAndGet();
        ctx.channel().closeFuture().addListener(f -> relay.openConnections.decrementAndGet());
        if (relay.openConnections.get() > relay.config.maxConnections()) {
            refuse(ctx, ErrorCode.CAP_CONNECTIONS, "relay has its maximum of " + relay.config.maxConnections()
                    + " connections (--max-connections); try another relay");
            return;
        }
        if (relay.isClosed()) {
            refuse(ctx, ErrorCode.SHUTTING_DOWN, "relay is shutting down");
            return;
        }
        nonce = relay.newNonce();
        InetSocketAddress remote = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
        RelayFrames.write(ctx.channel(), new RelayMessage.Challenge(RelayCodec.PROTOCOL_VERSION, nonce, remote));
        handshakeTimer = ctx.executor().schedule(() -> {
            if (state == State.NEW) {
                refuse(ctx, ErrorCode.PROTOCOL, "no request within " + relay.config.handshakeTimeoutMs() + " ms");
            }
        }, relay.config.handshakeTimeoutMs(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelHandshakeTimer();
        frames.release();
        State was = state;
        state = State.CLOSED;
        if (was == State.CONTROL && node != null) {
            relay.controlClosed(node, ctx.channel());
            log.info("control connection of node {} from {} closed", node.shortForm(), peer);
        } else if (was == State.DIALING && circuit != null) {
            if (relay.dropPending(circuit)) {
                circuit.close("source " + circuit.source.shortForm() + " closed before the target attached");
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || state == State.CLOSED || state == State.SPLICED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (state == State.DIALING) {
            earlyBytes += buf.readableBytes();
            frames.add(buf);
            if (earlyBytes > MAX_EARLY_BYTES) {
                refuse(ctx, ErrorCode.PROTOCOL, "sent " + earlyBytes + " bytes before the circuit was connected");
            }
            return;
        }
        frames.add(buf);
        if (!waiting) {
            drain(ctx);
        }
    }

    /** Handles the frames received so far, until one must wait for its source's turn ({@link SourceRateLimiter}). */
    private void drain(ChannelHandlerContext ctx) {
        try {
            RelayMessage m;
            while (!waiting && state != State.CLOSED && state != State.DIALING && state != State.SPLICED
                    && (m = frames.next()) != null) {
                if ((m instanceof RelayMessage.Register || m instanceof RelayMessage.Lookup) && !admitted(ctx, m)) {
                    return;
                }
                handle(ctx, m);
            }
        } catch (ProtocolException e) {
            refuse(ctx, ErrorCode.PROTOCOL, e.getMessage());
        }
    }

    /**
     * Whether control request {@code m} may be handled now. Over its source's limit it waits its turn (this
     * connection stops reading meanwhile, and handles it then); a source over it for too long is refused.
     */
    private boolean admitted(ChannelHandlerContext ctx, RelayMessage m) {
        InetAddress source = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        SourceRateLimiter.Decision d = relay.sources.request(source, relay.clock.monotonicNanos());
        long perSecond = relay.sources.limits().maxRequestsPerSecond();
        switch (d.outcome()) {
            case ADMIT -> {
                return true;
            }
            case REFUSE, REFUSE_QUIETLY -> {
                quietRefusal = d.outcome() == SourceRateLimiter.Outcome.REFUSE_QUIETLY;
                refuse(ctx, ErrorCode.RATE_LIMITED, "over " + perSecond + " registrations and lookups a second from "
                        + source + " for " + relay.sources.limits().disconnectAfterMs() + " ms");
                return false;
            }
            case SLOW_AND_LOG -> log.warn("slowing {}: over {} registrations and lookups a second from its address;"
                    + " each waits its turn (refused if it stays over for {} ms)", peer, perSecond,
                    relay.sources.limits().disconnectAfterMs());
            case SLOW -> { }
        }
        relay.metrics.controlRequestsSlowed.incrementAndGet();
        waiting = true;
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(() -> {
            waiting = false;
            if (state == State.CLOSED || !ctx.channel().isOpen()) {
                return;
            }
            handle(ctx, m);
            ctx.channel().config().setAutoRead(true);
            drain(ctx);
        }, Math.min(d.waitNanos(), MAX_WAIT_NANOS), TimeUnit.NANOSECONDS);
        return false;
    }

    private void idleOrForward(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && state == State.CONTROL) {
            log.info("closing control connection of node {} from {}: nothing received for {} ms",
                    node.shortForm(), peer, relay.config.idleTimeoutMs());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection from {} failed: {}", peer, cause.toString());
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e && !e.isSuccess()
                && state == State.NEW) {
            relay.metrics.tlsHandshakesFailed.incrementAndGet();
            log.info("TLS handshake with {} failed: {} (not TLS 1.3, or a node older than this relay)", peer,
                    e.cause().getMessage());
            state = State.CLOSED;
            cancelHandshakeTimer();
            ctx.close();
            return;
        }
        idleOrForward(ctx, evt);
    }

    private void handle(ChannelHandlerContext ctx, RelayMessage m) {
        switch (state) {
            case NEW -> {
                switch (m) {
                    case RelayMessage.Register r -> register(ctx, r);
                    case RelayMessage.Connect c -> connect(ctx, c);
                    case RelayMessage.Attach a -> attach(ctx, a);
                    default -> refuse(ctx, ErrorCode.PROTOCOL, "first message was " + m.getClass().getSimpleName()
                            + "; expected Register, Connect or Attach");
                }
            }
            case CONTROL -> {
                switch (m) {
                    case RelayMessage.Register r -> register(ctx, r);
                    case RelayMessage.Lookup l -> lookup(ctx, l);
                    default -> refuse(ctx, ErrorCode.PROTOCOL, m.getClass().getSimpleName()
                            + " on a control connection");
                }
            }
            default -> refuse(ctx, ErrorCode.PROTOCOL, m.getClass().getSimpleName() + " out of turn");
        }
    }

    private boolean versionOk(ChannelHandlerContext ctx, int version) {
        if (version != RelayCodec.PROTOCOL_VERSION) {
            refuse(ctx, ErrorCode.VERSION, "client speaks relay protocol " + version + ", this relay speaks "
                    + RelayCodec.PROTOCOL_VERSION + "; run matching agentmesh versions");
            return false;
        }
        return true;
    }

    private void register(ChannelHandlerContext ctx, RelayMessage.Register m) {
        if (!versionOk(ctx, m.version())) {
            return;
        }
        long now = relay.clock.nowMillis();
        RegistrationRecord record;
        try {
            record = RegistrationRecord.fromBytes(m.record());
            record.verify(null, now, relay.config.maxRecordTtlMs());
        } catch (RecordException e) {
            refuse(ctx, ErrorCode.BAD_RECORD, e.getMessage() + " (" + e.reason() + ")");
            return;
        }
        if (!record.nodeKey().verify(RelayCodec.registerProofPayload(nonce, m.record()), m.proof())) {
            refuse(ctx, ErrorCode.BAD_PROOF, "registration proof for node " + record.nodeId()
                    + " does not verify: the sender does not hold the node key, or signed another nonce");
            return;
        }
        if (node != null && !node.equals(record.nodeId())) {
            refuse(ctx, ErrorCode.PROTOCOL, "a control connection registers one node: " + node.shortForm()
                    + ", not " + record.nodeId().shortForm());
            return;
        }
        RelayServer.RegisterResult result = relay.register(record, m.record(), ctx.channel());
        if (result.error() != null) {
            refuse(ctx, result.error(), result.message());
            return;
        }
        boolean first = state == State.NEW;
        node = record.nodeId();
        agent = record.agentId();
        if (first) {
            state = State.CONTROL;
            cancelHandshakeTimer();
            ctx.pipeline().addBefore(ctx.name(), "idle", new IdleStateHandler(relay.config.idleTimeoutMs(), 0, 0,
                    TimeUnit.MILLISECONDS));
        }
        if (result.replaced() != null) {
            RelayFrames.write(result.replaced(), new RelayMessage.Error(ErrorCode.REPLACED,
                    "node " + node.shortForm() + " opened a newer control connection"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
        nonce = relay.newNonce();
        RelayFrames.write(ctx.channel(), new RelayMessage.Registered(record.expiresAt(), nonce));
        if (result.isNew()) {
            relay.metrics.registrations.incrementAndGet();
            log.info("registered node {} of agent {} from {}: addresses {}, sequence {}, expires {}",
                    node.shortForm(), agent.shortForm(), peer, record.addresses(), record.sequence(),
                    Instant.ofEpochMilli(record.expiresAt()));
        } else {
            relay.metrics.refreshes.incrementAndGet();
            if (result.addressesChanged() || first) {
                log.info("node {} of agent {} {} from {}: addresses {}, sequence {}, expires {}", node.shortForm(),
                        agent.shortForm(), first ? "re-registered" : "refreshed", peer, record.addresses(),
                        record.sequence(), Instant.ofEpochMilli(record.expiresAt()));
            } else {
                log.debug("node {} refreshed its registration (sequence {})", node.shortForm(), record.sequence());
            }
        }
    }

    private void lookup(ChannelHandlerContext ctx, RelayMessage.Lookup m) {
        if (!m.agent().equals(agent)) {
            refuse(ctx, ErrorCode.NOT_ALLOWED, "node " + node.shortForm() + " of agent " + agent.shortForm()
                    + " may look up only its own agent, not " + m.agent().shortForm());
            return;
        }
        List<byte[]> records = relay.tampering.lookupResult(relay.lookup(agent));
        relay.metrics.lookups.incrementAndGet();
        relay.metrics.recordsServed.addAndGet(records.size());
        RelayFrames.write(ctx.channel(), new RelayMessage.Records(records));
        log.debug("lookup by node {}: {} records", node.shortForm(), records.size());
    }

    private void connect(ChannelHandlerContext ctx, RelayMessage.Connect m) {
        if (!versionOk(ctx, m.version())) {
            return;
        }
        NodeCertificate cert;
        try {
            cert = m.sourceCertificate();
        } catch (IdentityException e) {
            refuse(ctx, ErrorCode.PROTOCOL, "unreadable source certificate: " + e.getMessage());
            return;
        }
        if (!cert.nodeKey().verify(RelayCodec.connectProofPayload(nonce, m.target()), m.proof())) {
            refuse(ctx, ErrorCode.BAD_PROOF, "connect proof of node " + cert.nodeId()
                    + " does not verify: the sender does not hold that node's key");
            return;
        }
        NodeId source = cert.nodeId();
        NodeId target = m.target();
        RelayServer.Registration reg = relay.registration(target);
        if (reg == null) {
            refuse(ctx, ErrorCode.UNKNOWN_TARGET, "node " + target.shortForm() + " is not registered here");
            return;
        }
        try {
            cert.verify(reg.record.agentId(), relay.clock.nowMillis());
        } catch (IdentityException e) {
            refuse(ctx, ErrorCode.NOT_ALLOWED, "node " + source.shortForm() + " may not open a circuit to node "
                    + target.shortForm() + ": " + e.getMessage());
            return;
        }
        Channel control = reg.control;
        if (control == null || !control.isActive()) {
            refuse(ctx, ErrorCode.TARGET_UNREACHABLE, "node " + target.shortForm()
                    + " is registered but has no control connection to this relay now");
            return;
        }
        RelayServer.RelayMessageError capped = relay.reserveCircuit(source, target);
        if (capped != null) {
            refuse(ctx, capped.code(), capped.message());
            return;
        }
        byte[] id = new byte[RelayMessage.CIRCUIT_ID_BYTES];
        relay.random.nextBytes(id);
        circuit = new Circuit(relay, id, source, target, ctx.channel());
        node = source;
        state = State.DIALING;
        cancelHandshakeTimer();
        relay.addPending(circuit);
        circuit.awaitAttach();
        RelayFrames.write(control, new RelayMessage.Incoming(id, source));
        log.debug("circuit {} {} -> {} requested from {}", circuit.name, source.shortForm(), target.shortForm(),
                peer);
    }

    private void attach(ChannelHandlerContext ctx, RelayMessage.Attach m) {
        if (!versionOk(ctx, m.version())) {
            return;
        }
        RelayServer.Registration reg = relay.registration(m.node());
        if (reg == null || !reg.record.nodeKey().verify(RelayCodec.attachProofPayload(nonce, m.circuitId()),
                m.proof())) {
            refuse(ctx, ErrorCode.BAD_PROOF, "attach proof of node " + m.node().shortForm()
                    + " does not verify against its registered key");
            return;
        }
        Circuit c = relay.takePending(m.circuitId(), m.node());
        if (c == null) {
            refuse(ctx, ErrorCode.UNKNOWN_CIRCUIT, "no pending circuit with that id for node "
                    + m.node().shortForm() + " (timed out, or the source left)");
            return;
        }
        if (!c.dialer.isActive()) {
            c.close("source left before the target attached");
            refuse(ctx, ErrorCode.UNKNOWN_CIRCUIT, "the source of the circuit went away");
            return;
        }
        state = State.SPLICED;
        cancelHandshakeTimer();
        circuit = c;
        Channel attached = ctx.channel();
        RelayFrames.write(attached, new RelayMessage.Attached(c.id));
        ByteBuf rest = frames.takeRest();
        ctx.pipeline().remove(this);
        RelayConnection dialerSide = c.dialer.pipeline().get(RelayConnection.class);
        c.splice(attached, rest, () -> {
            if (dialerSide != null) {
                dialerSide.spliceDialer(c);
            } else {
                c.close("source connection lost its handler");
            }
        });
    }

    /** On the dialer's event loop: confirm to the dialer and forward from now on. */
    private void spliceDialer(Circuit c) {
        Channel ch = c.dialer;
        if (state != State.DIALING || !ch.isActive()) {
            c.close("source closed while the circuit was spliced");
            return;
        }
        state = State.SPLICED;
        RelayFrames.write(ch, new RelayMessage.Connected(c.id));
        ByteBuf rest = frames.takeRest();
        ch.pipeline().addLast("splice", c.dialerSplice());
        // From this handler's place, not the pipeline's head: the bytes were already through TLS.
        ChannelHandlerContext own = ch.pipeline().context(this);
        if (rest.isReadable() && own != null) {
            own.fireChannelRead(rest);
        } else {
            rest.release();
        }
        ch.pipeline().remove(this);
        // The handler was removed: its channelInactive no longer runs, the splice's does.
        if (!ch.isActive()) {
            c.close("source closed while the circuit was spliced");
        }
    }

    private void refuse(ChannelHandlerContext ctx, ErrorCode code, String message) {
        if (state == State.CLOSED) {
            return;
        }
        relay.metrics.refused(code);
        String who = node != null ? "node " + node.shortForm() + " at " + peer : peer;
        if (quietRefusal) {
            log.debug("refused {}: {} ({})", who, message, code);
        } else {
            log.warn("refused {}: {} ({})", who, message, code);
        }
        state = State.CLOSED;
        cancelHandshakeTimer();
        if (circuit != null && relay.dropPending(circuit)) {
            circuit.close("source refused: " + code);
        }
        if (ctx.channel().isActive()) {
            RelayFrames.write(ctx.channel(), new RelayMessage.Error(code, message))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void cancelHandshakeTimer() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
            handshakeTimer = null;
        }
    }
}
