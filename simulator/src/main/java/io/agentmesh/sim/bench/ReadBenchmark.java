package io.agentmesh.sim.bench;

import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.MemoryView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Reads of the memory log over HTTP on a node holding many entries, while writes go on: {@code GET
 * /v1/memory?limit=1000}, searches by words and by tag, and how long the node thread is kept from other work
 * meanwhile (a probe task queued on it every 2 ms). Then the restart of that node, until it serves. And, in-process
 * on a document of the same size, the read the node made before the read view (the document walked on its own
 * thread) beside the view's.
 */
@Command(name = "reads", mixinStandardHelpOptions = true,
        description = "Benchmark memory reads and searches over HTTP on a node with many entries, with concurrent"
                + " writes; the node thread's stalls; restart until serving.")
public final class ReadBenchmark implements Callable<Integer> {
    @Option(names = "--entries", defaultValue = "100000", description = "Memory entries in the node (default ${DEFAULT-VALUE}).")
    int entries;

    @Option(names = "--reads", defaultValue = "2000", description = "Requests per read kind (default ${DEFAULT-VALUE}).")
    int reads;

    @Option(names = "--readers", defaultValue = "4", description = "Concurrent HTTP readers (default ${DEFAULT-VALUE}).")
    int readers;

    @Option(names = "--write-rate", defaultValue = "500", description = "Concurrent writes per second during the reads (default ${DEFAULT-VALUE}; 0 for none).")
    int writeRate;

    @Option(names = "--skip-document-compare",
            description = "Skip timing the document read beside the view on an in-process document of --entries entries.")
    boolean skipDocumentCompare;

    @Mixin
    BenchOptions.ScratchDir scratch;

    @Mixin
    BenchOptions.Output output;

    private static final int TAGS = 16;

