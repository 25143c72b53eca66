package io.agentmesh.node.mesh;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

import static io.agentmesh.node.mesh.MeshNotes.replication;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An enrolled but dishonest peer, over real TLS: forged, tampered and foreign-signed changes change nothing on an
 * honest node, and a peer that keeps sending them is disconnected.
 */
class ForgedChangeTest {

    @Test
    void forgedAndTamperedChangesFromAnEnrolledPeerChangeNothingAndGetItDisconnected(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 1)) {
            var honest = mesh.start(0);
            long now = System.currentTimeMillis();
            SigningKey stranger = SigningKey.generate(new SecureRandom());
            try (HandDrivenPeer evil = new HandDrivenPeer(mesh, Role.VOTER);
                 AgentState evilState = AgentState.create(evil.identity.agentId().bytes(), evil.identity.actor())) {
                evil.connect(mesh, 0);
                byte[] agentId = evil.identity.agentId().bytes();
                for (int i = 0; i < 20; i++) {
                    LocalChange c = evilState.appendMemory(new MemoryEntry("forged-" + i, now, "evil", "note", "forged " + i, List.of()));
                    SignedChange good = SignedChanges.sign(agentId, evil.key, 1, c.seq(), c.changeBytes());
                    SignedChange bad = switch (i % 3) {
                        case 0 -> { // signature does not match
                            byte[] sig = good.signature();
                            sig[10] ^= 1;
                            yield new SignedChange(good.signerKey(), 1, good.actor(), good.seq(), good.bytes(), sig);
                        }
                        case 1 -> { // bytes altered after signing
                            byte[] bytes = good.bytes();
                            bytes[bytes.length - 1] ^= 1;
                            yield new SignedChange(good.signerKey(), 1, good.actor(), good.seq(), bytes, good.signature());
                        }
                        default -> // claims another actor than its signer's
                                new SignedChange(good.signerKey(), 1, ActorId.derive(stranger.verifyingKey().bytes(), 1),
                                        good.seq(), good.bytes(), good.signature());
                    };
                    evil.push(mesh.ids.get(0), List.of(bad));
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> !evil.downs.isEmpty());
                assertTrue(replication(honest, "rejected") > 16, "rejected: " + replication(honest, "rejected"));
                assertEquals(0L, honest.memoryCount().join());
                assertEquals(0L, honest.changeCount());
            }
        }
    }
}
