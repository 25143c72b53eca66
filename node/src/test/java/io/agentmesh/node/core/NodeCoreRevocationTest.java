package io.agentmesh.node.core;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
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

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core's side of a removal, driven by hand (tasks inline, timers that never fire, a network that records): a new
 * revocation is kept, enforced, passed on and survives a restart; a bad one changes nothing.
 */
class NodeCoreRevocationTest {
    private static final long NOW = 1_800_000_000_000L;
    private final Random random = new Random(5);
    private final SigningKey root = key();
    private final SigningKey me = key();
    private final SigningKey removedKey = key();
    private final SigningKey otherKey = key();
    private final NodeId removed = NodeId.of(removedKey.verifyingKey());
    private final NodeId other = NodeId.of(otherKey.verifyingKey());
    private final ActorId removedActor = ActorId.derive(removedKey.verifyingKey().bytes(), 1);
    private final RecordingNetwork network = new RecordingNetwork();
    private final List<String> fatal = new ArrayList<>();
    private final Clock clock = new Clock() {
        public long nowMillis() {
            return NOW;
        }

        public long monotonicNanos() {
            return 0;
        }
    };
    private final Scheduler inline = new Scheduler() {
        public void execute(Runnable task) {
            task.run();
        }

        public Cancellable schedule(Runnable task, long delayMs) {
            return () -> { };
        }
    };
    private Path dir;
    private ChangeStore store;
    private LocalIdentity identity;
    private AgentState removedState;
    private NodeCore core;

    /** Records what the core sends and whom it disconnects. */
    private static final class RecordingNetwork implements Network {
        final List<String> disconnects = new ArrayList<>();
        final List<NodeId> revocationsSentTo = new ArrayList<>();

        public void dial(NodeId peer, InetSocketAddress address) {
        }

        public boolean send(NodeId peer, WireMessage message) {
            if (message instanceof WireMessage.Revocations) {
                revocationsSentTo.add(peer);
            }
            return true;
        }

        public void disconnect(NodeId peer, String reason) {
            disconnects.add(peer.shortForm() + ": " + reason);
        }
    }

    private SigningKey key() {
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        return SigningKey.fromSeed(seed);
    }

