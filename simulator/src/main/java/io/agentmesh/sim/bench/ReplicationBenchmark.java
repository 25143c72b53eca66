package io.agentmesh.sim.bench;

import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.replication.ReplicationStats;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Replication figures on loopback with real nodes (Netty + TLS, SQLite, one node thread each), all in this JVM so
 * one monotonic clock times a change from the call that writes it to its application on the last other node:
 * commit-to-applied-everywhere latency under light load, messages and bytes per change, and the time and bytes for
 * a node 10,000 changes behind to catch up.
 *
 * <p>Nodes are driven only through what any operator has: writes through the node's operations (what the HTTP API
 * calls), and each node's replication counters. A write counts as applied on a node once that node's count of
 * applied peer changes has reached it. Only this benchmark writes, so those counts say which writes arrived as long
 * as at most one is in flight: each write waits until it is applied everywhere (or {@value #APPLY_TIMEOUT_MS} ms
 * pass) before the next one's turn, which at light load (the default 100 writes/s, a few ms each) is no wait.
 *
 * <p>What the mesh costs is split in two: {@code --idle-seconds} without writes measure its background (heartbeats,
 * digests and Raft over every connection: frames, bytes, CPU and allocation of the whole JVM), and the timed writes'
 * frames, bytes, CPU and allocation beyond that background are what each change costs. {@code backgroundExpected}
 * says what the default heartbeat and anti-entropy timings should send over a full mesh, so the measured background
 * can be told apart by kind. The footprint (threads, heap after a collection, resident memory) is that of the whole
 * mesh in this JVM; collections during the timed writes are listed because in one JVM a pause stops every node.
 */
@Command(name = "replication", mixinStandardHelpOptions = true,
        description = "Benchmark commit-to-applied-everywhere latency, messages/bytes per change and catch-up.")
public final class ReplicationBenchmark implements Callable<Integer> {
    private static final long APPLY_TIMEOUT_MS = 30_000;
    /** How often a waiting write looks at the counters: well below the millisecond figures it times. */
    private static final long POLL_NANOS = 20_000;
    private static final int FILL_IN_FLIGHT = 256;
    private static final long CATCH_UP_TIMEOUT_S = 900;

    @Option(names = "--nodes", defaultValue = "3,5,10", split = ",", description = "Mesh sizes (default ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--writes", defaultValue = "1000", description = "Timed writes per mesh size (default ${DEFAULT-VALUE}).")
    int writes;

    @Option(names = "--rate", defaultValue = "100", description = "Writes per second, light load (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--catch-up", defaultValue = "10000", description = "Changes a node is behind in the catch-up run (default ${DEFAULT-VALUE}).")
    int catchUp;

    @Option(names = "--majority-writes", defaultValue = "0", description = "Also time this many local and this many"
            + " majority-durable (?durability=majority) writes, interleaved, on a 3-node mesh (default ${DEFAULT-VALUE}:"
            + " skip).")
    int majorityWrites;

    @Option(names = "--idle-seconds", defaultValue = "5", description = "Seconds without writes before the timed"
            + " writes of each mesh size, whose traffic and CPU are the background subtracted from the per-change"
            + " figures (default ${DEFAULT-VALUE}).")
    int idleSeconds;

    @Option(names = "--catch-up-nodes", defaultValue = "3", description = "Mesh size of the catch-up run (default"
            + " ${DEFAULT-VALUE}).")
    int catchUpNodes;

    @Mixin
    BenchOptions.SeededRun run;

    @Override
    public Integer call() throws Exception {
        if (writes < 1 || rate < 1 || catchUp < 1 || majorityWrites < 0 || Arrays.stream(sizes).anyMatch(n -> n < 2)
                || idleSeconds < 1 || catchUpNodes < 3) {
            throw new IllegalArgumentException("--writes, --rate, --catch-up and --idle-seconds must be >= 1,"
                    + " --majority-writes >= 0, every --nodes >= 2, --catch-up-nodes >= 3");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path base = run.scratch().create("replication");
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            for (int n : sizes) {
                try (Mesh mesh = new Mesh(base.resolve("n" + n), n)) {
                    figures.put("nodes" + n, latency(mesh));
                }
            }
            try (Mesh mesh = new Mesh(base.resolve("catchup"), catchUpNodes)) {
                figures.put("catchUp", catchUp(mesh));
            }
            if (majorityWrites > 0) {
                try (Mesh mesh = new Mesh(base.resolve("durability"), 3)) {
                    figures.put("durability", durability(mesh));
                }
            }
        } finally {
            run.scratch().cleanUp(base);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("nodes", Arrays.stream(sizes).boxed().toList());
        parameters.put("writes", writes);
        parameters.put("rateWritesPerSecond", rate);
        parameters.put("catchUpChanges", catchUp);
        parameters.put("catchUpNodes", catchUpNodes);
        parameters.put("idleSeconds", idleSeconds);
        parameters.put("majorityWrites", majorityWrites);
        parameters.put("seed", run.seed());
        run.output().print(new BenchResult("replication", machine, parameters, figures));
        return 0;
    }

    private Map<String, Object> latency(Mesh mesh) throws Exception {
        int n = mesh.nodes.size();
        mesh.awaitConnected();
        Random random = new Random(run.seed());
        List<ReplicationStats> stats = mesh.nodes.stream().map(NodeRuntime::replicationStats).toList();
        long[] expected = new long[n];
        long[] latencies = new long[writes];
        int measured = 0;
        int warmup = Math.min(200, writes);
        long intervalNanos = 1_000_000_000L / rate;
        MeshCost.Window background = null;
        MeshCost writing = null;
        long next = System.nanoTime();
        for (int i = -warmup; i < writes; i++) {
            if (i == 0) {
                // After the warm-up (every connection up, the JIT warm, Raft settled): the mesh's own traffic
                // with no writes, then the timed writes from here.
                MeshCost quiet = MeshCost.sample(mesh.nodes);
                TimeUnit.MILLISECONDS.sleep(idleSeconds * 1000L);
                background = new MeshCost.Window(quiet, MeshCost.sample(mesh.nodes));
                writing = MeshCost.sample(mesh.nodes);
                next = System.nanoTime();
            }
            int w = random.nextInt(n);
            // Counted from just before each write, so a change that arrives late (after a time-out) or from
            // elsewhere skews one write, not every write after it.
            for (int j = 0; j < n; j++) {
                expected[j] = stats.get(j).changesApplied() + (j == w ? 0 : 1);
            }
            long t0 = System.nanoTime();
            mesh.nodes.get(w).appendMemory("bench", "replication benchmark entry " + i, List.of()).join();
            long appliedEverywhere = awaitApplied(stats, expected);
            if (i >= 0 && appliedEverywhere > 0) {
                latencies[measured++] = appliedEverywhere - t0;
            }
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
        }
        MeshCost.Window timed = new MeshCost.Window(writing, MeshCost.sample(mesh.nodes));
        long[] sorted = Arrays.copyOf(latencies, measured);
        Arrays.sort(sorted);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("writes", writes);
        r.put("measured", measured);
        r.put("writesPerSecondAchieved", MeshCost.round(writes / timed.seconds()));
        r.put("p50Ms", sorted.length == 0 ? null : MeshCost.round(sorted[sorted.length / 2] / 1e6));
        r.put("p99Ms", sorted.length == 0 ? null : MeshCost.round(sorted[(int) (sorted.length * 0.99)] / 1e6));
        r.put("maxMs", sorted.length == 0 ? null : MeshCost.round(sorted[sorted.length - 1] / 1e6));
        r.putAll(timed.perChange(writes, background));
        r.put("connections", mesh.nodes.stream().mapToInt(NodeRuntime::connectedPeers).sum() / 2);
        r.put("background", background.asBackground(n));
        long changes = mesh.nodes.get(0).changeCount();
        r.put("backgroundExpected", MeshBackground.expected(n, n, Math.max(1, changes / n)));
        r.put("footprint", MeshCost.footprint());
        r.put("loadAverageAtEnd", LoadAverage.now().asList());
        return r;
    }

    /** The {@code nanoTime} at which every node's applied count reached {@code expected}, or 0 on time-out. */
    private static long awaitApplied(List<ReplicationStats> stats, long[] expected) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(APPLY_TIMEOUT_MS);
        int j = 0;
        while (j < expected.length) {
            if (stats.get(j).changesApplied() >= expected[j]) {
                j++;
                continue;
            }
            if (System.nanoTime() > deadline) {
                return 0;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return System.nanoTime();
    }

    /**
     * The last node stops; the first two write {@code --catch-up} changes between them (up to
     * {@value #FILL_IN_FLIGHT} at a time, so the fill takes group commits, not one fsync per change); once every
     * running node holds them all, the last node starts again and is timed until it holds them durably too.
     */
    private Map<String, Object> catchUp(Mesh mesh) throws Exception {
        mesh.awaitConnected();
        int lateIndex = mesh.nodes.size() - 1;
        mesh.stop(lateIndex);
        List<NodeRuntime> running = mesh.nodes.subList(0, lateIndex);
        long fillStart = System.nanoTime();
        java.util.ArrayDeque<java.util.concurrent.CompletableFuture<Object>> inFlight = new java.util.ArrayDeque<>();
        for (int i = 0; i < catchUp; i++) {
            if (inFlight.size() >= FILL_IN_FLIGHT) {
                inFlight.removeFirst().join();
            }
            inFlight.addLast(mesh.nodes.get(i % 2).appendMemory("bench", "catch-up entry " + i, List.of()));
            if ((i + 1) % 10_000 == 0) {
                System.err.printf("catch-up fill: %d of %d changes written%n", i + 1, catchUp);
            }
        }
        inFlight.forEach(java.util.concurrent.CompletableFuture::join);
        long target = awaitSameCount(running, catchUp);
        long fillMs = (System.nanoTime() - fillStart) / 1_000_000;
        long t0 = System.nanoTime();
        NodeRuntime late = mesh.start(lateIndex);
        while (late.changeCount() < target && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(CATCH_UP_TIMEOUT_S)) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        var in = late.networkStats();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("nodes", mesh.nodes.size());
        r.put("changesBehind", catchUp);
        r.put("msFromStartToAllDurable", ms);
        r.put("changesPerSecond", Math.round(catchUp / (ms / 1e3)));
        r.put("caughtUp", late.changeCount() >= target);
        r.put("bytesReceivedByLateNode", in.bytesIn());
        r.put("framesReceivedByLateNode", in.framesIn());
        r.put("fillMs", fillMs);
        r.put("loadAverageAtEnd", LoadAverage.now().asList());
        return r;
    }

    /** Waits until every node holds the same number of changes, at least {@code atLeast}; returns it. */
    private static long awaitSameCount(List<NodeRuntime> nodes, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CATCH_UP_TIMEOUT_S);
        while (System.nanoTime() < deadline) {
            long min = nodes.stream().mapToLong(NodeRuntime::changeCount).min().orElse(0);
            long max = nodes.stream().mapToLong(NodeRuntime::changeCount).max().orElse(0);
            if (min == max && min >= atLeast) {
                return min;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new IllegalStateException("the running nodes did not all hold the " + atLeast + " catch-up changes within "
                + CATCH_UP_TIMEOUT_S + " s");
    }

    /**
     * Acknowledgement latency of local and majority-durable writes at one node of a 3-voter mesh, interleaved one at
     * a time at {@code --rate}, so both see the same machine load: local is answered once fsynced here, majority once
     * a second voter has fsynced it and said so.
     */
    private Map<String, Object> durability(Mesh mesh) throws Exception {
        mesh.awaitConnected();
        NodeRuntime writer = mesh.nodes.get(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (votersOf(writer) < 3) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the 3 voters did not form a Raft group within 60 s");
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        int warmup = Math.min(200, majorityWrites);
        long[] local = new long[majorityWrites];
        long[] majority = new long[majorityWrites];
        long intervalNanos = 1_000_000_000L / rate;
        long next = System.nanoTime();
        for (int i = -warmup; i < majorityWrites; i++) {
            for (Durability d : List.of(Durability.LOCAL, Durability.MAJORITY)) {
                long t0 = System.nanoTime();
                writer.appendMemory("bench", "durability benchmark entry " + i, List.of(), d).join();
                long took = System.nanoTime() - t0;
                if (i >= 0) {
                    (d == Durability.LOCAL ? local : majority)[i] = took;
                }
                next += intervalNanos;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                }
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("nodes", 3);
        r.put("writesEach", majorityWrites);
        r.put("local", percentiles(local));
        r.put("majority", percentiles(majority));
        r.put("loadAverageAtEnd", LoadAverage.now().asList());
        return r;
    }

    private static int votersOf(NodeRuntime node) {
        Object consensus = node.status().join().get("consensus");
        return consensus instanceof Map<?, ?> m && m.get("voters") instanceof List<?> v ? v.size() : 0;
    }

    private static Map<String, Object> percentiles(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("p50Ms", round(sorted[sorted.length / 2] / 1e6));
        r.put("p99Ms", round(sorted[(int) (sorted.length * 0.99)] / 1e6));
        r.put("maxMs", round(sorted[sorted.length - 1] / 1e6));
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
                    new InetSocketAddress("127.0.0.1", 0), peers, List.of(), 1_000_000, false, AgentSettings.none())
                    // N writes are N changes here, so per-change figures and catch-ups of N changes mean that.
                    .withMaxWritesPerChange(1));
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
