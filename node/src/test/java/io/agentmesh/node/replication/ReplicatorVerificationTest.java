package io.agentmesh.node.replication;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.agentmesh.node.replication.ReplicatorFixture.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replicator's gate: only correctly signed changes of enrolled nodes of this agent change anything. */
class ReplicatorVerificationTest {
    private final SigningKey peerKey = key(3);
    private final SigningKey stranger = key(4);
    private final ReplicatorUnderTest.SilentNetwork network = new ReplicatorUnderTest.SilentNetwork();
    private ReplicatorFixture node;
    private Replicator replicator;
    private AgentState peerState;
    private NodeId peer;

    @BeforeEach
    void setUp(@TempDir Path dir) {
        node = new ReplicatorFixture(dir, key(1), key(2));
        peer = node.admit(peerKey, Role.VOTER);
        replicator = node.replicator(network);
        replicator.peerUp(peer);
        peerState = node.peerState(peerKey);
    }

    @AfterEach
    void tearDown() {
        node.close();
    }

    private LocalChange peerWrites(String text) {
        return ReplicatorFixture.note(peerState, text);
    }

    /** The peer's write of {@code text}, signed by the peer as it would send it. */
    private SignedChange peerSigns(String text) {
        return node.signed(peerKey, peerWrites(text));
    }

    /** {@code good} with one bit of its signature flipped. */
    private static SignedChange tampered(SignedChange good) {
        byte[] sig = good.signature();
        sig[0] ^= 1;
        return new SignedChange(good.signerKey(), good.incarnation(), good.actor(), good.seq(), good.bytes(), sig);
    }

    private void deliver(SignedChange c) {
        replicator.onChanges(peer, new WireMessage.Changes(List.of(c), false));
    }

    private byte[] agentId() {
        return node.identity.agentId().bytes();
    }

    @Test
    void aCorrectlySignedChangeOfAnEnrolledNodeIsAppliedAndStored() {
        SignedChange good = peerSigns("hello");
        deliver(good);
        assertEquals(1, node.state.memoryCount());
        node.store.append(good).join(); // queued behind the replicator's append, so that one is durable now
        assertEquals(1, node.store.changeCount());
        assertEquals(0, replicator.stats().rejected());
    }

    @Test
    void aTamperedSignatureIsRejectedAndChangesNothing() {
        deliver(tampered(peerSigns("hello")));
        assertEquals(0, node.state.memoryCount());
        assertEquals(0, node.store.changeCount());
        assertEquals(1, replicator.stats().rejected());
    }

    @Test
    void aChangeSignedByAKeyThatIsNotAKnownMemberIsNotApplied() {
        LocalChange c = peerWrites("hello");
        deliver(node.signed(stranger, c));
        assertEquals(0, node.state.memoryCount());
        assertEquals(0, node.store.changeCount());
        // Set aside, not blamed on the sender: the signer's certificate may still be on its way.
        assertEquals(1, replicator.stats().unknownSigner());
        assertTrue(network.disconnects.isEmpty());
    }

    @Test
    void anEnvelopeWhoseSeqDiffersFromTheChangeBytesIsRejected() {
        LocalChange c = peerWrites("hello");
        deliver(SignedChanges.sign(agentId(), peerKey, 1, c.seq() + 5, c.changeBytes()));
        assertEquals(0, node.state.memoryCount());
        assertEquals(1, replicator.stats().rejected());
    }

    @Test
    void aChangeSignedForAnotherAgentIsRejected() {
        LocalChange c = peerWrites("hello");
        byte[] otherAgent = agentId().clone();
        otherAgent[0] ^= 1;
        deliver(SignedChanges.sign(otherAgent, peerKey, 1, c.seq(), c.changeBytes()));
        assertEquals(0, node.state.memoryCount());
        assertEquals(1, replicator.stats().rejected());
    }

    @Test
    void duplicatesAreHarmless() {
        SignedChange good = peerSigns("hello");
        deliver(good);
        deliver(good);
        deliver(good);
        assertEquals(1, node.state.memoryCount());
        assertEquals(2, replicator.stats().duplicates());
        assertEquals(0, replicator.stats().rejected());
    }

    @Test
    void aPeerThatKeepsSendingBadChangesIsDisconnected() {
        for (int i = 0; i < 3; i++) {
            deliver(tampered(peerSigns("bad " + i)));
        }
        assertEquals(1, network.disconnects.size());
        assertTrue(network.disconnects.get(0).contains("invalid changes"), network.disconnects.toString());
    }
}
