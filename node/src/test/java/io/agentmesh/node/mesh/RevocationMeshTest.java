package io.agentmesh.node.mesh;

import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.net.AuthFailure;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.agentmesh.node.mesh.MeshNotes.oneFromEachNode;
import static io.agentmesh.node.mesh.MeshNotes.replication;
import static io.agentmesh.node.mesh.MeshNotes.texts;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Removing a running node from a mesh of three, over real TLS and SQLite, with the command an operator runs: it is
 * cut off within seconds and refused when it comes back, its later changes are refused everywhere even when an
 * enrolled peer relays them, its earlier ones still reach a node that was down, and the machine comes back only under
 * a new node key, as a new voter. Its removed key stays refused even under a newer certificate, and a node holding
 * the revocation of its own key stops at start, saying to make a new one.
 */
class RevocationMeshTest {

    @SuppressWarnings("unchecked")
    private static Object consensus(NodeRuntime node, String field) {
        Map<String, Object> consensus = (Map<String, Object>) node.status().join().get("consensus");
        return consensus == null ? null : consensus.get(field);
    }

    @SuppressWarnings("unchecked")
    private static List<String> voters(NodeRuntime node) {
        Object voters = consensus(node, "voters");
        return voters == null ? List.of() : (List<String>) voters;
    }

    private static long refusedAsRevoked(NodeRuntime node) {
        return node.networkStats().authFailures().getOrDefault(AuthFailure.REVOKED, 0L);
    }

    private static int remove(LocalMesh mesh, int by, int removed) {
        return AgentmeshCommand.execute("node", "remove", mesh.ids.get(removed).toString(), "--home",
                mesh.home(by).toString(), "--http", "127.0.0.1:" + mesh.httpPorts.get(by), "--reason", "test removal");
    }

    /** Certifies node {@code i}'s key again with the agent root, issued now (after any revocation so far). */
    private static void enrollAgain(LocalMesh mesh, int i) throws Exception {
        IdentityDirectory d = IdentityDirectory.of(mesh.home(i).resolve("identity"));
        long now = System.currentTimeMillis();
        // Issued strictly after the revocation, which read this clock earlier: a newer certificate of the same key.
        d.writeCertificate(NodeCertificate.issue(mesh.root, d.nodePublicKey(), Role.VOTER, now - 60_000,
                now + 86_400_000, now + 1));
    }

    /**
     * What an operator does to bring the machine of removed node {@code i} back: its old home moved away, a new node
     * key made in a new home, enrolled where the root key lives (node 0's home) and installed, with the commands of
     * docs/identity.md. The new node takes slot {@code i} (same ports) with a fresh state directory.
     */
    private static void comeBackUnderANewKey(LocalMesh mesh, int i) throws Exception {
        Files.move(mesh.home(i), mesh.dir.resolve("node" + i + ".removed"));
        String home = mesh.home(i).toString();
        assertEquals(0, AgentmeshCommand.execute("node", "keygen", "--home", home));
        IdentityDirectory d = IdentityDirectory.of(mesh.home(i).resolve("identity"));
        Path certificate = mesh.dir.resolve("node" + i + "-new-cert.json");
        assertEquals(0, AgentmeshCommand.execute("node", "enroll", "--home", mesh.home(0).toString(),
                "--public-key", d.nodePublicKey().hex(), "--out", certificate.toString()));
        assertEquals(0, AgentmeshCommand.execute("node", "join", "--home", home, "--certificate",
                certificate.toString()));
        mesh.ids.set(i, d.nodeId());
    }

    @Test
    void aRemovedNodeIsCutOffItsLaterChangesAreRefusedEverywhereAndItsMachineComesBackUnderANewKey(@TempDir Path dir)
            throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            mesh.startAll();
            oneFromEachNode(mesh);
            mesh.stop(1);
            for (int i = 0; i < 3; i++) {
                mesh.nodes[2].appendMemory("note", "before removal " + i, List.of()).join();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> texts(mesh.nodes[0]).contains("before removal 2"));

            long t0 = System.nanoTime();
            assertEquals(0, remove(mesh, 0, 2));
            long t1 = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                    .until(() -> mesh.nodes[0].connectedPeers() == 0 && mesh.nodes[2].connectedPeers() == 0);
            System.out.printf("`agentmesh node remove` took %d ms; the removed node was cut off %d ms after it"
                    + " returned%n", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
            // It keeps running alone and redials; each attempt is refused at the handshake.
            await().atMost(Duration.ofSeconds(10)).until(() -> refusedAsRevoked(mesh.nodes[0]) > 0);
            mesh.nodes[2].appendMemory("note", "after removal", List.of()).join();

            // Its key signs a change past the cut and an enrolled peer relays it: refused there too.
            relayPastTheCut(mesh, 2, 0);
            await().atMost(Duration.ofSeconds(10)).until(() -> replication(mesh.nodes[0], "refusedRevoked") > 0);

            // A node that was down while it was removed learns it from a peer and still gets its earlier changes.
            mesh.stop(2);
            mesh.start(1);
            await().atMost(Duration.ofSeconds(20)).until(() -> texts(mesh.nodes[1]).equals(texts(mesh.nodes[0])));
            assertTrue(texts(mesh.nodes[1]).contains("before removal 2"));
            assertFalse(texts(mesh.nodes[0]).contains("after removal"));
            assertTrue(mesh.nodes[1].revocations().join().toString().contains(mesh.ids.get(2).toString()));
            // With a majority back, the leader takes the removed voter out of the Raft group.
            String removedId = mesh.ids.get(2).toString();
            await().atMost(Duration.ofSeconds(30)).until(() -> voters(mesh.nodes[0]).size() == 2
                    && !voters(mesh.nodes[0]).contains(removedId));

            // Back with its old certificate: refused by both.
            mesh.start(2);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> refusedAsRevoked(mesh.nodes[1]) > 0 && mesh.nodes[2].connectedPeers() == 0);
            mesh.stop(2);

