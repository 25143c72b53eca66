package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs each {@link DialPlan}: the direct attempt first, then one circuit per relay the {@link RelayRouter} suggests,
 * each attempt starting from the previous one's close, until one authenticates or all failed (one dialFailed
 * listing every attempt). Also opens the TCP connections of the other outgoing kinds (direct-path probes, circuit
 * attaches): every outgoing TCP connection starts here.
 */
final class Dialing {
    /** The connection an outgoing channel is for, read by the channel initializers. */
    static final AttributeKey<Connection> DIAL = AttributeKey.valueOf("agentmesh.dial");
    private static final Logger log = LoggerFactory.getLogger(Dialing.class);

    private final String selfName;
    private final PeerRegistry registry;
    private final FaultInjector faults;
    private final NetworkCounters counters;
    private final Bootstrap direct;
    private final Bootstrap relayed;
    private final Consumer<Connection> closed;
    private final BooleanSupplier shuttingDown;
    private volatile RelayRouter router;

    /**
     * @param faults       null when fault injection is off
     * @param direct       opens node connections (the pipeline starts with TLS)
     * @param relayed      opens connections to relays (the pipeline starts with the relay preamble)
     * @param closed       handles a connection that ended, including one that never opened
     * @param shuttingDown whether the network is closing
     */
    Dialing(String selfName, PeerRegistry registry, FaultInjector faults, NetworkCounters counters, Bootstrap direct,
            Bootstrap relayed, Consumer<Connection> closed, BooleanSupplier shuttingDown) {
        this.selfName = selfName;
        this.registry = registry;
        this.faults = faults;
        this.counters = counters;
        this.direct = direct;
        this.relayed = relayed;
        this.closed = closed;
        this.shuttingDown = shuttingDown;
    }

    /** The relays to dial through when a direct attempt fails; null for none. */
    void relayRouter(RelayRouter router) {
        this.router = router;
    }

    RelayRouter relayRouter() {
        return router;
    }

    /** Starts the next attempt of {@code plan}, or ends it with dialFailed. */
    void advance(DialPlan plan) {
        NodeId peer = plan.peer;
        if (shuttingDown.getAsBoolean()) {
            registry.dialAborted(peer, "network is shutting down");
            return;
        }
        if (registry.isUp(peer)) {
            registry.dialAborted(peer, "connected meanwhile");
            return;
        }
        if (!plan.directDone) {
            plan.directDone = true;
            if (faults != null && faults.rule(peer).blockDirect()) {
                counters.connectsBlockedByFaults.incrementAndGet();
                log.info("{} direct dial {} at {} refused: direct path blocked by fault injection", selfName,
                        peer.shortForm(), plan.address);
                plan.failed("direct to " + plan.address + ": blocked by fault injection");
                advance(plan);
                return;
            }
            open(Connection.dial(plan), plan.address);
            return;
        }
        if (plan.relays == null) {
            RelayRouter r = router;
            plan.relays = r == null ? List.of() : r.relaysFor(peer);
        }
        if (plan.nextRelay < plan.relays.size()) {
            InetSocketAddress relay = plan.relays.get(plan.nextRelay++);
            counters.relayDialAttempts.incrementAndGet();
            log.info("{} dialing {} through relay {}", selfName, peer.shortForm(), relay);
            open(Connection.dialViaRelay(plan, relay), relay);
            return;
        }
        registry.dialAborted(peer, plan.summary());
    }

    /** The attempt {@code conn} of its plan ended before it authenticated: records why and tries the next one. */
    void attemptFailed(Connection conn) {
        conn.plan.failed(conn.relayed ? "via relay " + conn.relay + ": " + conn.closeReason() : conn.closeReason());
        if (!shuttingDown.getAsBoolean()) {
            advance(conn.plan);
        } else {
            registry.dialAborted(conn.plan.peer, "network is shutting down");
        }
    }

    /**
     * Opens the TCP connection of {@code conn}: to the peer at {@code target} for a direct one, to the relay at
     * {@code target} for a relayed one (either side of a circuit).
     */
    void open(Connection conn, InetSocketAddress target) {
        if (!conn.relayed) {
            log.debug("{} dialing {} at {}", selfName, conn.expectedPeer.shortForm(), target);
        }
        // Connect from a task of the event loop the channel will live on: Bootstrap queues the connect itself as a
        // later task of that loop, so the listener below is attached before the connect can fail. Attached from
        // another thread, a refused loopback connect can fail and close the channel first, and the close handler
        // would report "connection closed by peer" instead of why the connect failed.
        Bootstrap bootstrap = conn.relayed ? relayed : direct;
        EventLoop loop = bootstrap.config().group().next();
        try {
            loop.execute(() -> connect(bootstrap.clone(loop), conn, target));
        } catch (RejectedExecutionException e) {
            conn.reason("network is shutting down");
            closed.accept(conn);
        }
    }

    private void connect(Bootstrap bootstrap, Connection conn, InetSocketAddress target) {
        ChannelFuture connect;
        try {
            connect = bootstrap.attr(DIAL, conn).connect(target);
        } catch (RejectedExecutionException e) {
            conn.reason("network is shutting down");
            closed.accept(conn);
            return;
        }
        connect.addListener(f -> {
            if (f.isSuccess()) {
                return;
            }
            if (conn.relayed) {
                conn.reason("relay " + target + " unreachable: " + f.cause().getMessage());
            } else {
                conn.reason("connect to " + target + " failed: " + f.cause().getMessage());
                log.info("{} {} {} at {} failed: {}", selfName, conn.probe ? "direct probe" : "dial",
                        conn.expectedPeer.shortForm(), target, f.cause().getMessage());
            }
            closed.accept(conn);
        });
    }
}
