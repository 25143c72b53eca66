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
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer that exchanges no changes (a witness, or any peer of a witness) is connected and nothing more: it gets no
 * digest and no push, its digests are not answered and its changes are not taken.
 */
class WitnessPeerTest {
    private static final long NOW = 1_800_000_000_000L;
    private final SigningKey root = key(1);
    private final SigningKey me = key(2);
    private final SigningKey serverKey = key(3);
    private final SigningKey witnessKey = key(4);
    private final NodeId server = NodeId.of(serverKey.verifyingKey());
    private final NodeId witness = NodeId.of(witnessKey.verifyingKey());
    private final List<String> sent = new ArrayList<>();
    private ChangeStore store;
    private AgentState state;
    private AgentState witnessState;
    private Replicator replicator;

    private static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    private NodeCertificate cert(SigningKey node, Role role) {
        return NodeCertificate.issue(root, node.verifyingKey(), role, NOW - 1000, NOW + 1_000_000);
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        LocalIdentity identity = new LocalIdentity(root.verifyingKey(), me, cert(me, Role.VOTER), 1);
        Clock clock = new Clock() {
            public long nowMillis() {
                return NOW;
            }

            public long monotonicNanos() {
                return 0;
            }
        };
        Membership membership = new Membership(root.verifyingKey(), identity.certificate(), clock);
        membership.admit(cert(serverKey, Role.VOTER));
        membership.admit(cert(witnessKey, Role.WITNESS));
        store = SqliteChangeStore.open(dir.resolve("s.db"));
        state = AgentState.create(identity.agentId().bytes(), identity.actor());
        witnessState = AgentState.create(identity.agentId().bytes(), ActorId.derive(witnessKey.verifyingKey().bytes(),
                1));
        replicator = ReplicatorUnderTest.create(identity, membership, state, store,
                new io.agentmesh.node.port.Network() {
                    @Override
                    public void dial(NodeId peer, java.net.InetSocketAddress address) {
                    }

                    @Override
                    public boolean send(NodeId peer, WireMessage message) {
                        sent.add((peer.equals(witness) ? "witness " : "server ") + message.getClass().getSimpleName());
                        return true;
                    }

                    @Override
                    public void disconnect(NodeId peer, String reason) {
                        sent.add("disconnect " + peer);
                    }
                }, clock, 2_000);
    }

    @AfterEach
    void tearDown() {
        store.close();
        state.close();
        witnessState.close();
    }

    @Test
    void aWitnessPeerIsConnectedButGetsNoDigestAndNoChangeAndIsNotListenedTo() {
        replicator.peerUp(server, true);
        replicator.peerUp(witness, false);
        assertEquals(Set.of(server, witness), replicator.connectedPeers());
        replicator.tick();
        replicator.tick();
        replicator.onDigest(witness, new WireMessage.Digest(List.of(), true));
        assertTrue(sent.stream().noneMatch(s -> s.startsWith("witness")), sent::toString);
        assertEquals(0, replicator.lag(witness));

        // A correctly signed change from the witness is not even looked at.
        LocalChange c = witnessState.appendMemory(new MemoryEntry("m1", NOW, "w", "note", "x", List.of()));
        SignedChange signed = SignedChanges.sign(AgentId.of(root.verifyingKey()).bytes(), witnessKey, 1, c.seq(),
                c.changeBytes());
        replicator.onChanges(witness, new WireMessage.Changes(List.of(signed), false));
        assertEquals(0, state.memoryCount());
        assertEquals(0, replicator.stats().rejected() + replicator.stats().changesApplied());

        replicator.onDigest(server, new WireMessage.Digest(List.of(), true));
        assertTrue(sent.contains("server Digest") && sent.contains("server Changes"), sent::toString);
    }
}