            // The machine comes back under a new key, on a fresh store: accepted, resynced, and a voter again.
            NodeId oldId = mesh.ids.get(2);
            comeBackUnderANewKey(mesh, 2);
            String newId = mesh.ids.get(2).toString();
            assertFalse(newId.equals(oldId.toString()));
            NodeRuntime back = mesh.start(2);
            await().atMost(Duration.ofSeconds(30)).until(() -> back.connectedPeers() == 2);
            long connected = System.nanoTime();
            back.appendMemory("note", "rejoined", List.of()).join();
            for (int i = 0; i < 3; i++) {
                NodeRuntime node = mesh.nodes[i];
                await().atMost(Duration.ofSeconds(20)).until(() -> texts(node).contains("rejoined"));
            }
            assertEquals(texts(mesh.nodes[0]), texts(back));
            assertEquals(texts(mesh.nodes[0]), texts(mesh.nodes[1]));
            assertEquals(7, texts(back).size(), "3 first, 3 before removal, 1 after coming back");
            await().atMost(Duration.ofSeconds(60)).until(() -> voters(mesh.nodes[0]).size() == 3
                    && voters(mesh.nodes[0]).contains(newId));
            System.out.printf("the new key was a Raft voter %d ms after it reached both nodes%n",
                    (System.nanoTime() - connected) / 1_000_000);
            assertFalse(voters(mesh.nodes[0]).contains(removedId));
            assertTrue(mesh.nodes[0].revocations().join().toString().contains(oldId.toString()),
                    "the old key stays removed");
        }
    }

    @Test
    void aRemovedKeyStaysRefusedUnderANewerCertificateAndANodeHoldingItsOwnRevocationStopsAtStartSayingToMakeANewKey(
            @TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 2)) {
            mesh.startAll();
            mesh.nodes[1].appendMemory("note", "x", List.of()).join();
            await().atMost(Duration.ofSeconds(20)).until(() -> texts(mesh.nodes[0]).contains("x"));
            Path revocation = dir.resolve("revoke-1.json");
            assertEquals(0, AgentmeshCommand.execute("node", "remove", mesh.ids.get(1).toString(), "--home",
                    mesh.home(0).toString(), "--http", "127.0.0.1:" + mesh.httpPorts.get(0), "--out",
                    revocation.toString()));
            assertEquals(0, AgentmeshCommand.execute("node", "revoke-apply", "--file", revocation.toString(),
                    "--http", "127.0.0.1:" + mesh.httpPorts.get(0)));
            mesh.stop(1);

            // The root certifies the removed key again; started on its old store (which does not hold the
            // revocation: node 0 cut it off without sending it), it is refused at every handshake.
            enrollAgain(mesh, 1);
            NodeRuntime refused = mesh.start(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> refusedAsRevoked(mesh.nodes[0]) > 0);
            assertEquals(0, refused.connectedPeers());
            refused.appendMemory("note", "under the newer certificate", List.of()).join();

            // Handed its own revocation, it keeps it; from then on it does not start.
            assertEquals(0, AgentmeshCommand.execute("node", "revoke-apply", "--file", revocation.toString(),
                    "--http", "127.0.0.1:" + mesh.httpPorts.get(1)));
            mesh.stop(1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mesh.start(1));
            assertOwnRemovalSaid(e.getMessage());
            assertFalse(texts(mesh.nodes[0]).contains("under the newer certificate"));
        }
    }

    private static void assertOwnRemovalSaid(String reason) {
        assertTrue(reason.startsWith("this node's key was removed from the agent")
                && reason.contains("it cannot come back") && reason.contains("agentmesh node keygen --home NEW"),
                reason);
    }

    /**
     * An enrolled peer (a fresh key the root certifies) connects to node {@code to} and sends a change signed with
     * node {@code removed}'s key, one seq past everything that node wrote before its removal.
     */
    private static void relayPastTheCut(LocalMesh mesh, int removed, int to) throws Exception {
        IdentityDirectory removedDir = IdentityDirectory.of(mesh.home(removed).resolve("identity"));
        SigningKey removedKey = removedDir.readNodeKey(Optional.empty());
        long written = mesh.nodes[removed].status().join().get("vector") instanceof Map<?, ?> v
                ? ((Number) v.get(ActorId.derive(removedKey.verifyingKey().bytes(), 1).hex())).longValue() : 0;
        ActorId actor = ActorId.derive(removedKey.verifyingKey().bytes(), 1);
        long now = System.currentTimeMillis();
        try (HandDrivenPeer relay = new HandDrivenPeer(mesh, Role.LEARNER);
             AgentState forged = AgentState.create(relay.identity.agentId().bytes(), actor)) {
            relay.connect(mesh, to);
            LocalChange past = null;
            for (long seq = 1; seq <= written + 1; seq++) {
                past = forged.appendMemory(new MemoryEntry("past-" + seq, now, "removed", "note", "past the cut",
                        List.of()));
            }
            SignedChange change = SignedChanges.sign(relay.identity.agentId().bytes(), removedKey, 1, past.seq(),
                    past.changeBytes());
            relay.push(mesh.ids.get(to), List.of(change));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> replication(mesh.nodes[to], "refusedRevoked") > 0);
        }
        assertFalse(texts(mesh.nodes[to]).contains("past the cut"));
    }
}
