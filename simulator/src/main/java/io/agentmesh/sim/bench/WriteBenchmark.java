package io.agentmesh.sim.bench;

import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Acknowledged-write throughput and latency of one node through its full write path (batched Automerge commit,
 * Ed25519 signature, SQLite group commit with fsync), its restart time with many changes, and bytes on disk per
 * change. Calls the node's operations in-process (what the HTTP API calls), so HTTP itself is not measured. Beside
 * each writer count it runs the store alone ({@code bench store}'s closed loop, same JVM, same writer count, just
 * before), so {@code ratioToStoreAlone} compares the two under the same load.
 */
@Command(name = "writes", mixinStandardHelpOptions = true,
        description = "Benchmark acknowledged writes (1 and N concurrent writers), restart time and bytes per change.")
public final class WriteBenchmark implements Callable<Integer> {
    @Option(names = "--writes", defaultValue = "20000", description = "Writes per writer-count run (default ${DEFAULT-VALUE}).")
    int writes;

    @Option(names = "--writers", defaultValue = "1,16", split = ",", description = "Concurrent writer counts (default ${DEFAULT-VALUE}).")
    int[] writerCounts;

    @Option(names = "--restart-changes", defaultValue = "100000", description = "Writes (16 writers) made before the restart figure; the figure says how many changes they became (default ${DEFAULT-VALUE}).")
    int restartChanges;

    @Option(names = "--store-seconds", defaultValue = "5", description = "Measured seconds of the store-alone closed loop beside each writer count; 0 skips it (default ${DEFAULT-VALUE}).")
    int storeSeconds;

    @Mixin
    BenchOptions.ScratchDir scratch;

    @Mixin
    BenchOptions.Output output;

    @Override
    public Integer call() throws Exception {
        if (writes < 1 || restartChanges < 1 || Arrays.stream(writerCounts).anyMatch(w -> w < 1)) {
            throw new IllegalArgumentException("--writes, --restart-changes and every --writers must be >= 1");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path base = scratch.create("writes");
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            for (int writers : writerCounts) {
                Map<String, Object> store = null;
                if (storeSeconds > 0) {
                    Path storeDir = base.resolve("store" + writers);
                    store = StoreBenchmark.closedLoop(storeDir, writers, 1, Math.min(2, storeSeconds), storeSeconds);
                    figures.put("storeAlone" + writers + "Writers", store);
                    // Deleted at once: the kernel drops a deleted file's dirty pages instead of writing them back
                    // while the node run below waits on its own fsyncs.
                    deleteTree(storeDir);
                    System.err.println("writes: store alone, " + writers + " writers done");
                }
                Path home = base.resolve("w" + writers);
                init(home);
                try (NodeRuntime node = start(home, 1_000_000)) {
                    int warmup = Math.min(2_000, writes / 10);
                    if (warmup > 0) {
                        run(node, writers, warmup); // warm up the JIT
                    }
                    long changesBefore = node.changeCount();
                    Map<String, Object> r = run(node, writers, writes);
                    long changes = node.changeCount() - changesBefore;
                    r.put("changes", changes);
                    r.put("writesPerChange", Math.round(10.0 * writes / Math.max(1, changes)) / 10.0);
                    if (store != null) {
                        long storeRate = ((Number) store.get("appendsPerSecond")).longValue();
                        r.put("ratioToStoreAlone", Math.round(100.0 * ((Number) r.get("acknowledgedWritesPerSecond"))
                                .longValue() / Math.max(1, storeRate)) / 100.0);
                    }
                    figures.put("writers" + writers, r);
                    System.err.println("writes: node, " + writers + " writers done");
                }
            }
            Path home = base.resolve("restart");
            init(home);
            try (NodeRuntime node = start(home, 20_000)) {
                run(node, 16, restartChanges);
            }
            long dbBytes = sizeOf(home.resolve("state"));
            long t0 = System.nanoTime();
            try (NodeRuntime node = start(home, 20_000)) {
                long restartMs = (System.nanoTime() - t0) / 1_000_000;
                Map<String, Object> restart = new LinkedHashMap<>();
                restart.put("writes", restartChanges);
                restart.put("changes", node.changeCount());
                restart.put("msUntilServing", restartMs);
                restart.put("memoryEntriesAfter", node.memoryCount().join());
                figures.put("restart", restart);
            }
            figures.put("bytesOnDiskPerWrite", Math.round((double) dbBytes / restartChanges));
        } finally {
            scratch.cleanUp(base);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("writes", writes);
        parameters.put("writers", Arrays.stream(writerCounts).boxed().toList());
        parameters.put("restartChanges", restartChanges);
        parameters.put("storeSeconds", storeSeconds);
        output.print(new BenchResult("writes", machine, parameters, figures));
        return 0;
    }

    private static Map<String, Object> run(NodeRuntime node, int writers, int total) throws InterruptedException {
        long[] latencies = new long[total];
        AtomicLong next = new AtomicLong();
        CountDownLatch done = new CountDownLatch(writers);
        long t0 = System.nanoTime();
        for (int w = 0; w < writers; w++) {
            Thread.ofPlatform().name("writer-" + w).start(() -> {
                try {
                    long i;
                    while ((i = next.getAndIncrement()) < total) {
                        long s = System.nanoTime();
                        node.appendMemory("bench", "benchmark entry number " + i, List.of("bench")).join();
                        latencies[(int) i] = System.nanoTime() - s;
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        long elapsed = System.nanoTime() - t0;
        Arrays.sort(latencies);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("writes", total);
        r.put("acknowledgedWritesPerSecond", Math.round(total * 1e9 / elapsed));
        r.put("p50AckMs", latencies[total / 2] / 1e6);
        r.put("p99AckMs", latencies[(int) (total * 0.99)] / 1e6);
        r.put("maxAckMs", latencies[total - 1] / 1e6);
        return r;
    }

    private static void init(Path home) throws IOException {
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        SecureRandom random = new SecureRandom();
        SigningKey root = ids.createAgent(random, Optional.empty());
        SigningKey key = ids.createNodeKey(random, Optional.empty());
        long now = System.currentTimeMillis();
        ids.writeCertificate(NodeCertificate.issue(root, key.verifyingKey(), Role.VOTER, now - 60_000, now + 86_400_000L));
    }

    private static NodeRuntime start(Path home, long snapshotEvery) throws IOException {
        return NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"), Optional.empty(),
                new InetSocketAddress("127.0.0.1", freePort()), Optional.empty(),
                new InetSocketAddress("127.0.0.1", 0), List.of(), List.of(), snapshotEvery, false, AgentSettings.none()));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
