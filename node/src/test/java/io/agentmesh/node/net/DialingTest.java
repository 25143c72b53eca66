package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dial plan on real sockets: attempts in order (direct, then each relay the router suggests), one dialFailed
 * naming every attempt, and the bound on circuits being attached ({@link RelayedPaths}).
 */
class DialingTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final NodeId self = NodeId.of(TestAgent.newNodeKey().verifyingKey());
    private final NodeId peer = NodeId.of(TestAgent.newNodeKey().verifyingKey());
    private final NetworkCounters counters = new NetworkCounters();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Channel> opened = new CopyOnWriteArrayList<>();
    private final List<ServerSocket> servers = new ArrayList<>();
    private final List<Socket> reserved = new ArrayList<>();
    private PeerRegistry registry;
    private Dialing dialing;

    private final PeerRegistry.Sink sink = new PeerRegistry.Sink() {
        @Override
        public void peerUp(Connection connection) {
        }

        @Override
        public void peerDown(NodeId p, String reason) {
        }

        @Override
        public void dialFailed(NodeId p, String reason) {
            failures.add(reason);
        }

        @Override
        public void message(NodeId p, WireMessage message) {
        }

        @Override
        public void retire(Connection connection, String reason) {
        }

        @Override
        public Runnable schedule(Runnable task, long delayMs) {
            return () -> { };
        }
    };

    @AfterEach
    void stop() throws IOException {
        for (ServerSocket s : servers) {
            s.close();
        }
        for (Socket s : reserved) {
            s.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5_000);
    }

    /** Connections that open do nothing and stay open, as a relay would while its circuit is not spliced yet. */
    private Bootstrap bootstrap() {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Connection conn = ch.attr(Dialing.DIAL).getAndSet(null);
                        conn.attach(ch);
                        opened.add(ch);
                        ch.closeFuture().addListener(f -> closed(conn));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter());
                    }
                });
    }

    private RelayedPaths paths;

    /** What NettyNetwork does with a connection that ended. */
    private void closed(Connection conn) {
        if (!conn.markCloseHandled()) {
            return;
        }
        if (conn.relayed) {
            paths.closed(conn);
        }
        if (conn.plan != null && !conn.isAuthenticated()) {
            dialing.attemptFailed(conn);
            return;
        }
        registry.closed(conn);
    }

    private void start(FaultInjector faults, RelayRouter router) {
        registry = new PeerRegistry(self, 1_000, sink);
        dialing = new Dialing(self.shortForm(), registry, faults, counters, bootstrap(), bootstrap(), this::closed,
                () -> false);
        dialing.relayRouter(router);
        paths = new RelayedPaths(self, registry, faults, counters, dialing, () -> false);
    }

    /**
     * A loopback port that refuses connections for the whole test: bound but never listening, so no other process
     * can pick it up and accept (a port freed by closing a server socket can be reused before the dial).
     */
    private InetSocketAddress closedPort() throws IOException {
        Socket s = new Socket();
        reserved.add(s);
        s.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
        return new InetSocketAddress(s.getLocalAddress(), s.getLocalPort());
    }

    private InetSocketAddress listening() throws IOException {
        ServerSocket s = new ServerSocket(0, 200, java.net.InetAddress.getLoopbackAddress());
        servers.add(s);
        return new InetSocketAddress(s.getInetAddress(), s.getLocalPort());
    }

    private static RelayRouter router(List<InetSocketAddress> relays) {
        return new RelayRouter() {
            @Override
            public List<InetSocketAddress> relaysFor(NodeId p) {
                return relays;
            }

            @Override
            public void circuitFailed(InetSocketAddress relay, NodeId p, String reason, boolean integrity) {
            }

            @Override
            public io.netty.handler.ssl.SslContext relayTls(InetSocketAddress relay) {
                return null; // this test's bootstrap opens plain TCP connections
            }
        };
    }

    @Test
    void aFailedDirectAttemptIsFollowedByEachRelayInTurnAndOneDialFailedNamesThemAll() throws IOException {
        InetSocketAddress direct = closedPort();
        InetSocketAddress relay1 = closedPort();
        InetSocketAddress relay2 = closedPort();
        start(null, router(List.of(relay1, relay2)));
        assertTrue(registry.beginDial(peer));
        dialing.advance(new DialPlan(peer, direct));
        await().atMost(Duration.ofSeconds(20)).until(() -> !failures.isEmpty());
        String reason = failures.getFirst();
        int d = reason.indexOf("connect to " + direct);
        int r1 = reason.indexOf("via relay " + relay1 + ": relay " + relay1 + " unreachable");
        int r2 = reason.indexOf("via relay " + relay2 + ": relay " + relay2 + " unreachable");
        assertTrue(d == 0 && r1 > d && r2 > r1, reason);
        assertEquals(1, failures.size());
        assertEquals(2, counters.relayDialAttempts.get());
    }

    @Test
    void aDirectPathCutByFaultInjectionGoesStraightToTheRelays() throws IOException {
        InetSocketAddress relay = closedPort();
        FaultInjector faults = new FaultInjector();
        faults.blockDirect(peer);
        start(faults, router(List.of(relay)));
        assertTrue(registry.beginDial(peer));
        dialing.advance(new DialPlan(peer, closedPort()));
        await().atMost(Duration.ofSeconds(20)).until(() -> !failures.isEmpty());
        assertTrue(failures.getFirst().contains("blocked by fault injection; via relay " + relay),
                failures.getFirst());
        assertEquals(1, counters.connectsBlockedByFaults.get());
    }

    @Test
    void withoutRelaysTheDirectFailureIsTheWholeReason() throws IOException {
        InetSocketAddress direct = closedPort();
        start(null, null);
        assertTrue(registry.beginDial(peer));
        dialing.advance(new DialPlan(peer, direct));
        await().atMost(Duration.ofSeconds(20)).until(() -> !failures.isEmpty());
        assertTrue(failures.getFirst().startsWith("connect to " + direct + " failed"), failures.getFirst());
    }

    @Test
    void atMost64CircuitsAreAttachedAtOnceAndAClosedOneFreesItsSlot() throws IOException {
        InetSocketAddress relay = listening();
        start(null, null);
        for (int i = 0; i < RelayedPaths.MAX_PENDING_ATTACHES + 5; i++) {
            paths.attach(relay, new byte[16], peer);
        }
        assertEquals(RelayedPaths.MAX_PENDING_ATTACHES, counters.relayAttaches.get());
        await().atMost(Duration.ofSeconds(20)).until(() -> opened.size() == RelayedPaths.MAX_PENDING_ATTACHES);
        opened.getFirst().close().awaitUninterruptibly(5_000);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            paths.attach(relay, new byte[16], peer);
            assertEquals(RelayedPaths.MAX_PENDING_ATTACHES + 1, counters.relayAttaches.get());
        });
    }
}
