package io.agentmesh.node.mesh;

import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.node.net.NettyNetwork;
import io.agentmesh.node.net.NetworkConfig;
import io.agentmesh.protocol.change.ActorId;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An enrolled but dishonest peer, over real TLS: forged, tampered and foreign-signed changes change nothing on an
 * honest node, and a peer that keeps sending them is disconnected.
 */
class ForgedChangeTest {

    @SuppressWarnings("unchecked")
    private static long rejected(io.agentmesh.node.runtime.NodeRuntime node) {
        Map<String, Object> status = node.status().join();
        return ((Map<String, Long>) status.get("replication")).get("rejected");
    }

    @Test
    void forgedAndTamperedChangesFromAnEnrolledPeerChangeNothingAndGetItDisconnected(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 1)) {
            var honest = mesh.start(0);
            SecureRandom random = new SecureRandom();
            SigningKey evilKey = SigningKey.generate(random);
            long now = System.currentTimeMillis();
            NodeCertificate evilCert = NodeCertificate.issue(mesh.root, evilKey.verifyingKey(), Role.VOTER, now - 60_000, now + 600_000);
            LocalIdentity evil = new LocalIdentity(mesh.root.verifyingKey(), evilKey, evilCert, 1);
            SigningKey stranger = SigningKey.generate(random);

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
            ConcurrentLinkedQueue<String> downs = new ConcurrentLinkedQueue<>();
            Network.Listener listener = new Network.Listener() {
                public void peerUp(NodeId peer, byte[] certificate, long incarnation, boolean outbound) {
                    up.countDown();
                }

                public void peerDown(NodeId peer, String reason) {
                    downs.add(reason);
                }

                public void dialFailed(NodeId peer, String reason) {
                }

                public void message(NodeId peer, WireMessage message) {
                }
            };
            NettyNetwork network = new NettyNetwork(NetworkConfig.defaults("127.0.0.1", 0), evil, scheduler, listener,
                    new SystemClock());
            AgentState evilState = AgentState.create(evil.agentId().bytes(), evil.actor());
            try {
                network.start();
                network.dial(mesh.ids.get(0), new InetSocketAddress("127.0.0.1", mesh.meshPorts.get(0)));
                assertTrue(up.await(20, TimeUnit.SECONDS), "the enrolled peer should be let in");
                byte[] agentId = evil.agentId().bytes();
                for (int i = 0; i < 20; i++) {
                    LocalChange c = evilState.appendMemory(new MemoryEntry("forged-" + i, now, "evil", "note", "forged " + i, List.of()));
                    SignedChange good = SignedChanges.sign(agentId, evilKey, 1, c.seq(), c.changeBytes());
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
                    network.send(mesh.ids.get(0), new WireMessage.Changes(List.of(bad), false));
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> !downs.isEmpty());
                assertTrue(rejected(honest) > 16, "rejected: " + rejected(honest));
                assertEquals(0L, honest.memoryCount().join());
                assertEquals(0L, honest.changeCount());
            } finally {
                evilState.close();
                network.close();
                thread.shutdownNow();
            }
        }
    }
}
