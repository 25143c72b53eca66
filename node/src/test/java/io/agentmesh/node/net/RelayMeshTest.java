package io.agentmesh.node.net;

import io.agentmesh.node.net.RecordingListener.PeerDown;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import io.agentmesh.relay.RelayTampering;
import io.agentmesh.relay.protocol.ErrorCode;
import io.agentmesh.relay.protocol.RecordException;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nodes that know only relay addresses find each other, and talk through relays when direct dialing fails. */
class RelayMeshTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    @AutoClose
    private final ClosedAfterEach open = new ClosedAfterEach();
    private final TestAgent agent = new TestAgent();

    private RelayServer relay(RelayConfig config, RelayTampering tampering) {
        RelayServer r = new RelayServer(config, new SystemClock(), tampering);
        open.add(r);
        r.start();
        return r;
    }

    private RelayServer relay() {
        return relay(RelayConfig.loopback(), RelayTampering.NONE);
    }

    static NetworkConfig netConfig() {
        return TestNode.config().withFaultInjection(true).withDirectRetryMs(300);
    }

    /** Every relay pinned to its key. */
    static RelayClientConfig relayConfig(RelayServer... relays) {
        java.util.Map<String, io.agentmesh.relay.tls.RelayFingerprint> pins = new java.util.HashMap<>();
        for (RelayServer r : relays) {
            pins.put(io.agentmesh.relay.HostPort.format(r.address()), r.fingerprint());
        }
        return RelayClientConfig.defaults(List.of(relays).stream().map(RelayServer::address).toList())
                .withPins(pins).withLookupIntervalMs(300).withBackoff(50, 500);
    }

    private MeshNode node(RelayServer... relays) {
        MeshNode n = new MeshNode(agent, netConfig(), relayConfig(relays), 100);
        open.add(n);
        return n;
    }

    private static void awaitMesh(MeshNode... nodes) {
        await().atMost(WAIT).untilAsserted(() -> {
            for (MeshNode n : nodes) {
                Set<Object> expected = new java.util.HashSet<>();
                for (MeshNode m : nodes) {
                    if (m != n) {
                        expected.add(m.id());
                    }
                }
                assertEquals(expected, Set.copyOf(n.node.net.connectedPeers()), "peers of " + n.id().shortForm());
            }
        });
    }

    /**
     * Messages arrive both ways. Sent again on every poll: a message written on a connection that is being closed as
     * a duplicate, or replaced by a direct one, may be lost (the core's anti-entropy repairs that in production).
     */
    private static void assertMessagesFlow(MeshNode a, MeshNode b, long token) {
        WireMessage.Heartbeat ab = new WireMessage.Heartbeat(token);
        WireMessage.Heartbeat ba = new WireMessage.Heartbeat(token + 1);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            a.node.net.send(b.id(), ab);
            b.node.net.send(a.id(), ba);
            return b.node.events.messagesFrom(a.id()).contains(ab) && a.node.events.messagesFrom(b.id()).contains(ba);
        });
    }

    private static void blockDirect(MeshNode a, MeshNode b) {
        a.node.net.faults().blockDirect(b.id());
        b.node.net.faults().blockDirect(a.id());
    }

    /** Starts {@code a} and {@code b} with their direct paths blocked and waits until a relay has connected them. */
    private static void startRelayedOnly(MeshNode a, MeshNode b) {
        blockDirect(a, b);
        a.start();
        b.start();
        awaitMesh(a, b);
    }

    @Test
    void threeNodesGivenOnlyRelayAddressesDiscoverEachOtherAndConnect() {
        RelayServer r1 = relay();
        RelayServer r2 = relay();
        MeshNode a = node(r1, r2).start();
        MeshNode b = node(r1, r2).start();
        MeshNode c = node(r1, r2).start();
        awaitMesh(a, b, c);
        assertMessagesFlow(a, b, 1);
        assertMessagesFlow(b, c, 3);
        assertMessagesFlow(c, a, 5);
        await().atMost(WAIT).until(() -> r1.registrationCount() == 3 && r2.registrationCount() == 3);
        assertEquals(2, a.relays.knownRecords().size());
        assertEquals(0, a.relays.stats().recordsRejectedTotal());
        // Direct connections: nothing went through the relays.
        assertEquals(0, r1.metrics().snapshot().get("circuits_opened_total"));
        assertFalse(a.node.net.isRelayed(b.id()));
    }

    @Test
    void withDirectDialingBlockedTwoNodesConnectThroughARelayAndMoveToDirectOnceItWorks() {
        RelayServer r1 = relay();
        MeshNode a = node(r1);
        MeshNode b = node(r1);
        startRelayedOnly(a, b);
        assertTrue(a.node.net.isRelayed(b.id()) && b.node.net.isRelayed(a.id()));
        // Both nodes may dial at once, each through its own circuit; the duplicate connection is closed after the
        // mesh forms, and the relay counts its circuit open until that close reaches it.
        await().atMost(WAIT).until(() -> r1.openCircuitCount() == 1);
        assertMessagesFlow(a, b, 10);
        assertTrue(a.node.net.stats().connectsBlockedByFaults() + b.node.net.stats().connectsBlockedByFaults() > 0);

        // A large frame crosses the circuit intact (end-to-end TLS would break on any altered byte).
        byte[] big = new byte[300_000];
        new java.util.Random(1).nextBytes(big);
        WireMessage.Consensus bigMessage = new WireMessage.Consensus(big);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
            a.node.net.send(b.id(), bigMessage); // again: a copy may go down with a duplicate connection
            return b.node.events.messagesFrom(a.id()).stream()
                    .anyMatch(m -> m instanceof WireMessage.Consensus c && java.util.Arrays.equals(c.payload(), big));
        });
        int downsBefore = a.node.events.all(PeerDown.class).size();

        // The direct path opens: the relayed connection is replaced without the peer going down.
        a.node.net.faults().unblockDirect(b.id());
        b.node.net.faults().unblockDirect(a.id());
        await().atMost(WAIT).until(() -> !a.node.net.isRelayed(b.id()) && !b.node.net.isRelayed(a.id()));
        assertTrue(a.node.net.stats().directUpgrades() + b.node.net.stats().directUpgrades() >= 1);
        await().atMost(WAIT).until(() -> r1.openCircuitCount() == 0);
        assertMessagesFlow(a, b, 20);
        assertEquals(downsBefore, a.node.events.all(PeerDown.class).size(), String.valueOf(a.node.events.events));
        assertEquals(0, b.node.events.all(PeerDown.class).size(), String.valueOf(b.node.events.events));
    }

    @Test
    void killingOneOfTwoRelaysKeepsTheNodesConnectedThroughTheOther() {
        RelayServer r1 = relay();
        RelayServer r2 = relay();
        MeshNode a = node(r1, r2);
        MeshNode b = node(r1, r2);
        startRelayedOnly(a, b);
        assertMessagesFlow(a, b, 1);
        await().atMost(WAIT).until(() -> r1.openCircuitCount() + r2.openCircuitCount() == 1);
        RelayServer carrier = r1.openCircuitCount() == 1 ? r1 : r2;
        RelayServer other = carrier == r1 ? r2 : r1;

        carrier.close();
        await().atMost(WAIT).until(() -> other.openCircuitCount() == 1);
        awaitMesh(a, b);
        assertTrue(a.node.net.isRelayed(b.id()));
        assertMessagesFlow(a, b, 3);
        // And the next dial still works with one relay gone.
        a.node.net.disconnect(b.id(), "test: reconnect");
        await().atMost(WAIT).until(() -> a.node.events.all(PeerDown.class).size() >= 2);
        awaitMesh(a, b);
        assertMessagesFlow(a, b, 5);
    }

    @Test
    void aRelayThatTampersWithRecordsIsDetectedAndAvoided() {
        RelayServer liar = relay(RelayConfig.loopback(), new RelayTampering() {
            @Override
            public List<byte[]> lookupResult(List<byte[]> records) {
                return records.stream().map(r -> {
                    byte[] altered = r.clone();
                    altered[altered.length - 1] ^= 0x01; // the signature's last byte
                    return altered;
                }).toList();
            }
        });
        RelayServer honest = relay();
        MeshNode a = node(liar, honest).start();
        MeshNode b = node(liar, honest).start();
        awaitMesh(a, b);
        await().atMost(WAIT).untilAsserted(() -> {
            for (MeshNode n : List.of(a, b)) {
                RelayClient.Stats stats = n.relays.stats();
                assertTrue(stats.recordsRejected(RecordException.Reason.BAD_SIGNATURE) >= 1, String.valueOf(stats));
                assertTrue(stats.relaysAvoided() >= 1, String.valueOf(stats));
                RelayClient.Status liarStatus = n.relays.relays().get(0);
                assertTrue(liarStatus.avoided(), String.valueOf(liarStatus));
                assertFalse(n.relays.relays().get(1).avoided());
            }
        });
        // Only verified records were believed: both know each other's genuine record.
        await().atMost(WAIT).until(() -> a.relays.knownRecords().containsKey(b.id()));
        assertEquals(Set.of(b.id()), a.relays.knownRecords().keySet());
        assertEquals(List.of(b.node.address), a.relays.knownRecords().get(b.id()).addresses());
        // An avoided relay is not offered for circuits.
        assertEquals(List.of(honest.address()), a.relays.relaysFor(b.id()));
    }

    @Test
    void aRelayThatReplaysAnOlderRecordAfterANewerOneIsCaught() {
        // Records live 15 s and are re-signed every 5 s. Once this relay has served a node's second record, it serves
        // the first one again, which is still unexpired: only the sequence number can tell it is a replay. (With a
        // shorter life a loaded machine let the first record expire before the replay, which proves nothing.)
        // Both nodes look up every 300 ms; serving the newer record a few times makes sure each node has seen it
        // (the relay cannot tell who asks), so the stale one that follows is a replay to both.
        java.util.Map<io.agentmesh.protocol.identity.NodeId, byte[]> first = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Map<io.agentmesh.protocol.identity.NodeId, Integer> newerServed = new java.util.concurrent.ConcurrentHashMap<>();
        RelayServer replayer = relay(RelayConfig.loopback(), new RelayTampering() {
            @Override
            public List<byte[]> lookupResult(List<byte[]> records) {
                return records.stream().map(r -> {
                    try {
                        io.agentmesh.protocol.identity.NodeId id =
                                io.agentmesh.relay.protocol.RegistrationRecord.fromBytes(r).nodeId();
                        byte[] old = first.computeIfAbsent(id, k -> r);
                        if (java.util.Arrays.equals(old, r)) {
                            return r;
                        }
                        return newerServed.merge(id, 1, Integer::sum) > 6 ? old : r;
                    } catch (io.agentmesh.relay.protocol.RecordException e) {
                        throw new AssertionError(e);
                    }
                }).toList();
            }
        });
        RelayClientConfig fastRecords = relayConfig(replayer).withRecordTtlMs(15_000);
        MeshNode a = new MeshNode(agent, netConfig(), fastRecords, 100);
        open.add(a);
        MeshNode b = new MeshNode(agent, netConfig(), fastRecords, 100);
        open.add(b);
        a.start();
        b.start();
        awaitMesh(a, b);
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> {
            RelayClient.Stats stats = a.relays.stats();
            assertTrue(stats.recordsRejected(RecordException.Reason.REPLAYED) >= 1, String.valueOf(stats));
            assertTrue(a.relays.relays().get(0).avoided());
        });
        assertEquals(0, a.relays.relaysFor(b.id()).size(), "the only relay is avoided");
    }

    @Test
    void aRelayThatFlipsCircuitBytesBreaksTlsAndTheNodesMoveToAnotherRelay() {
        RelayServer flipper = relay(RelayConfig.loopback(), new RelayTampering() {
            @Override
            public void circuitBytes(ByteBuf bytes, boolean fromSource) {
                int i = bytes.readerIndex() + bytes.readableBytes() / 2;
                bytes.setByte(i, bytes.getByte(i) ^ 0x20);
            }
        });
        // The honest relay comes up only once a circuit went through the flipper, so the flipper is always tried.
        int honestPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            honestPort = probe.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        RelayClientConfig relays = RelayClientConfig.defaults(List.of(flipper.address(),
                new java.net.InetSocketAddress("127.0.0.1", honestPort))).withLookupIntervalMs(300).withBackoff(50, 500);
        MeshNode a = new MeshNode(agent, netConfig(), relays, 100);
        open.add(a);
        MeshNode b = new MeshNode(agent, netConfig(), relays, 100);
        open.add(b);
        blockDirect(a, b);
        a.start();
        b.start();
        await().atMost(WAIT).until(() -> flipper.metrics().snapshot().get("circuits_opened_total") >= 1);
        RelayServer honest = relay(RelayConfig.loopback().withListen("127.0.0.1", honestPort), RelayTampering.NONE);
        awaitMesh(a, b);
        assertMessagesFlow(a, b, 7);
        assertTrue(a.node.net.isRelayed(b.id()));
        await().atMost(WAIT).until(() -> honest.openCircuitCount() == 1);
        assertEquals(0, flipper.openCircuitCount());
        assertTrue(flipper.metrics().snapshot().get("circuits_opened_total") >= 1, "a circuit was tried through it");
        long integrity = a.node.net.stats().relayIntegrityFailures() + b.node.net.stats().relayIntegrityFailures();
        assertTrue(integrity >= 1, "TLS failures on altered bytes are counted");
        assertTrue(a.relays.relays().get(0).avoided() || b.relays.relays().get(0).avoided(),
                a.relays.relays() + " / " + b.relays.relays());
        assertTrue(a.node.net.stats().authFailures(AuthFailure.TLS_HANDSHAKE)
                + b.node.net.stats().authFailures(AuthFailure.TLS_HANDSHAKE) >= 1);
    }

    @Test
    void aRegistrationCapIsAClearError() {
        RelayServer small = relay(RelayConfig.loopback().withRegistrationCaps(100, 1), RelayTampering.NONE);
        MeshNode a = node(small).start();
        await().atMost(WAIT).until(() -> small.registrationCount() == 1);
        MeshNode b = node(small).start();
        await().atMost(WAIT).untilAsserted(() -> {
            String error = b.relays.relays().get(0).lastError();
            assertTrue(error != null && error.contains("CAP_AGENT_REGISTRATIONS")
                    && error.contains("--max-registrations-per-agent"), error);
        });
        assertTrue(small.metrics().refusals(ErrorCode.CAP_AGENT_REGISTRATIONS) >= 1);
        assertTrue(a.relays.relays().get(0).registered());
        assertFalse(b.relays.relays().get(0).registered());
        assertEquals(1, small.registrationCount());
    }

    @Test
    void aCircuitCapIsAClearErrorForTheDialer() {
        RelayServer small = relay(RelayConfig.loopback().withCircuitCaps(1, 10), RelayTampering.NONE);
        MeshNode a = node(small);
        MeshNode b = node(small);
        MeshNode c = node(small);
        blockDirect(a, b);
        blockDirect(b, c);
        blockDirect(a, c);
        a.start();
        b.start();
        c.start();
        await().atMost(WAIT).until(() -> small.metrics().refusals(ErrorCode.CAP_CIRCUITS) >= 1
                && small.openCircuitCount() == 1);
        await().atMost(WAIT).until(() -> List.of(a, b, c).stream()
                .flatMap(n -> n.node.events.all(RecordingListener.DialFailed.class).stream())
                .anyMatch(f -> f.reason().contains("CAP_CIRCUITS") && f.reason().contains("--max-circuits")));
        assertEquals(1, small.openCircuitCount());
    }

    @Test
    void circuitsAreClosedAtTheirByteAndTimeLimits() {
        RelayServer bytesCapped = relay(RelayConfig.loopback().withCircuitLimits(64 * 1024, 3_600_000),
                RelayTampering.NONE);
        MeshNode a = node(bytesCapped);
        MeshNode b = node(bytesCapped);
        startRelayedOnly(a, b);
        WireMessage.Consensus big = new WireMessage.Consensus(new byte[100_000]);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
            a.node.net.send(b.id(), big);
            return bytesCapped.metrics().snapshot().get("circuits_closed_byte_limit_total") >= 1;
        });
        await().atMost(WAIT).until(() -> !a.node.events.all(PeerDown.class).isEmpty());

        RelayServer timeCapped = relay(RelayConfig.loopback().withCircuitLimits(1L << 30, 500), RelayTampering.NONE);
        MeshNode c = node(timeCapped);
        MeshNode d = node(timeCapped);
        blockDirect(c, d);
        c.start();
        d.start();
        awaitMesh(c, d);
        await().atMost(WAIT).until(() -> timeCapped.metrics().snapshot()
                .get("circuits_closed_time_limit_total") >= 1);
        await().atMost(WAIT).until(() -> !c.node.events.all(PeerDown.class).isEmpty());
        awaitMesh(c, d); // and the nodes come back on a new circuit
    }
}
