package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Replication figures on loopback with real nodes (Netty + TLS, SQLite, one node thread each), all in this JVM so
 * one monotonic clock times a change from the call that writes it to its application on the last other node:
 * commit-to-applied-everywhere latency under light load, messages and bytes per change, and the time and bytes for
 * a node 10,000 changes behind to catch up. Prints one JSON object.
 */
@Command(name = "replication", mixinStandardHelpOptions = true,
        description = "Benchmark commit-to-applied-everywhere latency, messages/bytes per change and catch-up.")
public final class ReplicationBenchmark implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "3,5,10", split = ",", description = "Mesh sizes (default ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--writes", defaultValue = "1000", description = "Timed writes per mesh size (default ${DEFAULT-VALUE}).")
    int writes;

    @Option(names = "--rate", defaultValue = "100", description = "Writes per second, light load (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--catch-up", defaultValue = "10000", description = "Changes a node is behind in the catch-up run (default ${DEFAULT-VALUE}).")
    int catchUp;

    @Option(names = "--dir", description = "Scratch directory (default: a new temporary directory).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        Path base = dir != null ? dir : Files.createTempDirectory("agentmesh-bench-repl");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "replication");
        result.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(), "java", System.getProperty("java.version")));
        result.put("rateWritesPerSecond", rate);
        for (int n : sizes) {
            try (Mesh mesh = new Mesh(base.resolve("n" + n), n)) {
                result.put("nodes" + n, latency(mesh));
            }
        }
        try (Mesh mesh = new Mesh(base.resolve("catchup"), 3)) {
            result.put("catchUp", catchUp(mesh));
        }
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
        return 0;
    }

    private record Key(ActorId actor, long seq) {
    }

    private Map<String, Object> latency(Mesh mesh) throws Exception {
        int n = mesh.nodes.size();
        // Per change: {nodes that applied it, time of the latest application}.
        Map<Key, long[]> applied = new ConcurrentHashMap<>();
        for (NodeRuntime node : mesh.nodes) {
            node.onRemoteApplied(c -> {
                long now = System.nanoTime();
                applied.compute(new Key(c.actor(), c.seq()), (k, v) -> v == null ? new long[]{1, now}
                        : new long[]{v[0] + 1, Math.max(v[1], now)});
            });
        }
        mesh.awaitConnected();
        Random random = new Random(1);
        long framesBefore = mesh.framesOut();
        long bytesBefore = mesh.bytesOut();
        long[] latencies = new long[writes];
        long[] start = new long[writes];
        Key[] keys = new Key[writes];
        int warmup = Math.min(200, writes);
        long intervalNanos = 1_000_000_000L / rate;
        long next = System.nanoTime();
        for (int i = -warmup; i < writes; i++) {
            NodeRuntime writer = mesh.nodes.get(random.nextInt(n));
            long t0 = System.nanoTime();
            var signed = writer.appendMemoryForBenchmark("replication benchmark entry " + i).join();
            Key k = new Key(signed.actor(), signed.seq());
            if (i >= 0) {
                start[i] = t0;
                keys[i] = k;
            }
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Arrays.stream(keys).allMatch(k -> complete(applied.get(k), n)) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        int measured = 0;
        for (int i = 0; i < writes; i++) {
            long[] a = applied.get(keys[i]);
            if (complete(a, n)) {
                latencies[measured++] = a[1] - start[i];
            }
        }
        long[] sorted = Arrays.copyOf(latencies, measured);
        Arrays.sort(sorted);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("writes", writes);
        r.put("measured", measured);
        r.put("p50Ms", sorted.length == 0 ? null : sorted[sorted.length / 2] / 1e6);
        r.put("p99Ms", sorted.length == 0 ? null : sorted[(int) (sorted.length * 0.99)] / 1e6);
        r.put("maxMs", sorted.length == 0 ? null : sorted[sorted.length - 1] / 1e6);
        long total = writes + warmup;
        r.put("framesPerChange", round((mesh.framesOut() - framesBefore) / (double) total));
        r.put("bytesPerChange", Math.round((mesh.bytesOut() - bytesBefore) / (double) total));
        return r;
    }

    private static boolean complete(long[] applied, int nodes) {
        return applied != null && applied[0] >= nodes - 1;
    }

    private Map<String, Object> catchUp(Mesh mesh) throws Exception {
        mesh.awaitConnected();
        mesh.stop(2);
        for (int i = 0; i < catchUp; i++) {
            mesh.nodes.get(i % 2).appendMemoryForBenchmark("catch-up entry " + i).join();
        }
        long target = mesh.nodes.get(0).changeCount();
        long bytesBefore = mesh.nodes.get(0).networkStats().bytesOut() + mesh.nodes.get(1).networkStats().bytesOut();
        long t0 = System.nanoTime();
        NodeRuntime late = mesh.start(2);
        while (late.changeCount() < target && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(120)) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long bytes = mesh.nodes.get(0).networkStats().bytesOut() + mesh.nodes.get(1).networkStats().bytesOut() - bytesBefore;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("changesBehind", catchUp);
        r.put("msFromStartToAllDurable", ms);
        r.put("caughtUp", late.changeCount() >= target);
        r.put("bytesSentToCatchUp", bytes);
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** N nodes of one fresh agent, each with its own store, node thread and Netty transport. */
    static final class Mesh implements AutoCloseable {
        final List<NodeRuntime> nodes = new ArrayList<>();
        final List<NodeId> ids = new ArrayList<>();
        final List<Integer> ports = new ArrayList<>();
        final Path dir;

        Mesh(Path dir, int n) throws IOException {
            this.dir = dir;
            SecureRandom random = new SecureRandom();
            SigningKey root = IdentityDirectory.of(dir.resolve("node0/identity")).createAgent(random, Optional.empty());
            for (int i = 0; i < n; i++) {
                IdentityDirectory d = IdentityDirectory.of(dir.resolve("node" + i + "/identity"));
                SigningKey key = d.createNodeKey(random, Optional.empty());
                d.writeAgentPublicKey(root.verifyingKey());
                long now = System.currentTimeMillis();
                d.writeCertificate(NodeCertificate.issue(root, key.verifyingKey(), Role.VOTER, now - 60_000, now + 86_400_000L));
                ids.add(d.nodeId());
                ports.add(freePort());
            }
            for (int i = 0; i < n; i++) {
                nodes.add(null);
                start(i);
            }
        }

        NodeRuntime start(int i) throws IOException {
            List<NodeSettings.PeerSpec> peers = new ArrayList<>();
            for (int j = 0; j < ids.size(); j++) {
                if (j != i) {
                    peers.add(new NodeSettings.PeerSpec(ids.get(j), InetSocketAddress.createUnresolved("127.0.0.1", ports.get(j))));
                }
            }
            Path home = dir.resolve("node" + i);
            NodeRuntime node = NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"),
                    Optional.empty(), new InetSocketAddress("127.0.0.1", ports.get(i)), Optional.empty(),
                    new InetSocketAddress("127.0.0.1", 0), peers, List.of(), 1_000_000, false));
            nodes.set(i, node);
            return node;
        }

        void stop(int i) {
            nodes.get(i).shutdown("benchmark");
        }

        void awaitConnected() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (NodeRuntime node : nodes) {
                while (node.connectedPeers() < nodes.size() - 1 && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(20);
                }
            }
        }

        long framesOut() {
            return nodes.stream().mapToLong(n -> n.networkStats().framesOut()).sum();
        }

        long bytesOut() {
            return nodes.stream().mapToLong(n -> n.networkStats().bytesOut()).sum();
        }

        @Override
        public void close() {
            nodes.forEach(n -> n.shutdown("benchmark done"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
