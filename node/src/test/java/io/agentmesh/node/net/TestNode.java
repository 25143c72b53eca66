package io.agentmesh.node.net;

import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;

import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A started {@link NettyNetwork} on loopback with a recording listener and its own node thread. */
final class TestNode implements AutoCloseable {
    private static final AtomicInteger COUNT = new AtomicInteger();

    final String threadName = "test-node-" + COUNT.incrementAndGet();
    final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
    });
    final RecordingListener events = new RecordingListener();
    final SigningKey key;
    final NodeCertificate certificate;
    final NodeId id;
    final NettyNetwork net;
    final InetSocketAddress address;

    static NetworkConfig config() {
        return NetworkConfig.defaults("127.0.0.1", 0).withHandshakeTimeoutMs(2_000);
    }

    static TestNode of(TestAgent agent) {
        return of(agent, config());
    }

    static TestNode of(TestAgent agent, NetworkConfig config) {
        SigningKey key = TestAgent.newNodeKey();
        return new TestNode(config, key, agent.certify(key), 1, agent);
    }

    TestNode(NetworkConfig config, SigningKey key, NodeCertificate certificate, long incarnation, TestAgent agent) {
        this(config, key, certificate, incarnation, agent, io.agentmesh.node.limits.Limits.defaults());
    }

    static TestNode withLimits(TestAgent agent, io.agentmesh.node.limits.Limits limits) {
        SigningKey key = TestAgent.newNodeKey();
        return new TestNode(config(), key, agent.certify(key), 1, agent, limits);
    }

    TestNode(NetworkConfig config, SigningKey key, NodeCertificate certificate, long incarnation, TestAgent agent,
             io.agentmesh.node.limits.Limits limits) {
        this.key = key;
        this.certificate = certificate;
        this.id = NodeId.of(key.verifyingKey());
        Scheduler scheduler = new Scheduler() {
            @Override
            public void execute(Runnable task) {
                thread.execute(task);
            }

            @Override
            public Cancellable schedule(Runnable task, long delayMs) {
                ScheduledFuture<?> f = thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                return () -> f.cancel(false);
            }
        };
        this.net = new NettyNetwork(config, key, certificate, incarnation, agent.root.verifyingKey(), scheduler,
                events, new SystemClock(), peerCertificate -> false, limits);
        this.address = net.start();
    }

    void dial(TestNode other) {
        net.dial(other.id, other.address);
    }

    @Override
    public void close() {
        net.close();
        thread.shutdownNow();
    }
}
