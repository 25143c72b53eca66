package io.agentmesh.node.replication;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.membership.Membership;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
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
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replicator's gate: only correctly signed changes of enrolled nodes of this agent change anything. */
class ReplicatorVerificationTest {
    private static final long NOW = 1_800_000_000_000L;
    private final Random random = new Random(7);
    private final SigningKey root = key();
    private final SigningKey me = key();
    private final SigningKey peerKey = key();
    private final SigningKey stranger = key();
    private final NodeId peer = NodeId.of(peerKey.verifyingKey());
    private final ReplicatorUnderTest.SilentNetwork network = new ReplicatorUnderTest.SilentNetwork();
    private ChangeStore store;
    private AgentState state;
    private Replicator replicator;
    private AgentState peerState;

    private SigningKey key() {
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        return SigningKey.fromSeed(seed);
    }

    private static NodeCertificate cert(SigningKey root, SigningKey node) {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, NOW - 1000, NOW + 1_000_000);
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        LocalIdentity identity = new LocalIdentity(root.verifyingKey(), me, cert(root, me), 1);
        Clock clock = new Clock() {
            public long nowMillis() {
                return NOW;
            }

            public long monotonicNanos() {
                return 0;
            }
        };
        Membership membership = new Membership(root.verifyingKey(), identity.certificate(), clock);
        membership.admit(cert(root, peerKey));
        store = SqliteChangeStore.open(dir.resolve("s.db"));
        state = AgentState.create(identity.agentId().bytes(), identity.actor());
        replicator = ReplicatorUnderTest.create(identity, membership, state, store, network, clock, 2_000);
        replicator.peerUp(peer);
        peerState = AgentState.create(identity.agentId().bytes(), io.agentmesh.protocol.change.ActorId.derive(peerKey.verifyingKey().bytes(), 1));
    }

    @AfterEach
    void tearDown() {
        store.close();
        state.close();
        peerState.close();
    }

    private LocalChange peerWrites(String text) {
        return peerState.appendMemory(new MemoryEntry(text, NOW, "peer", "note", text, List.of()));
    }

    /** The peer's write of {@code text}, signed by the peer as it would send it. */
    private SignedChange peerSigns(String text) {
        LocalChange c = peerWrites(text);
        return SignedChanges.sign(agentId(), peerKey, 1, c.seq(), c.changeBytes());
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
        return io.agentmesh.protocol.identity.AgentId.of(root.verifyingKey()).bytes();
    }

    @Test
    void aCorrectlySignedChangeOfAnEnrolledNodeIsAppliedAndStored() {
        SignedChange good = peerSigns("hello");
        deliver(good);
        assertEquals(1, state.memoryCount());
        store.append(good).join(); // queued behind the replicator's append, so that one is durable now
        assertEquals(1, store.changeCount());
        assertEquals(0, replicator.stats().rejected());
    }

    @Test
    void aTamperedSignatureIsRejectedAndChangesNothing() {
        deliver(tampered(peerSigns("hello")));
        assertEquals(0, state.memoryCount());
        assertEquals(0, store.changeCount());
        assertEquals(1, replicator.stats().rejected());
    }

    @Test
    void aChangeSignedByAKeyThatIsNotAKnownMemberIsNotApplied() {
        LocalChange c = peerWrites("hello");
        deliver(SignedChanges.sign(agentId(), stranger, 1, c.seq(), c.changeBytes()));
        assertEquals(0, state.memoryCount());
        assertEquals(0, store.changeCount());
        // Set aside, not blamed on the sender: the signer's certificate may still be on its way.
        assertEquals(1, replicator.stats().unknownSigner());
        assertTrue(network.disconnects.isEmpty());
    }

    @Test
    void anEnvelopeWhoseSeqDiffersFromTheChangeBytesIsRejected() {
        LocalChange c = peerWrites("hello");
        deliver(SignedChanges.sign(agentId(), peerKey, 1, c.seq() + 5, c.changeBytes()));
        assertEquals(0, state.memoryCount());
        assertEquals(1, replicator.stats().rejected());
    }

    @Test
    void aChangeSignedForAnotherAgentIsRejected() {
        LocalChange c = peerWrites("hello");
        byte[] otherAgent = agentId().clone();
        otherAgent[0] ^= 1;
        deliver(SignedChanges.sign(otherAgent, peerKey, 1, c.seq(), c.changeBytes()));
        assertEquals(0, state.memoryCount());
        assertEquals(1, replicator.stats().rejected());
    }

    @Test
    void duplicatesAreHarmless() {
        SignedChange good = peerSigns("hello");
        deliver(good);
        deliver(good);
        deliver(good);
        assertEquals(1, state.memoryCount());
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
