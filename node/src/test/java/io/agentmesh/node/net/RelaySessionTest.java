package io.agentmesh.node.net;

import io.agentmesh.node.port.ManualClock;
import io.agentmesh.protocol.identity.NodeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One relay session without a relay behind it: reconnects, status, the avoid window and ranking. */
class RelaySessionTest {
    private final TestAgent agent = new TestAgent();
    private final TestNode node = TestNode.of(agent);
    private final ManualClock clock = new ManualClock(System.currentTimeMillis());
    private final RelayClient.Counters counters = new RelayClient.Counters();
    private volatile boolean closed;

    @AfterEach
    void close() {
        closed = true;
        node.close();
    }

    private RelaySession session(InetSocketAddress relay) {
        RelayClientConfig config = RelayClientConfig.defaults(List.of(relay)).withBackoff(1, 20).withAvoidMs(10_000);
        NodeId self = node.id;
        OwnRecord own = new OwnRecord(node.key, node.certificate, List.of(node.address), node.net::boundPort, clock,
                config.recordTtlMs());
        RelayDirectory directory = new RelayDirectory(self, new io.agentmesh.relay.protocol.RecordVerifier(
                node.certificate.agentId(), config.maxRecordTtlMs(), config.expiredGraceMs()), clock, counters,
                (id, a) -> { }, (id, a) -> { });
        io.netty.handler.ssl.SslContext tls;
        try {
            tls = io.agentmesh.relay.tls.RelayTls.client(new RelayPins(java.util.Map.of(), java.util.Optional.empty(),
                    "test").checkFor(io.agentmesh.relay.HostPort.format(relay)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new RelaySession(relay, tls, new RelaySession.Shared(config, clock, counters, self.shortForm(), node.key,
                node.certificate.agentId(), own, directory, node.net, new Random(7),
                () -> closed));
    }

    private static InetSocketAddress closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(s.getInetAddress(), s.getLocalPort());
        }
    }

    @Test
    void anUnreachableRelayIsReportedAsNotConnectedAndRankedLast() throws IOException {
        RelaySession s = session(closedPort());
        s.connect();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            RelayClient.Status st = s.status();
            return st.lastError() != null && st.lastError().startsWith("cannot connect");
        });
        RelayClient.Status st = s.status();
        assertFalse(st.connected());
        assertFalse(st.registered());
        assertEquals(2, s.rank(node.id), "an unregistered relay ranks last");
        s.stop();
    }

    @Test
    void anAvoidedRelayStaysAvoidedForAvoidMsAndIsCountedOnce() throws IOException {
        RelaySession s = session(closedPort());
        s.avoid("served a forged record");
        s.avoid("served another forged record");
        assertTrue(s.isAvoided());
        assertEquals(1, counters.snapshot().relaysAvoided());
        clock.nowMillis += 10_000;
        assertFalse(s.isAvoided());
        assertTrue(s.status().relay().getPort() > 0);
    }
}