    private NodeCertificate cert(SigningKey node, long issuedAt) {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, NOW - 100_000, NOW + 1_000_000, issuedAt);
    }

    private NodeCore startCore(long myCertIssuedAt) {
        identity = new LocalIdentity(root.verifyingKey(), me, cert(me, myCertIssuedAt), 1);
        Recovery.Result recovered = Recovery.recover(identity.agentId().bytes(), identity.actor(), store);
        try {
            NodeCore c = new NodeCore(identity, recovered.state(), store, clock, inline, new Random(1),
                    CoreConfig.defaults(Optional.empty()), fatal::add);
            c.start(network);
            return c;
        } catch (RuntimeException e) {
            recovered.state().close();
            throw e;
        }
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        this.dir = dir;
        store = SqliteChangeStore.open(dir.resolve("s.db"));
        core = startCore(NOW - 50_000);
        removedState = AgentState.create(identity.agentId().bytes(), removedActor);
        core.peerUp(removed, cert(removedKey, NOW - 50_000).toBytes(), 1, true);
        core.peerUp(other, cert(otherKey, NOW - 50_000).toBytes(), 1, false);
    }

    @AfterEach
    void tearDown() {
        if (core != null) {
            core.stop();
            core.state().close();
        }
        removedState.close();
        store.close();
    }

    /** The removed node's next change, signed with its key, delivered by {@code from} (and durable once applied). */
    private void removedNodeWrites(NodeId from, boolean applied) {
        LocalChange c = removedState.appendMemory(new MemoryEntry("m" + random.nextInt(), NOW, "removed", "note",
                "x", List.of()));
        SignedChange signed = SignedChanges.sign(identity.agentId().bytes(), removedKey, 1, c.seq(), c.changeBytes());
        core.message(from, new WireMessage.Changes(List.of(signed), false));
        if (applied) {
            store.append(signed).join(); // behind the core's own append of it, so that one is durable now
        }
    }

    private NodeRevocation removal(long lastValidSeq) {
        return NodeRevocation.issue(root, removedKey.verifyingKey(), NOW - 1_000, "compromised",
                List.of(new NodeRevocation.Cut(removedActor.bytes(), lastValidSeq)));
    }

    @Test
    void aNewRevocationClosesTheRemovedNodesConnectionIsPassedOnAndTellsTheListeners() {
        List<NodeId> told = new ArrayList<>();
        core.onRevoked(told::add);
        assertTrue(core.revoke(removal(0)));
        assertEquals(1, network.disconnects.size());
        assertTrue(network.disconnects.getFirst().contains("REVOKED") && network.disconnects.getFirst()
                .contains("compromised"), network.disconnects.toString());
        assertEquals(List.of(other), network.revocationsSentTo, "passed on to the others, not to the removed node");
        assertEquals(List.of(removed), told);
        assertTrue(core.revocations().isRevoked(removed));
        assertFalse(core.revoke(removal(0)), "the same revocation again is known");
        assertEquals(List.of(removed), told);
        assertTrue(core.revoke(NodeRevocation.issue(root, removedKey.verifyingKey(), NOW, "again", List.of())));
        assertEquals(List.of(removed), told, "a second revocation of a removed key removes nothing new");
        assertEquals("removed", core.peerStatus().stream().filter(p -> p.get("node").equals(removed.toString()))
                .findFirst().orElseThrow().get("link"));
    }

    @Test
    void theRemovedNodesChangesUpToTheCutApplyLaterOnesAreRefusedAndAChangeHeldPastTheCutIsReported() {
        removedNodeWrites(removed, true);
        removedNodeWrites(removed, true);
        removedNodeWrites(removed, true); // seq 3 arrives before the revocation, which keeps only up to 2
        core.revoke(removal(2));
        assertEquals(1, core.changesHeldPastCut());
        removedNodeWrites(other, false);
        assertEquals(1, core.replicator().stats().refusedRevoked());
        assertEquals(3, core.state().memoryCount());
    }

    @Test
    void aRemovedNodeThatConnectsAgainIsDisconnectedEvenWithANewerCertificateAndARevocationIsNotSentBack() {
        core.message(other, new WireMessage.Revocations(List.of(removal(0).toBytes())));
        assertTrue(core.revocations().isRevoked(removed));
        assertFalse(network.revocationsSentTo.contains(other));
        network.disconnects.clear();
        core.peerUp(removed, cert(removedKey, NOW - 50_000).toBytes(), 1, false);
        assertEquals(1, network.disconnects.size(), "refused at connect where the transport let it through");
        NodeCertificate enrolledAgain = cert(removedKey, NOW - 10); // issued after the revocation
        core.message(other, new WireMessage.Certificates(List.of(enrolledAgain.toBytes()), List.of()));
        core.peerUp(removed, enrolledAgain.toBytes(), 2, false);
        assertEquals(2, network.disconnects.size(), "a newer certificate for the removed key: refused all the same");
        assertTrue(network.disconnects.getLast().contains("stays removed"), network.disconnects.getLast());
        assertTrue(core.revocations().isRevoked(removed));
        // What it would write under that certificate, on a fresh store (a new incarnation), relayed by a peer.
        ActorId nextActor = ActorId.derive(removedKey.verifyingKey().bytes(), 2);
        try (AgentState fresh = AgentState.create(identity.agentId().bytes(), nextActor)) {
            LocalChange c = fresh.appendMemory(new MemoryEntry("m", NOW, "removed", "note", "x", List.of()));
            core.message(other, new WireMessage.Changes(List.of(SignedChanges.sign(identity.agentId().bytes(),
                    removedKey, 2, c.seq(), c.changeBytes())), false));
        }
        assertEquals(1, core.replicator().stats().refusedRevoked());
        assertEquals(0, core.state().memoryCount());
    }

    @Test
    void aRevocationThatDoesNotVerifyChangesNothing() {
        SigningKey otherRoot = key();
        NodeRevocation foreign = NodeRevocation.issue(otherRoot, removedKey.verifyingKey(), NOW, "", List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> core.revoke(foreign));
        assertTrue(e.getMessage().contains("not from this agent"), e.getMessage());
        core.message(other, new WireMessage.Revocations(List.of(foreign.toBytes(), new byte[] {1, 2, 3})));
        assertEquals(2, core.revocationsRefused());
        assertTrue(core.revocations().records().isEmpty());
        assertTrue(network.disconnects.isEmpty());
        assertTrue(network.revocationsSentTo.isEmpty());
        assertTrue(store.getMeta(StoredRevocations.META_KEY).isEmpty());
    }

    @Test
    void revocationsSurviveARestartAndStillLimitTheRemovedNodesActor() {
        removedNodeWrites(removed, true);
        core.revoke(removal(1));
        core.stop();
        core.state().close();
        core = startCore(NOW - 50_000);
        assertTrue(core.revocations().isRevoked(removed));
        core.peerUp(other, cert(otherKey, NOW - 50_000).toBytes(), 1, false);
        removedNodeWrites(other, false);
        assertEquals(1, core.replicator().stats().refusedRevoked());
    }

    @Test
    void aNodeWhoseOwnKeyIsRevokedDoesNotStartEvenWithANewerCertificate() {
        NodeRevocation ofMe = NodeRevocation.issue(root, me.verifyingKey(), NOW - 40_000, "lost",
                List.of(new NodeRevocation.Cut(identity.actor().bytes(), 0)));
        core.revoke(ofMe); // told while running: it says so and runs on alone, so the request that told it is answered
        assertTrue(fatal.isEmpty(), fatal.toString());
        core.stop();
        core.state().close();
        core = null;
        // The root certified the same key again, after the revocation: it does not start all the same.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> startCore(NOW - 30_000));
        assertOwnRemovalSaid(e.getMessage());
    }

    private static void assertOwnRemovalSaid(String reason) {
        assertTrue(reason.contains("this node's key was removed from the agent (lost, ")
                && reason.contains("it cannot come back") && reason.contains("agentmesh node keygen --home NEW"),
                reason);
    }

    /** Not about revocation, but this class has the core harness: a heartbeat ack's wall time becomes the offset. */
    @Test
    void aHeartbeatAckWithTheAnsweringNodesWallTimeShowsItsClockOffsetInPeerStatus() {
        core.message(other, new WireMessage.HeartbeatAck(0, WireMessage.HeartbeatAck.NO_WALL_TIME));
        var before = core.peerStatus().stream().filter(p -> p.get("node").equals(other.toString())).findFirst()
                .orElseThrow();
        assertEquals(null, before.get("clockOffsetMs"), "an ack without a wall time says nothing about the clock");
        core.message(other, new WireMessage.HeartbeatAck(0, NOW + 2_000));
        var after = core.peerStatus().stream().filter(p -> p.get("node").equals(other.toString())).findFirst()
                .orElseThrow();
        assertEquals(2_000L, after.get("clockOffsetMs"));
        assertEquals(0L, after.get("clockOffsetErrorMs"));
    }
}
