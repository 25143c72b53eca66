package io.agentmesh.sim.bench;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;
import io.agentmesh.state.store.SqliteFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Store-only figures, one scenario each: the disk's raw fsync rate (the ceiling without group commit), then
 * acknowledged appends/s and ack latency (p50/p99/max) for closed-loop writers that each wait for their append
 * before the next, for one thread keeping many appends in flight (how the single-threaded node core writes), bytes
 * on disk per change, and the time to open a store of {@code --open-changes} changes with each open check.
 */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Durable store benchmark: fsync ceiling, append throughput and ack latency, open time.")
public final class StoreBenchmark implements Callable<Integer> {
    @Mixin
    BenchOptions.SeededRun run;

    @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per scenario"
            + " (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "3", description = "Unmeasured seconds before each scenario"
            + " (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--writers", split = ",", defaultValue = "1,16", description = "Closed-loop writer counts"
            + " (default ${DEFAULT-VALUE}).")
    int[] writers;

    @Option(names = "--pipelined-window", defaultValue = "1024", description = "In-flight appends of the"
            + " pipelined single writer; 0 skips it (default ${DEFAULT-VALUE}).")
    int pipelinedWindow;

    @Option(names = "--open-changes", defaultValue = "100000", description = "Store size for the open-time figure;"
            + " 0 skips it (default ${DEFAULT-VALUE}).")
    int openChanges;

    @Override
    public Integer call() throws Exception {
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path work = run.scratch().create("store");
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            scenario(figures, "fsyncCeiling", fsyncCeiling(work.resolve("fsync.probe")));
            for (int n : writers) {
                scenario(figures, "closedLoop" + n + "Writers", closedLoop(work.resolve("closed-" + n), n));
            }
            if (pipelinedWindow > 0) {
                scenario(figures, "pipelined", pipelined(work.resolve("pipelined"), pipelinedWindow));
            }
            if (openChanges > 0) {
                scenario(figures, "open", openTime(work.resolve("open"), openChanges));
            }
        } finally {
            run.scratch().cleanUp(work);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("store", "sqlite-wal-full");
        parameters.put("sqliteVersion", sqliteVersion());
        parameters.put("seconds", seconds);
        parameters.put("warmupSeconds", warmupSeconds);
        parameters.put("writers", Arrays.stream(writers).boxed().toList());
        parameters.put("pipelinedWindow", pipelinedWindow);
        parameters.put("openChanges", openChanges);
        parameters.put("seed", run.seed());
        run.output().print(new BenchResult("store", machine, parameters, figures));
        return 0;
    }

    /** Scenarios take seconds each: say on stderr which one finished, so a long run shows progress. */
    private static void scenario(Map<String, Object> figures, String name, Map<String, Object> measured) {
        figures.put(name, measured);
        System.err.println("store: " + name + " done");
    }

    /** The SQLite library's version, as the store runs it. */
    public static String sqliteVersion() {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite::memory:");
             java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT sqlite_version()")) {
            return rs.next() ? rs.getString(1) : "unknown";
        } catch (java.sql.SQLException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** 4 KiB overwrite + fdatasync-equivalent in a loop: the most commits/s this disk gives one at a time. */
    private Map<String, Object> fsyncCeiling(Path file) throws IOException {
        ByteBuffer page = ByteBuffer.allocate(4096);
        long ops = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(2, seconds / 2));
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            while (System.nanoTime() < deadline) {
                page.clear();
                page.putLong(0, ops);
                ch.write(page, (ops % 16) * 4096);
                ch.force(false);
                ops++;
            }
        }
        Files.deleteIfExists(file);
        double secs = (System.nanoTime() - start) / 1e9;
        return new LinkedHashMap<>(Map.of("fsyncsPerSecond", Math.round(ops / secs)));
    }

    private Map<String, Object> closedLoop(Path storeDir, int threads) throws Exception {
        return closedLoop(storeDir, threads, run.seed(), warmupSeconds, seconds);
    }

    /**
     * The closed-loop store figures for {@code threads} writers, each waiting for its append before the next: what
     * {@code bench writes} measures beside the whole write path, in the same JVM, for its ratio.
     */
    static Map<String, Object> closedLoop(Path storeDir, int threads, long seed, int warmupSeconds, int seconds)
            throws Exception {
        DerivedChanges changes = new DerivedChanges(seed, threads);
        try (SqliteChangeStore store = SqliteChangeStore.open(storeDir.resolve("store.db"))) {
            AtomicLong[] nextSeq = new AtomicLong[threads];
            for (int i = 0; i < threads; i++) {
                nextSeq[i] = new AtomicLong(1);
            }
            runClosed(store, changes, nextSeq, warmupSeconds, null);
            long txBefore = store.stats().transactions();
            long[][] latencies = new long[threads][];
            long start = System.nanoTime();
            long count = runClosed(store, changes, nextSeq, seconds, latencies);
            double secs = (System.nanoTime() - start) / 1e9;
            long tx = store.stats().transactions() - txBefore;
            long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("writers", threads);
            return appendFigures(m, store, storeDir, count, secs, tx, all);
        }
    }

    private static long runClosed(ChangeStore store, DerivedChanges changes, AtomicLong[] nextSeq, int secs,
                                  long[][] latencies) throws InterruptedException {
        int threads = nextSeq.length;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
        CountDownLatch done = new CountDownLatch(threads);
        AtomicLong total = new AtomicLong();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int writer = t;
            Thread.ofPlatform().daemon(true).start(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                try {
                    while (System.nanoTime() < deadline) {
                        SignedChange c = changes.change(writer, nextSeq[writer].getAndIncrement());
                        long t0 = System.nanoTime();
                        store.append(c).get(60, TimeUnit.SECONDS);
                        long t1 = System.nanoTime();
                        if (n == lat.length) {
                            lat = Arrays.copyOf(lat, n * 2);
                        }
                        lat[n++] = t1 - t0;
                    }
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    if (latencies != null) {
                        latencies[writer] = Arrays.copyOf(lat, n);
                    }
                    total.addAndGet(n);
                    done.countDown();
                }
            });
        }
        if (!done.await(secs + 120L, TimeUnit.SECONDS)) {
            throw new IllegalStateException("writers did not finish");
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException("append failed", errors.getFirst());
        }
        return total.get();
    }

    private Map<String, Object> pipelined(Path storeDir, int window) throws Exception {
        DerivedChanges changes = new DerivedChanges(run.seed(), 1);
        try (SqliteChangeStore store = SqliteChangeStore.open(storeDir.resolve("store.db"))) {
            long[] seq = {1};
            pipe(store, changes, seq, window, warmupSeconds, null);
            long txBefore = store.stats().transactions();
            long[][] lat = new long[1][];
            long start = System.nanoTime();
            long count = pipe(store, changes, seq, window, seconds, lat);
            double secs = (System.nanoTime() - start) / 1e9;
            long tx = store.stats().transactions() - txBefore;
            long[] sorted = lat[0].clone();
            Arrays.sort(sorted);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("writers", 1);
            m.put("window", window);
            return appendFigures(m, store, storeDir, count, secs, tx, sorted);
        }
    }

    /**
     * Adds what every append scenario reports after its own parameters in {@code m}: appends/s, ack latency, changes
     * per commit and the bytes on disk. Closes {@code store}: the disk figure is taken after close.
     */
    private static Map<String, Object> appendFigures(Map<String, Object> m, SqliteChangeStore store, Path storeDir,
                                                     long count, double secs, long tx, long[] sortedNanos)
            throws IOException {
        long changeCount = store.changeCount();
        long bytes = changeBytes(store);
        store.close();
        m.put("appendsPerSecond", Math.round(count / secs));
        latency(m, sortedNanos);
        m.put("changesPerCommit", round((double) count / Math.max(1, tx), 10));
        disk(m, storeDir, changeCount, bytes);
        return m;
    }

    private static long pipe(ChangeStore store, DerivedChanges changes, long[] seq, int window, int secs,
                             long[][] latencies) throws Exception {
        record InFlight(long startNanos, CompletableFuture<Void> done) {
        }
        ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
        long[] lat = new long[1 << 16];
        int n = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
        while (System.nanoTime() < deadline || !inFlight.isEmpty()) {
            if (System.nanoTime() < deadline && inFlight.size() < window) {
                SignedChange c = changes.change(0, seq[0]++);
                inFlight.addLast(new InFlight(System.nanoTime(), store.append(c)));
                if (!inFlight.peekFirst().done().isDone()) {
                    continue;
                }
            }
            InFlight head = inFlight.pollFirst();
            head.done().get(60, TimeUnit.SECONDS);
            if (n == lat.length) {
                lat = Arrays.copyOf(lat, n * 2);
            }
            lat[n++] = System.nanoTime() - head.startNanos();
        }
        if (latencies != null) {
            latencies[0] = Arrays.copyOf(lat, n);
        }
        return n;
    }

    /** Opens a store of {@code count} changes with each open check, five times, and reports the median. */
    private Map<String, Object> openTime(Path storeDir, int count) throws Exception {
        Path file = storeDir.resolve("store.db");
        int threads = 4;
        DerivedChanges changes = new DerivedChanges(run.seed(), threads);
        long bytes;
        try (SqliteChangeStore store = SqliteChangeStore.open(file)) {
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                pending.add(store.append(changes.change(i % threads, i / threads + 1)));
                if (pending.size() == 4_096) {
                    for (CompletableFuture<Void> f : pending) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                    pending.clear();
                }
            }
            for (CompletableFuture<Void> f : pending) {
                f.get(60, TimeUnit.SECONDS);
            }
            bytes = changeBytes(store);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (SqliteFile.OpenCheck check : SqliteFile.OpenCheck.values()) {
            long[] ms = new long[5];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                try (SqliteChangeStore store = SqliteChangeStore.open(file,
                        SqliteChangeStore.Options.DEFAULTS.withOpenCheck(check))) {
                    if (store.changeCount() != count) {
                        throw new IllegalStateException("reopened store has " + store.changeCount() + " changes");
                    }
                    ms[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                }
            }
            Arrays.sort(ms);
            m.put("openMs" + (check == SqliteFile.OpenCheck.QUICK ? "QuickCheck" : "IntegrityCheck"),
                    ms[ms.length / 2]);
        }
        // Restart replays from a snapshot position; reading everything is the worst case.
        try (SqliteChangeStore store = SqliteChangeStore.open(file)) {
            long t0 = System.nanoTime();
            long read = 0;
            long after = 0;
            while (true) {
                List<ChangeStore.StoredChange> page = store.readFrom(after, 10_000);
                if (page.isEmpty()) {
                    break;
                }
                read += page.size();
                after = page.getLast().position();
            }
            m.put("readAllMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            m.put("readAll", read);
        }
        disk(m, storeDir, count, bytes);
        return m;
    }

    private static long changeBytes(ChangeStore store) {
        long total = 0;
        long after = 0;
        while (true) {
            List<ChangeStore.StoredChange> page = store.readFrom(after, 10_000);
            if (page.isEmpty()) {
                return total;
            }
            for (ChangeStore.StoredChange sc : page) {
                total += sc.change().size();
            }
            after = page.getLast().position();
        }
    }

    /** File size after close (the log checkpointed into the file) per change, next to the payload per change. */
    private static void disk(Map<String, Object> m, Path storeDir, long changes, long payloadBytes)
            throws IOException {
        long disk;
        try (Stream<Path> files = Files.list(storeDir)) {
            disk = files.filter(p -> p.getFileName().toString().startsWith("store.db")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
        m.put("changes", changes);
        m.put("diskBytesPerChange", changes == 0 ? 0 : disk / changes);
        m.put("payloadBytesPerChange", changes == 0 ? 0 : payloadBytes / changes);
    }

    private static void latency(Map<String, Object> m, long[] sortedNanos) {
        boolean none = sortedNanos.length == 0;
        m.put("ackP50Ms", none ? null : ms(sortedNanos[(int) (sortedNanos.length * 0.50)]));
        m.put("ackP99Ms", none ? null
                : ms(sortedNanos[(int) Math.min(sortedNanos.length - 1, sortedNanos.length * 0.99)]));
        m.put("ackMaxMs", none ? null : ms(sortedNanos[sortedNanos.length - 1]));
    }

    private static double ms(long nanos) {
        return round(nanos / 1e6, 100);
    }

    /** {@code value} rounded to 1/{@code per}: 10 keeps one decimal, 100 two. */
    private static double round(double value, int per) {
        return Math.round(value * per) / (double) per;
    }
}
