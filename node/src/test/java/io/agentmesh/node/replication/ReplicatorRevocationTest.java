package io.agentmesh.node.replication;

import io.agentmesh.node.membership.Membership;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A removed node's changes at the replicator: up to the cut they apply, past it they are refused and counted without
 * blaming the peer that brought them (it may hold them from before it learned of the removal), and never offered.
 */
class ReplicatorRevocationTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long CUT = 2;
    private final Random random = new Random(11);
    private final SigningKey root = key();
    private final SigningKey me = key();
    private final SigningKey removedKey = key();
    private final SigningKey relayKey = key();
    private final NodeId relay = NodeId.of(relayKey.verifyingKey());
    private final ActorId removedActor = ActorId.derive(removedKey.verifyingKey().bytes(), 1);
    private final ReplicatorUnderTest.SilentNetwork network = new ReplicatorUnderTest.SilentNetwork();
    private ChangeStore store;
    private AgentState state;
    private AgentState removedState;
    private Replicator replicator;

    private SigningKey key() {
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        return SigningKey.fromSeed(seed);
    }

    private NodeCertificate cert(SigningKey node) {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, NOW - 1000, NOW + 1_000_000);
    }

    private Optional<String> cutAt2(SignedChange c) {
        return c.actor().equals(removedActor) && c.seq() > CUT ? Optional.of("removed; cut at seq " + CUT)
                : Optional.empty();
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        LocalIdentity identity = new LocalIdentity(root.verifyingKey(), me, cert(me), 1);
        Clock clock = new Clock() {
            public long nowMillis() {
                return NOW;
            }

            public long monotonicNanos() {
                return 0;
            }
        };
        Membership membership = new Membership(root.verifyingKey(), identity.certificate(), clock);
        membership.admit(cert(removedKey));
        membership.admit(cert(relayKey));
        store = SqliteChangeStore.open(dir.resolve("s.db"));
        state = AgentState.create(identity.agentId().bytes(), identity.actor());
        removedState = AgentState.create(identity.agentId().bytes(), removedActor);
        replicator = ReplicatorUnderTest.create(identity, membership, state, store, network, clock, 2_000,
                this::cutAt2);
        replicator.peerUp(relay);
    }

    @AfterEach
    void tearDown() {
        store.close();
        state.close();
        removedState.close();
    }

    private List<SignedChange> removedNodeWrites(int count) {
        List<SignedChange> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            LocalChange c = removedState.appendMemory(new MemoryEntry("m" + i, NOW, "removed", "note", "m" + i,
                    List.of()));
            out.add(SignedChanges.sign(AgentId.of(root.verifyingKey()).bytes(), removedKey, 1, c.seq(),
                    c.changeBytes()));
        }
        return out;
    }

    @Test
    void changesUpToTheCutApplyAndLaterOnesAreRefusedCountedAndNotHeldAgainstTheSender() {
        replicator.onChanges(relay, new WireMessage.Changes(removedNodeWrites(6), false));
        assertEquals(CUT, state.memoryCount());
        assertEquals(4, replicator.stats().rejected());
        assertEquals(4, replicator.stats().refusedRevoked());
        assertTrue(network.disconnects.isEmpty(), "more refusals than the bad-change limit, yet the relay stays: "
                + network.disconnects);
    }

    @Test
    void theGatesRefusalOfAChangePastTheCutIsCountedTheSameWay() {
        state.limitActor(removedActor, 1);
        List<SignedChange> changes = removedNodeWrites(2);
        replicator.onChanges(relay, new WireMessage.Changes(changes, false));
        assertEquals(1, state.memoryCount());
        assertEquals(1, replicator.stats().refusedRevoked());
        assertTrue(network.disconnects.isEmpty());
    }

    @Test
    void aChangePastTheCutIsNeverOfferedToAPeer() {
        for (SignedChange c : removedNodeWrites(5)) {
            store.append(c).join(); // held from before this node learned of the removal
        }
        network.sent.clear();
        replicator.onDigest(relay, new WireMessage.Digest(List.of(), true));
        WireMessage.Changes answer = (WireMessage.Changes) network.sent.getLast();
        assertEquals(List.of(1L, 2L), answer.changes().stream().map(SignedChange::seq).toList());
    }
}
