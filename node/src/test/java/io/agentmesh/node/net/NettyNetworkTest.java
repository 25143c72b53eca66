package io.agentmesh.node.net;

import io.agentmesh.node.net.RecordingListener.DialFailed;
import io.agentmesh.node.net.RecordingListener.Message;
import io.agentmesh.node.net.RecordingListener.PeerDown;
import io.agentmesh.node.net.RecordingListener.PeerUp;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireMessage;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NettyNetworkTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void twoNodesOfTheSameAgentConnectAndExchangeMessagesBothWays() {
        TestAgent agent = new TestAgent();
        try (TestNode a = TestNode.of(agent); TestNode b = TestNode.of(agent)) {
            a.dial(b);
            await().atMost(WAIT).until(() -> a.events.all(PeerUp.class).size() == 1
                    && b.events.all(PeerUp.class).size() == 1);
            PeerUp atA = a.events.all(PeerUp.class).get(0);
            PeerUp atB = b.events.all(PeerUp.class).get(0);
            assertEquals(b.id, atA.peer());
            assertEquals(a.id, atB.peer());
            assertTrue(atA.outbound());
            assertFalse(atB.outbound());
            assertEquals(1, atA.incarnation());
            assertEquals(b.id, NodeCertificate.fromBytes(atA.certificate()).nodeId());

            assertTrue(a.net.send(b.id, new WireMessage.Changes(List.of(), true)));
            assertTrue(a.net.send(b.id, new WireMessage.Heartbeat(42)));
            assertTrue(b.net.send(a.id, new WireMessage.Heartbeat(7)));
            assertTrue(b.net.send(a.id, new WireMessage.Changes(List.of(), false)));
            await().atMost(WAIT).until(() -> b.events.messagesFrom(a.id).size() == 2
                    && a.events.messagesFrom(b.id).size() == 2);
            assertEquals(List.of(new WireMessage.Changes(List.of(), true), new WireMessage.Heartbeat(42)),
                    b.events.messagesFrom(a.id));
            assertEquals(List.of(new WireMessage.Heartbeat(7), new WireMessage.Changes(List.of(), false)),
                    a.events.messagesFrom(b.id));
            // Every event ran on the node thread, peerUp first.
            assertEquals(Set.of(a.threadName), Set.copyOf(a.events.threads));
            assertEquals(Set.of(b.threadName), Set.copyOf(b.events.threads));
            assertInstanceOf(PeerUp.class, a.events.events.get(0));
            assertInstanceOf(PeerUp.class, b.events.events.get(0));
            assertEquals(Set.of(b.id), a.net.connectedPeers());
            NetworkStats stats = b.net.stats();
            assertEquals(3, stats.framesIn()); // Hello + 2
            assertEquals(0, stats.totalAuthFailures());
        }
    }

    @Test
    void aNodeEnrolledByAnotherAgentIsRefusedWhicheverSideDials() {
        TestAgent agent = new TestAgent();
        TestAgent stranger = new TestAgent();
        try (TestNode good = TestNode.of(agent); TestNode foreign = TestNode.of(stranger)) {
            foreign.dial(good);
            await().atMost(WAIT).until(() -> foreign.events.all(DialFailed.class).size() == 1);
            assertEquals(1, good.net.stats().authFailures(AuthFailure.WRONG_AGENT));
            // The refused side learns only that it was refused; the reason stays with the refusing node.
            String told = foreign.events.all(DialFailed.class).get(0).reason();
            assertContains(told, "refused by the peer: refused");
            assertFalse(told.contains("WRONG_AGENT"), told);

            good.dial(foreign);
            await().atMost(WAIT).until(() -> good.events.all(DialFailed.class).size() == 1);
            assertEquals(1, foreign.net.stats().authFailures(AuthFailure.WRONG_AGENT));

            assertTrue(good.events.all(PeerUp.class).isEmpty(), String.valueOf(good.events.all(PeerUp.class)));
            assertTrue(foreign.events.all(PeerUp.class).isEmpty(), String.valueOf(foreign.events.all(PeerUp.class)));
            assertTrue(good.events.all(Message.class).isEmpty(), String.valueOf(good.events.all(Message.class)));
            assertTrue(foreign.events.all(Message.class).isEmpty(), String.valueOf(foreign.events.all(Message.class)));
        }
    }

    @Test
    void aNodeWhoseCertificateExpiredIsRefused() {
        TestAgent agent = new TestAgent();
        SigningKey key = TestAgent.newNodeKey();
        long now = System.currentTimeMillis();
        NodeCertificate expired = agent.certify(key, now - 48 * TestAgent.HOUR_MS, now - TestAgent.HOUR_MS);
        try (TestNode good = TestNode.of(agent);
             TestNode old = new TestNode(TestNode.config(), key, expired, 1, agent)) {
            old.dial(good);
            await().atMost(WAIT).until(() -> old.events.all(DialFailed.class).size() == 1);
            assertEquals(1, good.net.stats().authFailures(AuthFailure.CERTIFICATE_EXPIRED));
            assertTrue(good.events.events.isEmpty(), String.valueOf(good.events.events));
            assertTrue(old.events.all(PeerUp.class).isEmpty(), String.valueOf(old.events.all(PeerUp.class)));
        }
    }

    @Test
    void aHelloCarryingAValidCertificateCopiedFromAnotherNodeIsRefused() {
        TestAgent agent = new TestAgent();
        try (TestNode victim = TestNode.of(agent);
             TestNode server = TestNode.of(agent)) {
            // The impostor has its own key (so TLS works) but presents the victim's genuine certificate.
            SigningKey impostorKey = TestAgent.newNodeKey();
            NodeCertificate stolen = agent.certify(victim.key);
            try (TestNode impostor = new TestNode(TestNode.config(), impostorKey, stolen, 1, agent)) {
                impostor.dial(server);
                await().atMost(WAIT).until(() -> impostor.events.all(DialFailed.class).size() == 1);
                assertEquals(1, server.net.stats().authFailures(AuthFailure.KEY_MISMATCH));
                assertTrue(server.events.events.isEmpty(), String.valueOf(server.events.events));
                assertTrue(impostor.events.all(PeerUp.class).isEmpty(), String.valueOf(impostor.events.all(PeerUp.class)));
            }
        }
    }

    @Test
    void dialingAnAddressWhereAnotherNodeAnswersFails() {
        TestAgent agent = new TestAgent();
        try (TestNode a = TestNode.of(agent); TestNode b = TestNode.of(agent); TestNode c = TestNode.of(agent)) {
            a.net.dial(b.id, c.address);
            await().atMost(WAIT).until(() -> a.events.all(DialFailed.class).size() == 1);
            assertContains(a.events.all(DialFailed.class).get(0).reason(), "UNEXPECTED_PEER");
            assertEquals(1, a.net.stats().authFailures(AuthFailure.UNEXPECTED_PEER));
            assertTrue(c.events.events.isEmpty(), String.valueOf(c.events.events));
        }
    }

    @Test
    void dialingAClosedPortReportsDialFailed() throws Exception {
        TestAgent agent = new TestAgent();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (TestNode a = TestNode.of(agent)) {
            a.net.dial(io.agentmesh.protocol.identity.NodeId.of(TestAgent.newNodeKey().verifyingKey()), new InetSocketAddress("127.0.0.1", port));
            await().atMost(WAIT).until(() -> a.events.all(DialFailed.class).size() == 1);
            // Usually "connect to ... refused"; the freed port can be picked up by another process before the dial,
            // which then closes on us: either way the dial fails and no peer comes up.
            String reason = a.events.all(DialFailed.class).get(0).reason();
            assertTrue(reason.contains("connect to") || reason.contains("closed"), reason);
            assertTrue(a.events.all(PeerUp.class).isEmpty());
        }
    }

    @Test
    void anOversizedFrameClosesTheConnectionAndIsCounted() {
        TestAgent agent = new TestAgent();
        try (TestNode a = TestNode.of(agent);
             TestNode b = TestNode.of(agent, TestNode.config().withMaxFrameBytes(1024))) {
            a.dial(b);
            await().atMost(WAIT).until(() -> a.events.all(PeerUp.class).size() == 1
                    && b.events.all(PeerUp.class).size() == 1);
            assertTrue(a.net.send(b.id, new WireMessage.Consensus(new byte[4000])));
            await().atMost(WAIT).until(() -> a.events.all(PeerDown.class).size() == 1
                    && b.events.all(PeerDown.class).size() == 1);
            assertEquals(1, b.net.stats().oversizedFrames());
            assertTrue(b.events.all(Message.class).isEmpty(), String.valueOf(b.events.all(Message.class)));
            assertContains(a.events.all(PeerDown.class).get(0).reason(), "oversized frame");
        }
    }

    @Test
    void aGarbageFrameClosesTheConnectionAndIsCounted() {
        TestAgent agent = new TestAgent();
        try (TestNode a = TestNode.of(agent); TestNode b = TestNode.of(agent)) {
            a.dial(b);
            await().atMost(WAIT).until(() -> a.events.all(PeerUp.class).size() == 1
                    && b.events.all(PeerUp.class).size() == 1);
            // Type 4 (Changes) followed by bytes that are not CBOR for it.
            assertTrue(a.net.sendRawFrame(b.id, new byte[] {4, (byte) 0xff, 0x13, 0x37, 0x00}));
            assertTrue(a.net.send(b.id, new WireMessage.Heartbeat(1)));
            await().atMost(WAIT).until(() -> a.events.all(PeerDown.class).size() == 1
                    && b.events.all(PeerDown.class).size() == 1);
            assertEquals(1, b.net.stats().malformedFrames());
            assertTrue(b.events.all(Message.class).isEmpty(), String.valueOf(b.events.all(Message.class)));
            assertContains(a.events.all(PeerDown.class).get(0).reason(), "malformed frame");
        }
    }

    @Test
    void simultaneousDialsBothWaysEndWithOneConnectionAndOnePeerUpPerSide() throws Exception {
        TestAgent agent = new TestAgent();
        NetworkConfig config = TestNode.config().withHandshakeTimeoutMs(1_000);
        for (int round = 0; round < 3; round++) {
            try (TestNode a = TestNode.of(agent, config); TestNode b = TestNode.of(agent, config)) {
                Thread other = Thread.ofPlatform().start(() -> b.dial(a));
                a.dial(b);
                other.join();
                await().atMost(WAIT).until(() -> openConnections(a) == 1 && openConnections(b) == 1
                        && a.events.all(PeerUp.class).size() == 1 && b.events.all(PeerUp.class).size() == 1);
                // For longer than the duplicate linger (= handshake timeout) nothing else may happen.
                await().during(java.time.Duration.ofMillis(1_200)).atMost(java.time.Duration.ofSeconds(10)).until(() ->
                        List.of(a, b).stream().allMatch(n -> n.events.all(PeerUp.class).size() == 1
                                && n.events.all(PeerDown.class).isEmpty() && n.events.all(DialFailed.class).isEmpty()
                                && openConnections(n) == 1));
                for (TestNode n : List.of(a, b)) {
                    assertEquals(1, n.events.all(PeerUp.class).size());
                    assertTrue(n.events.all(PeerDown.class).isEmpty(), String.valueOf(n.events.all(PeerDown.class)));
                    assertTrue(n.events.all(DialFailed.class).isEmpty(), String.valueOf(n.events.all(DialFailed.class)));
                    assertEquals(1, openConnections(n));
                }
                assertTrue(a.net.send(b.id, new WireMessage.Heartbeat(1)));
                assertTrue(b.net.send(a.id, new WireMessage.Heartbeat(2)));
                await().atMost(WAIT).until(() -> a.events.messagesFrom(b.id).size() == 1
                        && b.events.messagesFrom(a.id).size() == 1);
            }
        }
    }

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "expected '" + part + "' in: " + text);
    }

    private static long openConnections(TestNode n) {
        NetworkStats s = n.net.stats();
        return s.connectionsOpened() - s.connectionsClosed();
    }

    @Test
    void blockingAPeerStopsDeliveryAndUnblockingRestoresItAfterARedial() {
        TestAgent agent = new TestAgent();
        NetworkConfig config = TestNode.config().withFaultInjection(true).withIdleTimeoutMs(1_000);
        try (TestNode a = TestNode.of(agent, config); TestNode b = TestNode.of(agent, config)) {
            a.dial(b);
            await().atMost(WAIT).until(() -> b.events.all(PeerUp.class).size() == 1
                    && a.events.all(PeerUp.class).size() == 1);
            a.net.faults().block(b.id);
            assertTrue(a.net.faults().snapshot().containsKey(b.id));
            assertTrue(a.net.send(b.id, new WireMessage.Heartbeat(1)), "a partition looks like a lost frame");
            b.net.send(a.id, new WireMessage.Heartbeat(2));
            // Nothing crosses; both sides time out on silence.
            await().atMost(WAIT).until(() -> a.events.all(PeerDown.class).size() == 1
                    && b.events.all(PeerDown.class).size() == 1);
            assertTrue(a.events.all(Message.class).isEmpty(), String.valueOf(a.events.all(Message.class)));
            assertTrue(b.events.all(Message.class).isEmpty(), String.valueOf(b.events.all(Message.class)));
            assertTrue(a.net.stats().framesDroppedByFaults() >= 2);

            a.dial(b);
            b.dial(a);
            await().atMost(WAIT).until(() -> a.events.all(DialFailed.class).size() == 1
                    && b.events.all(DialFailed.class).size() == 1);
            assertTrue(a.net.stats().connectsBlockedByFaults() >= 2);

            a.net.faults().unblock(b.id);
            assertTrue(a.net.faults().snapshot().isEmpty(), String.valueOf(a.net.faults().snapshot()));
            a.dial(b);
            await().atMost(WAIT).until(() -> a.events.all(PeerUp.class).size() == 2
                    && b.events.all(PeerUp.class).size() == 2);
            assertTrue(a.net.send(b.id, new WireMessage.Heartbeat(3)));
            assertTrue(b.net.send(a.id, new WireMessage.Heartbeat(4)));
            await().atMost(WAIT).until(() -> a.events.messagesFrom(b.id).size() == 1
                    && b.events.messagesFrom(a.id).size() == 1);
        }
    }

    @Test
    void disconnectLeadsToPeerDownOnBothSides() {
        TestAgent agent = new TestAgent();
        try (TestNode a = TestNode.of(agent); TestNode b = TestNode.of(agent)) {
            a.dial(b);
            await().atMost(WAIT).until(() -> b.events.all(PeerUp.class).size() == 1
                    && a.events.all(PeerUp.class).size() == 1);
            a.net.disconnect(b.id, "maintenance");
            await().atMost(WAIT).until(() -> a.events.all(PeerDown.class).size() == 1
                    && b.events.all(PeerDown.class).size() == 1);
            assertEquals("maintenance", a.events.all(PeerDown.class).get(0).reason());
            assertContains(b.events.all(PeerDown.class).get(0).reason(), "maintenance");
            assertFalse(a.net.send(b.id, new WireMessage.Heartbeat(1)));
            assertTrue(a.net.connectedPeers().isEmpty(), String.valueOf(a.net.connectedPeers()));
            await().atMost(WAIT).until(() -> openConnections(a) == 0 && openConnections(b) == 0);
        }
    }

    @Test
    void sendRefusesWhenTheOutboundBufferIsOverItsHighMark() {
        TestAgent agent = new TestAgent();
        NetworkConfig small = TestNode.config().withWriteBuffer(64 * 1024, 32 * 1024);
        try (TestNode a = TestNode.of(agent, small); TestNode b = TestNode.of(agent)) {
            a.dial(b);
            await().atMost(WAIT).until(() -> b.events.all(PeerUp.class).size() == 1
                    && a.events.all(PeerUp.class).size() == 1);
            boolean refused = false;
            for (int i = 0; i < 1_000 && !refused; i++) {
                refused = !a.net.send(b.id, new WireMessage.Consensus(new byte[256 * 1024]));
            }
            assertTrue(refused, "send must refuse once 64 KiB are queued");
            assertTrue(a.net.stats().sendsRejected() > 0);
        }
    }

    @Test
    void aConnectionThatNeverStartsTlsIsClosedAtTheHandshakeTimeout() throws Exception {
        TestAgent agent = new TestAgent();
        try (TestNode a = TestNode.of(agent, TestNode.config().withHandshakeTimeoutMs(300));
             java.net.Socket raw = new java.net.Socket("127.0.0.1", a.address.getPort())) {
            raw.setSoTimeout(5_000);
            assertEquals(-1, raw.getInputStream().read(), "closed without a byte");
            await().atMost(WAIT).until(() -> a.net.stats().totalAuthFailures() == 1);
            assertEquals(1, a.net.stats().authFailures(AuthFailure.HANDSHAKE_TIMEOUT),
                    a.net.stats().authFailures().toString());
        }
    }

    @Test
    void theMaximumFrameSizeDefaultsToTheProtocolLimit() {
        assertEquals(WireCodec.MAX_FRAME_BYTES, NetworkConfig.defaults("127.0.0.1", 0).maxFrameBytes());
    }
}
