package io.agentmesh.node.mesh;

import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.net.AuthFailure;
import io.agentmesh.node.net.NettyNetwork;
import io.agentmesh.node.net.NetworkConfig;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Removing a running node from a mesh of three, over real TLS and SQLite, with the command an operator runs: it is
 * cut off within seconds and refused when it comes back, its later changes are refused everywhere even when an
 * enrolled peer relays them, its earlier ones still reach a node that was down, and it rejoins with a new enrollment
 * on a fresh store (and stops, saying why, on its old one).
 */
class RevocationMeshTest {

    private static Set<String> texts(NodeRuntime node) {
        return node.memory(10_000).join().stream().map(e -> ((MemoryEntry) e).text()).collect(Collectors.toSet());
    }

    @SuppressWarnings("unchecked")
    private static long replication(NodeRuntime node, String counter) {
        return ((Map<String, Long>) node.status().join().get("replication")).get(counter);
    }

    @SuppressWarnings("unchecked")
    private static List<String> voters(NodeRuntime node) {
        Map<String, Object> consensus = (Map<String, Object>) node.status().join().get("consensus");
        return consensus == null ? List.of() : (List<String>) consensus.get("voters");
    }

    private static long refusedAsRevoked(NodeRuntime node) {
        return node.networkStats().authFailures().getOrDefault(AuthFailure.REVOKED, 0L);
    }

    private static int remove(LocalMesh mesh, int by, int removed) {
        return AgentmeshCommand.execute("node", "remove", mesh.ids.get(removed).toString(), "--home",
                mesh.home(by).toString(), "--http", "127.0.0.1:" + mesh.httpPorts.get(by), "--reason", "test removal");
    }

    /** Enrolls node {@code i}'s key again with the agent root, issued now (after any revocation so far). */
    private static void enrollAgain(LocalMesh mesh, int i) throws Exception {
        IdentityDirectory d = IdentityDirectory.of(mesh.home(i).resolve("identity"));
        long now = System.currentTimeMillis();
        Thread.sleep(2); // issued strictly after the revocation, which used this clock too
        d.writeCertificate(NodeCertificate.issue(mesh.root, d.nodePublicKey(), Role.VOTER, now - 60_000,
                now + 86_400_000, System.currentTimeMillis()));
    }

    @Test
    void aRemovedNodeIsCutOffItsLaterChangesAreRefusedEverywhereAndItRejoinsWithANewEnrollment(@TempDir Path dir)
            throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            mesh.startAll();
            for (int i = 0; i < 3; i++) {
                mesh.nodes[i].appendMemory("note", "from node " + i, List.of()).join();
            }
            for (NodeRuntime node : mesh.nodes) {
                await().atMost(Duration.ofSeconds(20)).until(() -> texts(node).size() == 3);
            }
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

            // Enrolled again, on a fresh store: accepted, resynced, writing under a new actor.
            enrollAgain(mesh, 2);
            Files.move(mesh.home(2).resolve("state"), mesh.home(2).resolve("state.removed"));
            NodeRuntime back = mesh.start(2);
            await().atMost(Duration.ofSeconds(20)).until(() -> back.connectedPeers() == 2);
            back.appendMemory("note", "rejoined", List.of()).join();
            for (int i = 0; i < 3; i++) {
                NodeRuntime node = mesh.nodes[i];
                await().atMost(Duration.ofSeconds(20)).until(() -> texts(node).contains("rejoined"));
            }
            assertEquals(texts(mesh.nodes[0]), texts(back));
            assertEquals(texts(mesh.nodes[0]), texts(mesh.nodes[1]));
            assertEquals(7, texts(back).size(), "3 first, 3 before removal, 1 after rejoining");
        }
    }

    @Test
    void aNodeEnrolledAgainButStartedOnItsOldStoreStopsSayingToMoveItAway(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 2)) {
            mesh.startAll();
            mesh.nodes[1].appendMemory("note", "x", List.of()).join();
            await().atMost(Duration.ofSeconds(20)).until(() -> texts(mesh.nodes[0]).contains("x"));
            assertEquals(0, remove(mesh, 0, 1));
            mesh.stop(1);
            enrollAgain(mesh, 1);
            NodeRuntime stale = mesh.start(1);
            String reason = stale.terminated().get(20, TimeUnit.SECONDS);
            assertTrue(reason.startsWith("fatal") && reason.contains("move the state directory away"), reason);
            mesh.nodes[1] = null;
        }
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
        SigningKey relayKey = SigningKey.generate(new SecureRandom());
        long now = System.currentTimeMillis();
        LocalIdentity relay = new LocalIdentity(mesh.root.verifyingKey(), relayKey, NodeCertificate.issue(mesh.root,
                relayKey.verifyingKey(), Role.LEARNER, now - 60_000, now + 600_000), 1);
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        Scheduler scheduler = new Scheduler() {
            public void execute(Runnable task) {
                thread.execute(task);
            }

            public Cancellable schedule(Runnable task, long delayMs) {
                var f = thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                return () -> f.cancel(false);
            }
        };
        CountDownLatch up = new CountDownLatch(1);
        Network.Listener listener = new Network.Listener() {
            public void peerUp(NodeId peer, byte[] certificate, long incarnation, boolean outbound) {
                up.countDown();
            }

            public void peerDown(NodeId peer, String reason) {
            }

            public void dialFailed(NodeId peer, String reason) {
            }

            public void message(NodeId peer, WireMessage message) {
            }
        };
        ActorId actor = ActorId.derive(removedKey.verifyingKey().bytes(), 1);
        NettyNetwork network = new NettyNetwork(NetworkConfig.defaults("127.0.0.1", 0), relay, scheduler, listener,
                new SystemClock());
        try (AgentState forged = AgentState.create(relay.agentId().bytes(), actor)) {
            network.start();
            network.dial(mesh.ids.get(to), new InetSocketAddress("127.0.0.1", mesh.meshPorts.get(to)));
            assertTrue(up.await(20, TimeUnit.SECONDS), "the enrolled relay should be let in");
            LocalChange past = null;
            for (long seq = 1; seq <= written + 1; seq++) {
                past = forged.appendMemory(new MemoryEntry("past-" + seq, now, "removed", "note", "past the cut",
                        List.of()));
            }
            SignedChange change = SignedChanges.sign(relay.agentId().bytes(), removedKey, 1, past.seq(),
                    past.changeBytes());
            network.send(mesh.ids.get(to), new WireMessage.Changes(List.of(change), false));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> replication(mesh.nodes[to], "refusedRevoked") > 0);
        } finally {
            network.close();
            thread.shutdownNow();
        }
        assertFalse(texts(mesh.nodes[to]).contains("past the cut"));
    }
}
