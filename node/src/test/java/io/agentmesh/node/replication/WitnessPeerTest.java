package io.agentmesh.node.replication;

import io.agentmesh.node.port.Network;
import io.agentmesh.protocol.change.SignedChange;
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

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.agentmesh.node.replication.ReplicatorFixture.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer that exchanges no changes (a witness, or any peer of a witness) is connected and nothing more: it gets no
 * digest and no push, its digests are not answered and its changes are not taken.
 */
class WitnessPeerTest {
    private final SigningKey witnessKey = key(4);
    private final List<String> sent = new ArrayList<>();
    private ReplicatorFixture node;
    private AgentState witnessState;
    private Replicator replicator;
    private NodeId server;
    private NodeId witness;

    @BeforeEach
    void setUp(@TempDir Path dir) {
        node = new ReplicatorFixture(dir, key(1), key(2));
        server = node.admit(key(3), Role.VOTER);
        witness = node.admit(witnessKey, Role.WITNESS);
        witnessState = node.peerState(witnessKey);
        replicator = node.replicator(new Network() {
            @Override
            public void dial(NodeId peer, InetSocketAddress address) {
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
        });
    }

    @AfterEach
    void tearDown() {
        node.close();
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
        LocalChange c = ReplicatorFixture.note(witnessState, "m1");
        SignedChange signed = node.signed(witnessKey, c);
        replicator.onChanges(witness, new WireMessage.Changes(List.of(signed), false));
        assertEquals(0, node.state.memoryCount());
        assertEquals(0, replicator.stats().rejected() + replicator.stats().changesApplied());

        replicator.onDigest(server, new WireMessage.Digest(List.of(), true));
        assertTrue(sent.contains("server Digest") && sent.contains("server Changes"), sent::toString);
    }
}
