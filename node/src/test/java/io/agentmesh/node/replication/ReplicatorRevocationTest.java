package io.agentmesh.node.replication;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.agentmesh.node.replication.ReplicatorFixture.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A removed node's changes at the replicator: up to the cut they apply, past it they are refused and counted without
 * blaming the peer that brought them (it may hold them from before it learned of the removal), and never offered.
 */
class ReplicatorRevocationTest {
    private static final long CUT = 2;
    private final SigningKey removedKey = key(3);
    private final SigningKey relayKey = key(4);
    private final ActorId removedActor = ActorId.derive(removedKey.verifyingKey().bytes(), 1);
    private final ReplicatorUnderTest.SilentNetwork network = new ReplicatorUnderTest.SilentNetwork();
    private ReplicatorFixture node;
    private AgentState removedState;
    private Replicator replicator;
    private NodeId relay;

    private Optional<String> cutAt2(SignedChange c) {
        return c.actor().equals(removedActor) && c.seq() > CUT ? Optional.of("removed; cut at seq " + CUT)
                : Optional.empty();
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        node = new ReplicatorFixture(dir, key(1), key(2));
        node.admit(removedKey, Role.VOTER);
        relay = node.admit(relayKey, Role.VOTER);
        removedState = node.peerState(removedActor);
        replicator = node.replicator(network, this::cutAt2);
        replicator.peerUp(relay);
    }

    @AfterEach
    void tearDown() {
        node.close();
    }

    private List<SignedChange> removedNodeWrites(int count) {
        List<SignedChange> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(node.signed(removedKey, ReplicatorFixture.note(removedState, "m" + i)));
        }
        return out;
    }

    @Test
    void changesUpToTheCutApplyAndLaterOnesAreRefusedCountedAndNotHeldAgainstTheSender() {
        replicator.onChanges(relay, new WireMessage.Changes(removedNodeWrites(6), false));
        assertEquals(CUT, node.state.memoryCount());
        assertEquals(4, replicator.stats().rejected());
        assertEquals(4, replicator.stats().refusedRevoked());
        assertTrue(network.disconnects.isEmpty(), "more refusals than the bad-change limit, yet the relay stays: "
                + network.disconnects);
    }

    @Test
    void theGatesRefusalOfAChangePastTheCutIsCountedTheSameWay() {
        node.state.limitActor(removedActor, 1);
        List<SignedChange> changes = removedNodeWrites(2);
        replicator.onChanges(relay, new WireMessage.Changes(changes, false));
        assertEquals(1, node.state.memoryCount());
        assertEquals(1, replicator.stats().refusedRevoked());
        assertTrue(network.disconnects.isEmpty());
    }

    @Test
    void aChangePastTheCutIsNeverOfferedToAPeer() {
        for (SignedChange c : removedNodeWrites(5)) {
            node.store.append(c).join(); // held from before this node learned of the removal
        }
        network.sent.clear();
        replicator.onDigest(relay, new WireMessage.Digest(List.of(), true));
        WireMessage.Changes answer = (WireMessage.Changes) network.sent.getLast();
        assertEquals(List.of(1L, 2L), answer.changes().stream().map(SignedChange::seq).toList());
    }
}