    @Override
    public Integer call() throws Exception {
        if (entries < 1 || reads < 1 || readers < 1 || writeRate < 0) {
            throw new IllegalArgumentException("--entries, --reads and --readers must be >= 1, --write-rate >= 0");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path base = scratch.create("reads");
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            Path home = base.resolve("node");
            init(home);
            try (NodeRuntime node = start(home)) {
                long t0 = System.nanoTime();
                fill(node, entries);
                System.err.printf("filled %d entries in %d ms%n", entries, (System.nanoTime() - t0) / 1_000_000);
                String api = "http://127.0.0.1:" + node.httpPort();
                HttpClient http = HttpClient.newHttpClient();
                Random random = new Random(1);
                AtomicBoolean writing = new AtomicBoolean(true);
                AtomicLong written = new AtomicLong();
                Thread writer = Thread.ofPlatform().name("bench-writer").start(() -> writeAtRate(node, writing,
                        written));
                Probe probe = new Probe(node);
                try {
                    get(http, api + "/v1/memory?limit=1000"); // warm up
                    figures.put("limit1000", timed(http, () -> api + "/v1/memory?limit=1000", probe));
                    figures.put("searchWords", timed(http, () -> api + "/v1/memory?limit=20&q=entry+"
                            + random.nextInt(entries), probe));
                    figures.put("searchTag", timed(http, () -> api + "/v1/memory?limit=100&tag=t"
                            + random.nextInt(TAGS), probe));
                    figures.put("searchWordsAndTag", timed(http, () -> api + "/v1/memory?limit=20&tag=t"
                            + random.nextInt(TAGS) + "&q=number+" + random.nextInt(10), probe));
                    figures.put("searchNoMatch", timed(http, () -> api + "/v1/memory?limit=20&q=absent"
                            + random.nextInt(1000), probe));
                } finally {
                    writing.set(false);
                    writer.join();
                    probe.close();
                }
                figures.put("nodeThreadProbeDuringReads", probe.figures());
                figures.put("concurrentWrites", written.get());
            }
            figures.put("restart", restart(home));
            if (!skipDocumentCompare) {
                figures.put("inProcess", compareInProcess(entries));
            }
        } finally {
            scratch.cleanUp(base);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("entries", entries);
        parameters.put("reads", reads);
        parameters.put("readers", readers);
        parameters.put("writeRate", writeRate);
        figures.put("loadAverageAtEnd", LoadAverage.now().asList());
        output.print(new BenchResult("reads", machine, parameters, figures));
        return 0;
    }

    /**
     * Restarts the node on {@code home} and times, from the call, the first successful {@code GET
     * /v1/memory?limit=1000} (polled every 5 ms from another thread) and the start's return (every endpoint served).
     */
    private static Map<String, Object> restart(Path home) throws Exception {
        int httpPort = freePort();
        HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofMillis(200)).build();
        String url = "http://127.0.0.1:" + httpPort + "/v1/memory?limit=1000";
        java.util.concurrent.CompletableFuture<NodeRuntime> started = new java.util.concurrent.CompletableFuture<>();
        long t0 = System.nanoTime();
        Thread.ofPlatform().name("bench-restart").start(() -> {
            try {
                started.complete(start(home, httpPort));
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        });
        long firstReadNanos = -1;
        boolean servedWhileLoading = false;
        int entriesInFirstRead = 0;
        while (firstReadNanos < 0 && !started.isCompletedExceptionally()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    firstReadNanos = System.nanoTime() - t0;
                    servedWhileLoading = r.body().contains("\"loading\":true");
                    entriesInFirstRead = r.body().split("\"id\"", -1).length - 1;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (firstReadNanos < 0) {
                Thread.sleep(5);
            }
        }
        try (NodeRuntime node = started.get()) {
            long servingMs = (System.nanoTime() - t0) / 1_000_000;
            Map<String, Object> restart = new LinkedHashMap<>();
            restart.put("changes", node.changeCount());
            restart.put("msUntilFirstMemoryRead", firstReadNanos / 1_000_000);
            restart.put("firstReadServedWhileLoading", servedWhileLoading);
            restart.put("entriesInFirstRead", entriesInFirstRead);
            restart.put("msUntilEveryEndpointServes", servingMs);
            return restart;
        }
    }

    /** Latencies of {@link #reads} requests made by {@link #readers} threads, and the probe's view meanwhile. */
    private Map<String, Object> timed(HttpClient http, Supplier<String> url, Probe probe) throws InterruptedException {
        long[] latencies = new long[reads];
        long[] bytes = new long[1];
        AtomicLong next = new AtomicLong();
        CountDownLatch done = new CountDownLatch(readers);
        probe.reset();
        long t0 = System.nanoTime();
        for (int r = 0; r < readers; r++) {
            Thread.ofPlatform().start(() -> {
                try {
                    long i;
                    while ((i = next.getAndIncrement()) < reads) {
                        String u;
                        synchronized (url) {
                            u = url.get();
                        }
                        long s = System.nanoTime();
                        int n = get(http, u);
                        latencies[(int) i] = System.nanoTime() - s;
                        synchronized (bytes) {
                            bytes[0] += n;
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        long elapsed = System.nanoTime() - t0;
        Arrays.sort(latencies);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("requests", reads);
        r.put("perSecond", Math.round(reads * 1e9 / elapsed));
        r.put("p50Ms", latencies[reads / 2] / 1e6);
        r.put("p99Ms", latencies[(int) (reads * 0.99)] / 1e6);
        r.put("maxMs", latencies[reads - 1] / 1e6);
        r.put("meanResponseBytes", bytes[0] / reads);
        r.put("nodeThreadProbeMaxMs", probe.maxMs());
        return r;
    }

    private static int get(HttpClient http, String url) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return r.body().length;
    }

    private void writeAtRate(NodeRuntime node, AtomicBoolean writing, AtomicLong written) {
        if (writeRate == 0) {
            return;
        }
        long periodNanos = 1_000_000_000L / writeRate;
        long next = System.nanoTime();
        long i = entries;
        while (writing.get()) {
            node.appendMemory("bench", text(i), List.of("t" + (i % TAGS))).join();
            written.incrementAndGet();
            i++;
            next += periodNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }

    private static String text(long i) {
        return "benchmark entry " + i + " number " + (i % 10);
    }

    private static void fill(NodeRuntime node, int total) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        CountDownLatch done = new CountDownLatch(16);
        for (int w = 0; w < 16; w++) {
            Thread.ofPlatform().start(() -> {
                try {
                    long i;
                    while ((i = next.getAndIncrement()) < total) {
                        node.appendMemory("bench", text(i), List.of("t" + (i % TAGS))).join();
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
    }

    /** The pre-view read (walk the document) beside the view's, on one in-process document. */
    private static Map<String, Object> compareInProcess(int entries) {
        try (AgentState state = AgentState.create(new byte[]{1, 2, 3, 4}, ActorId.fromHex("0a".repeat(16)))) {
            for (int i = 0; i < entries; i++) {
                state.appendMemory(new MemoryEntry("m-" + i, 1_700_000_000_000L + i, "bench", "bench", text(i),
                        List.of("t" + (i % TAGS))));
            }
            long t0 = System.nanoTime();
            state.enableMemoryView();
            long buildMs = (System.nanoTime() - t0) / 1_000_000;
            MemoryView view = state.memoryViews().get();
            int rounds = 50;
            long[] doc = new long[rounds];
            long[] fromView = new long[rounds];
            for (int r = 0; r < rounds; r++) {
                long s = System.nanoTime();
                state.memory(state.memoryCount() - 1000, 1000);
                doc[r] = System.nanoTime() - s;
                s = System.nanoTime();
                view.newest(1000);
                fromView[r] = System.nanoTime() - s;
            }
            Arrays.sort(doc);
            Arrays.sort(fromView);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("documentLimit1000P50Ms", doc[rounds / 2] / 1e6);
            m.put("viewLimit1000P50Ms", fromView[rounds / 2] / 1e6);
            m.put("viewBuildFromDocumentMs", buildMs);
            m.put("view", view.figures());
            return m;
        }
    }

    /** Queues a no-op on the node thread every 2 ms and records how long it waited to run. */
    private static final class Probe implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Long> waits = new ArrayList<>();
        private final Thread thread;
        private long windowMax;

        Probe(NodeRuntime node) {
            thread = Thread.ofPlatform().name("node-thread-probe").start(() -> {
                while (running.get()) {
                    long s = System.nanoTime();
                    node.memoryCount().join();
                    long w = System.nanoTime() - s;
                    synchronized (this) {
                        waits.add(w);
                        windowMax = Math.max(windowMax, w);
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
                }
            });
        }

        synchronized void reset() {
            windowMax = 0;
        }

        synchronized double maxMs() {
            return windowMax / 1e6;
        }

        synchronized Map<String, Object> figures() {
            long[] w = waits.stream().mapToLong(Long::longValue).sorted().toArray();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("probes", w.length);
            if (w.length > 0) {
                m.put("p50Ms", w[w.length / 2] / 1e6);
                m.put("p99Ms", w[(int) (w.length * 0.99)] / 1e6);
                m.put("maxMs", w[w.length - 1] / 1e6);
            }
            return m;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    private static void init(Path home) throws IOException {
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        SecureRandom random = new SecureRandom();
        SigningKey root = ids.createAgent(random, Optional.empty());
        SigningKey key = ids.createNodeKey(random, Optional.empty());
        long now = System.currentTimeMillis();
        ids.writeCertificate(NodeCertificate.issue(root, key.verifyingKey(), Role.VOTER, now - 60_000,
                now + 86_400_000L));
    }

    private static NodeRuntime start(Path home) throws IOException {
        return start(home, 0);
    }

    private static NodeRuntime start(Path home, int httpPort) throws IOException {
        return NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"), Optional.empty(),
                new InetSocketAddress("127.0.0.1", freePort()), Optional.empty(),
                new InetSocketAddress("127.0.0.1", httpPort), List.of(), List.of(), 20_000, false,
                AgentSettings.none())
                .withMaxWritesPerChange(1)); // --entries entries are as many changes: the restart replays that many
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
