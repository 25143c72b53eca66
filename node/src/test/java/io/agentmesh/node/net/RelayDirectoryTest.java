package io.agentmesh.node.net;

import io.agentmesh.node.port.ManualClock;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.relay.protocol.RecordException;
import io.agentmesh.relay.protocol.RecordVerifier;
import io.agentmesh.relay.protocol.RegistrationRecord;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayDirectoryTest {
    private static final InetSocketAddress RELAY = new InetSocketAddress("127.0.0.1", 7000);
    private static final long TTL_MS = 60_000;

    private final TestAgent agent = new TestAgent();
    private final SigningKey selfKey = TestAgent.newNodeKey();
    private final NodeId self = NodeId.of(selfKey.verifyingKey());
    private final ManualClock clock = new ManualClock(System.currentTimeMillis());
    private final RelayClient.Counters counters = new RelayClient.Counters();
    private final List<String> learned = new ArrayList<>();
    private final List<String> discovered = new ArrayList<>();
    private final RelayDirectory directory = new RelayDirectory(self,
            new RecordVerifier(agent.certify(selfKey).agentId(), 10 * TTL_MS, 5_000), clock, counters,
            (id, a) -> learned.add(id.shortForm() + "@" + a.getPort()),
            (id, a) -> discovered.add(id.shortForm() + "@" + a.getPort()));

    private byte[] record(SigningKey key, TestAgent of, int port, long sequence) {
        return RegistrationRecord.sign(key, of.certify(key), List.of(new InetSocketAddress("127.0.0.1", port)),
                sequence, clock.nowMillis + TTL_MS).toBytes();
    }

    @Test
    void aVerifiedRecordIsKnownAndItsAddressDiscoveredOnceUntilItChanges() {
        SigningKey peerKey = TestAgent.newNodeKey();
        NodeId peer = NodeId.of(peerKey.verifyingKey());
        RelayDirectory.Lookup first = directory.accept("relay", RELAY, List.of(record(peerKey, agent, 8001, 1)));
        assertEquals(Set.of(peer), first.seen());
        assertNull(first.blame());
        assertEquals(List.of(peer.shortForm() + "@8001"), discovered);

        directory.accept("relay", RELAY, List.of(record(peerKey, agent, 8001, 2)));
        assertEquals(1, discovered.size(), "same address: nothing new to discover");
        assertEquals(2, learned.size(), "the network hears every verified address");

        directory.accept("relay", RELAY, List.of(record(peerKey, agent, 8002, 3)));
        assertEquals(List.of(peer.shortForm() + "@8001", peer.shortForm() + "@8002"), discovered);
        assertEquals(3, directory.knownRecords().get(peer).sequence());
        assertEquals(3, counters.snapshot().recordsAccepted());
    }

    @Test
    void aRecordOfAnotherAgentIsRejectedAndTheRelayBlamed() {
        SigningKey strangerKey = TestAgent.newNodeKey();
        RelayDirectory.Lookup lookup = directory.accept("relay", RELAY,
                List.of(record(strangerKey, new TestAgent(), 8001, 1)));
        assertEquals(Set.of(), lookup.seen());
        assertTrue(lookup.blame() != null && lookup.blame().startsWith("served a"), String.valueOf(lookup.blame()));
        assertEquals(List.of(), discovered);
        assertEquals(1, counters.snapshot().recordsRejectedTotal());
        assertTrue(directory.knownRecords().isEmpty());
    }

    @Test
    void thisNodesOwnRecordIsSeenButNeitherFedNorListed() {
        RelayDirectory.Lookup lookup = directory.accept("relay", RELAY, List.of(record(selfKey, agent, 8000, 1)));
        assertEquals(Set.of(self), lookup.seen());
        assertEquals(List.of(), discovered);
        assertEquals(List.of(), learned);
        assertTrue(directory.knownRecords().isEmpty());
    }

    @Test
    void anOlderRecordThanOneKnownIsStaleNotBlamed() {
        SigningKey peerKey = TestAgent.newNodeKey();
        byte[] older = record(peerKey, agent, 8001, 1);
        directory.accept("relay-a", RELAY, List.of(record(peerKey, agent, 8001, 2)));
        RelayDirectory.Lookup lookup = directory.accept("relay-b", RELAY, List.of(older));
        assertNull(lookup.blame());
        assertEquals(Set.of(NodeId.of(peerKey.verifyingKey())), lookup.seen());
        assertEquals(1, counters.snapshot().recordsStale());
        assertEquals(0, counters.snapshot().recordsRejected(RecordException.Reason.REPLAYED));
    }
}
