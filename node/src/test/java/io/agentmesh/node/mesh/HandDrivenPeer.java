package io.agentmesh.node.mesh;

import io.agentmesh.node.net.NettyNetwork;
import io.agentmesh.node.net.NetworkConfig;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.protocol.wire.WireMessage;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An enrolled peer that is no node runtime: a fresh key the mesh's agent root certifies, on its own Netty network over
 * loopback TLS, which the test makes send what an honest node never would (forged changes, changes of a removed
 * node). It keeps nothing of what it hears; it only notes its connections going up and down. Close it.
 */
final class HandDrivenPeer implements AutoCloseable {
    final SigningKey key = SigningKey.generate(new SecureRandom());
    final LocalIdentity identity;
    /** Why each connection of this peer went down, in order. */
    final Queue<String> downs = new ConcurrentLinkedQueue<>();
    private final CountDownLatch up = new CountDownLatch(1);
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
    private final NettyNetwork network;

    /** Enrolled in {@code mesh}'s agent as {@code role}, certified from a minute ago for ten minutes; listening. */
    HandDrivenPeer(LocalMesh mesh, Role role) {
        long now = System.currentTimeMillis();
        identity = new LocalIdentity(mesh.root.verifyingKey(), key, NodeCertificate.issue(mesh.root,
                key.verifyingKey(), role, now - 60_000, now + 600_000), 1);
        Scheduler scheduler = new Scheduler() {
            public void execute(Runnable task) {
                thread.execute(task);
            }

            public Cancellable schedule(Runnable task, long delayMs) {
                var f = thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                return () -> f.cancel(false);
            }
        };
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
        network = new NettyNetwork(NetworkConfig.defaults("127.0.0.1", 0), identity, scheduler, listener,
                new SystemClock());
        network.start();
    }

    /** Dials node {@code i} of {@code mesh} and waits (at most 20 s) until it lets this peer in. */
    void connect(LocalMesh mesh, int i) throws InterruptedException {
        network.dial(mesh.ids.get(i), new InetSocketAddress("127.0.0.1", mesh.meshPorts.get(i)));
        assertTrue(up.await(20, TimeUnit.SECONDS), "the enrolled peer should be let in");
    }

    /** Sends {@code changes} to node {@code to} as one pushed batch. */
    void push(NodeId to, List<SignedChange> changes) {
        network.send(to, new WireMessage.Changes(changes, false));
    }

    @Override
    public void close() {
        network.close();
        thread.shutdownNow();
    }
}
