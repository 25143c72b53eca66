package io.agentmesh.sim.crash;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.sim.bench.BenchOptions;
import io.agentmesh.sim.bench.BenchResult;
import io.agentmesh.sim.bench.StoreBenchmark;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.SqliteChangeStore;
import io.agentmesh.state.store.StoreException;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.agentmesh.sim.bench.DerivedChanges;
/**
 * kill -9 loop over the durable store (DESIGN.md, "crash safety": 0 acknowledged writes lost in >= 1,000 kills).
 *
 * <p>Each round starts {@link CrashLoopWriter} in a child JVM on the current store directory, lets it run a random
 * time, SIGKILLs it, then reopens the store here and checks that every write the child acknowledged is present
 * with the exact bytes, that the store opens at all, and that it takes a new write. A store keeps going across
 * rounds (so later rounds recover logs left by earlier kills) and is replaced after {@code killsPerStore} rounds to
 * bound the work of checking everything it ever acknowledged. A store that fails is kept on disk for inspection.
 *
 * <p>A kill -9 leaves the page cache intact, so this loop proves the commit protocol (acknowledge only after
 * commit, recover any interrupted write, checkpoint or open) and never the disk's fsync; power-loss durability
 * rests on {@code synchronous=FULL} fsyncing the log at each commit, checked separately (docs/storage.md).
 */
public final class CrashLoop {
    private static final long CHILD_DEATH_TIMEOUT_SECONDS = 30;
    private static final long READER_TIMEOUT_SECONDS = 30;
    private static final long WRITE_CHECK_TIMEOUT_SECONDS = 60;
    private static final int SIGKILL_EXIT_STATUS = 128 + 9;
    private static final int MAX_CONSECUTIVE_CHILD_FAILURES = 5;
    private static final int OLDER_SAMPLE = 500;
    private static final long OPEN_WAIT_SECONDS = 60;
    /** A failing store can fail every round; the first ones say what went wrong. */
    private static final int MAX_FAILURES_SHOWN = 20;

    /**
     * @param kills         SIGKILLs to deliver
     * @param dir           work directory; stores, the child's stderr log and SQLite's native library go here
     * @param seed          drives run lengths and change contents
     * @param writers       concurrent writer threads in the child, one actor each
     * @param window        appends each writer keeps in flight
     * @param minRunMs      shortest time a child runs before the kill, from process start
     * @param maxRunMs      longest time a child runs before the kill
     * @param killsPerStore rounds on one store before starting a fresh one
     * @param progress      where to report progress, or null
     * @param ackBeforeDurable the child acknowledges on enqueue instead of on durability: a broken writer, to prove
     *                         the loop notices lost acknowledged writes (its own negative control)
     * @param openFirstFraction share of rounds whose run time counts from the moment the store is open rather than
     *                          from process start. 0 lets the machine's JVM start-up decide how many kills land
     *                          before the store opens; a slow machine then writes little. Tests use 0.5 so half
     *                          the rounds always write, whatever the machine.
     */
    public record Config(int kills, Path dir, long seed, int writers, int window, int minRunMs, int maxRunMs,
                         int killsPerStore, PrintStream progress, boolean ackBeforeDurable,
                         double openFirstFraction) {
        public Config {
            Objects.requireNonNull(dir, "dir");
            if (kills < 1 || writers < 1 || window < 1 || killsPerStore < 1) {
                throw new IllegalArgumentException("kills, writers, window and killsPerStore must be >= 1");
            }
            if (minRunMs < 1 || maxRunMs < minRunMs) {
                throw new IllegalArgumentException("need 1 <= minRunMs <= maxRunMs");
            }
            if (!(openFirstFraction >= 0 && openFirstFraction <= 1)) {
                throw new IllegalArgumentException("openFirstFraction must be within [0, 1]");
            }
        }
    }

    /** What a loop observed; {@link #passed()} when nothing acknowledged was lost and every store stayed usable. */
    public record Result(long kills, long acknowledgedWrites, long lost, long unwritableStores,
                         long unopenableStores, long vectorErrors, long killsBeforeOpen, long childFailures,
                         long unexpectedExitStatus, long stores, long childRunMs, long childRunAfterOpenMs,
                         long elapsedMs, long seed, int writers, int minRunMs, int maxRunMs,
                         double openFirstFraction, List<String> failures) {

        public boolean passed() {
            return lost == 0 && unwritableStores == 0 && vectorErrors == 0 && kills > 0;
        }

        public long writesPerSecond() {
            return childRunMs == 0 ? 0 : acknowledgedWrites * 1000 / childRunMs;
        }

        public long writesPerSecondAfterOpen() {
            return childRunAfterOpenMs == 0 ? 0 : acknowledgedWrites * 1000 / childRunAfterOpenMs;
        }

        /**
         * The loop as a benchmark result: the field names are those of the long run quoted in docs/storage.md, now
         * split into parameters and figures.
         */
        public BenchResult toBenchResult(BenchResult.Machine machine) {
            Map<String, Object> parameters = new LinkedHashMap<>();
            parameters.put("store", "sqlite-wal-full");
            parameters.put("sqliteVersion", StoreBenchmark.sqliteVersion());
            parameters.put("seed", seed);
            parameters.put("writers", writers);
            parameters.put("runMs", List.of(minRunMs, maxRunMs));
            parameters.put("openFirstFraction", openFirstFraction);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("kills", kills);
            figures.put("acknowledgedWrites", acknowledgedWrites);
            figures.put("lost", lost);
            figures.put("unwritableStores", unwritableStores);
            figures.put("unopenableStores", unopenableStores);
            figures.put("vectorErrors", vectorErrors);
            figures.put("killsBeforeOpen", killsBeforeOpen);
            figures.put("childFailures", childFailures);
            figures.put("unexpectedExitStatus", unexpectedExitStatus);
            figures.put("stores", stores);
            figures.put("writesPerSecond", writesPerSecond());
            figures.put("writesPerSecondAfterOpen", writesPerSecondAfterOpen());
            figures.put("childRunMs", childRunMs);
            figures.put("elapsedMs", elapsedMs);
            figures.put("passed", passed());
            figures.put("failures", failures.subList(0, Math.min(failures.size(), MAX_FAILURES_SHOWN)));
            return new BenchResult("crash-loop", machine, parameters, figures);
        }
    }

    private final Config config;
    private final DerivedChanges changes;
    private final SplittableRandom random;
    private final Path childLog;
    private volatile Process current;

    private CrashLoop(Config config) {
        this.config = config;
        this.changes = new DerivedChanges(config.seed(), config.writers());
        this.random = new SplittableRandom(config.seed());
        this.childLog = config.dir().resolve("child-stderr.log");
    }

    public static Result run(Config config) throws IOException, InterruptedException {
        return new CrashLoop(config).loop();
    }

    private Result loop() throws IOException, InterruptedException {
        Files.createDirectories(config.dir());
        Thread hook = new Thread(this::killCurrent, "crash-loop-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        long started = System.nanoTime();
        long kills = 0;
        long acknowledged = 0;
        long lost = 0;
        long unwritable = 0;
        long unopenable = 0;
        long vectorErrors = 0;
        long killsBeforeOpen = 0;
        long childFailures = 0;
        long unexpectedExit = 0;
        long stores = 0;
        long childRunMs = 0;
        long childRunAfterOpenMs = 0;
        int consecutiveChildFailures = 0;
        List<String> failures = new ArrayList<>();
        Path storeDir = null;
        BitSet[] acked = null;
        BitSet[] lostSeen = null;
        int killsOnStore = 0;
        try {
            while (kills < config.kills()) {
                if (storeDir == null || killsOnStore >= config.killsPerStore()) {
                    if (storeDir != null) {
                        BenchOptions.deleteRecursively(storeDir);
                    }
                    storeDir = config.dir().resolve("store-" + stores);
                    BenchOptions.deleteRecursively(storeDir);
                    stores++;
                    acked = newAckSets();
                    lostSeen = newAckSets();
                    killsOnStore = 0;
                }
                int runMs = config.minRunMs() + random.nextInt(config.maxRunMs() - config.minRunMs() + 1);
                BitSet[] round = newAckSets();
                boolean openFirst = config.openFirstFraction() > 0
                        && random.nextDouble() < config.openFirstFraction();
                ChildRun run = runChild(storeDir, runMs, openFirst, round);
                for (int w = 0; w < acked.length; w++) {
                    acked[w].or(round[w]);
                }
                acknowledged += run.acks();
                childRunMs += run.aliveMs();
                childRunAfterOpenMs += run.aliveAfterOpenMs();
                if (run.malformedLine() != null) {
                    failures.add("unexpected line on the writer's stdout: " + run.malformedLine());
                }
                if (!run.killed()) {
                    childFailures++;
                    failures.add("child exited by itself with status " + run.exitStatus() + ": " + tail(childLog));
                    if (++consecutiveChildFailures >= MAX_CONSECUTIVE_CHILD_FAILURES) {
                        throw new IllegalStateException("the writer child failed " + consecutiveChildFailures
                                + " times in a row; last: " + failures.getLast());
                    }
                } else {
                    consecutiveChildFailures = 0;
                    kills++;
                    killsOnStore++;
                    if (run.exitStatus() != SIGKILL_EXIT_STATUS) {
                        unexpectedExit++;
                        failures.add("killed child exited with status " + run.exitStatus() + ", not "
                                + SIGKILL_EXIT_STATUS + " (SIGKILL)");
                    }
                    if (!run.sawOpen()) {
                        killsBeforeOpen++;
                    }
                }
                boolean lastOnStore = killsOnStore >= config.killsPerStore() || kills >= config.kills();
                Check check = check(storeDir, acked, round, lastOnStore, lostSeen);
                lost += check.lost();
                vectorErrors += check.vectorErrors();
                if (check.problem() != null) {
                    failures.add("kill " + kills + ", " + storeDir + ": " + check.problem());
                }
                if (!check.opened() || !check.wrote()) {
                    if (!check.opened()) {
                        unopenable++;
                    }
                    unwritable++;
                    // Keep the evidence and carry on with a fresh store.
                    Path kept = config.dir().resolve("failed-" + storeDir.getFileName());
                    BenchOptions.deleteRecursively(kept);
                    Files.move(storeDir, kept);
                    storeDir = null;
                }
                if (config.progress() != null && (kills % 25 == 0 || kills == config.kills()) && run.killed()) {
                    config.progress().printf("crash-loop: %d/%d kills, %d acknowledged, %d lost, %d unusable,"
                            + " %d s%n", kills, config.kills(), acknowledged, lost, unwritable,
                            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
                }
            }
            if (storeDir != null) {
                BenchOptions.deleteRecursively(storeDir);
            }
            BenchOptions.deleteRecursively(config.dir().resolve("sqlite-native"));
        } finally {
            killCurrent();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs anyway.
            }
        }
        return new Result(kills, acknowledged, lost, unwritable, unopenable, vectorErrors, killsBeforeOpen,
                childFailures, unexpectedExit, stores, childRunMs, childRunAfterOpenMs,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), config.seed(), config.writers(),
                config.minRunMs(), config.maxRunMs(), config.openFirstFraction(), List.copyOf(failures));
    }

    private BitSet[] newAckSets() {
        BitSet[] sets = new BitSet[config.writers()];
        for (int i = 0; i < sets.length; i++) {
            sets[i] = new BitSet();
        }
        return sets;
    }

    private void killCurrent() {
        Process p = current;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------------------------------------- child

    private record ChildRun(boolean killed, int exitStatus, long acks, boolean sawOpen, long aliveMs,
                            long aliveAfterOpenMs, String malformedLine) {
    }

    private ChildRun runChild(Path storeDir, int runMs, boolean openFirst, BitSet[] acked)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        // Small, quick-starting JVM: most of a short run is startup. No perf-data file, which a kill -9 would
        // leave behind in /tmp every round.
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED",
                // sqlite-jdbc extracts its native library on each start and a killed JVM never deletes it.
                "-Dorg.sqlite.tmpdir=" + config.dir().resolve("sqlite-native"),
                // The child's stdout carries only acknowledgements: logback must not print its own status there (it
                // does when the classpath holds two configurations, as a reactor build's test classpath can).
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-cp", System.getProperty("java.class.path"), CrashLoopWriter.class.getName(),
                "--dir", storeDir.toString(), "--seed", Long.toString(config.seed()),
                "--writers", Integer.toString(config.writers()), "--window", Integer.toString(config.window())));
        if (config.ackBeforeDurable()) {
            command.add(CrashLoopWriter.ACK_BEFORE_DURABLE);
        }
        Files.createDirectories(config.dir().resolve("sqlite-native"));
        Process child = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(childLog.toFile()))
                .start();
        current = child;
        long start = System.nanoTime();
        AckReader reader = new AckReader(child.getInputStream(), acked);
        Thread readerThread = Thread.ofPlatform().daemon(true).name("crash-loop-acks").start(reader);
        try {
            if (openFirst) {
                // Bounded: a child that never opens is killed when the wait ends, like any other.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(OPEN_WAIT_SECONDS);
                while (!reader.opened.await(50, TimeUnit.MILLISECONDS) && child.isAlive()
                        && System.nanoTime() < deadline) {
                    // Keep watching the child and the deadline.
                }
            }
            boolean exitedByItself = child.waitFor(runMs, TimeUnit.MILLISECONDS);
            if (!exitedByItself) {
                // On Linux destroyForcibly() is kill(pid, SIGKILL); the exit status 137 checked by the caller
                // confirms the signal.
                child.destroyForcibly();
                if (!child.waitFor(CHILD_DEATH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("child " + child.pid() + " still alive "
                            + CHILD_DEATH_TIMEOUT_SECONDS + " s after SIGKILL");
                }
            }
            long end = System.nanoTime();
            readerThread.join(TimeUnit.SECONDS.toMillis(READER_TIMEOUT_SECONDS));
            if (readerThread.isAlive()) {
                throw new IllegalStateException("child's stdout not closed " + READER_TIMEOUT_SECONDS
                        + " s after it died");
            }
            long openedAt = reader.openedAtNanos;
            long afterOpen = openedAt == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(end - openedAt);
            return new ChildRun(!exitedByItself, child.exitValue(), reader.acks, openedAt != 0,
                    TimeUnit.NANOSECONDS.toMillis(end - start), afterOpen, reader.malformed);
        } finally {
            if (child.isAlive()) {
                child.destroyForcibly();
                child.waitFor(CHILD_DEATH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            child.getOutputStream().close();
            current = null;
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Records acknowledgements from the child's stdout. Only newline-terminated lines count: the kill can cut the
     * last line, and a cut line is not an acknowledgement.
     */
    private static final class AckReader implements Runnable {
        private final InputStream in;
        private final BitSet[] acked;
        long acks;
        String malformed;
        volatile long openedAtNanos;
        final CountDownLatch opened = new CountDownLatch(1);

        AckReader(InputStream in, BitSet[] acked) {
            this.in = in;
            this.acked = acked;
        }

        @Override
        public void run() {
            byte[] buf = new byte[1 << 16];
            StringBuilder line = new StringBuilder();
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (int i = 0; i < n; i++) {
                        char c = (char) (buf[i] & 0xff);
                        if (c == '\n') {
                            accept(line);
                            line.setLength(0);
                        } else {
                            line.append(c);
                        }
                    }
                }
            } catch (IOException e) {
                // The pipe broke with the child; what was read so far stands.
            }
        }

        private void accept(CharSequence line) {
            if (line.length() == 1 && line.charAt(0) == 'O') {
                openedAtNanos = System.nanoTime();
                opened.countDown();
                return;
            }
            String[] parts = line.toString().split(" ");
            try {
                if (parts.length != 3 || !parts[0].equals("A")) {
                    throw new IllegalArgumentException("not an acknowledgement");
                }
                int writer = Integer.parseInt(parts[1]);
                long seq = Long.parseLong(parts[2]);
                if (seq < 1 || seq > Integer.MAX_VALUE || writer < 0 || writer >= acked.length) {
                    throw new IllegalArgumentException("writer or seq out of range");
                }
                acked[writer].set((int) seq);
                acks++;
            } catch (IllegalArgumentException e) {
                if (malformed == null) {
                    malformed = line + " (" + e.getMessage() + ")";
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- check

    private record Check(boolean opened, boolean wrote, long lost, long vectorErrors, String problem) {
    }

    /**
     * Reopens the store and checks acknowledged writes: every one from this round, a sample of older ones, and all
     * of them on the store's last round. Checking everything every round would cost the square of the store size;
     * this way each acknowledgement is checked at least twice (just after its round and at the store's end) and
     * old ones are probed after every later crash.
     */
    private Check check(Path storeDir, BitSet[] acked, BitSet[] round, boolean everything, BitSet[] lostSeen) {
        Path file = storeDir.resolve(CrashLoopWriter.STORE_FILE);
        if (!Files.exists(file) && allEmpty(acked)) {
            // Killed before the store was created: nothing was acknowledged, and the next round creates it.
            return new Check(true, true, 0, 0, null);
        }
        SqliteChangeStore store;
        try {
            store = SqliteChangeStore.open(file);
        } catch (StoreException e) {
            return new Check(false, false, countNew(acked, lostSeen), 0, "reopen failed: " + e.getMessage());
        }
        long lost = 0;
        long vectorErrors = 0;
        StringBuilder problems = new StringBuilder();
        try (store) {
            for (int w = 0; w < acked.length; w++) {
                if (acked[w].isEmpty()) {
                    continue;
                }
                ActorId actor = changes.actor(w);
                BitSet want = everything ? acked[w] : (BitSet) round[w].clone();
                if (!everything) {
                    sampleOlder(acked[w], round[w], want);
                }
                BitSet good = new BitSet();
                // Runs of consecutive seqs are read a page at a time; isolated samples one by one.
                for (int seq = want.nextSetBit(1); seq >= 0; ) {
                    List<SignedChange> page = store.read(actor, seq, want.get(seq + 1) ? 4_096 : 1);
                    if (page.isEmpty() || page.getFirst().seq() != seq) {
                        seq = want.nextSetBit(seq + 1);
                        continue;
                    }
                    long last = seq;
                    for (SignedChange c : page) {
                        if (c.seq() <= Integer.MAX_VALUE && want.get((int) c.seq())
                                && c.equals(changes.change(w, c.seq()))) {
                            good.set((int) c.seq());
                        }
                        last = c.seq();
                    }
                    seq = want.nextSetBit((int) last + 1);
                }
                BitSet missing = (BitSet) want.clone();
                missing.andNot(good);
                missing.andNot(lostSeen[w]);
                if (!missing.isEmpty()) {
                    lost += missing.cardinality();
                    lostSeen[w].or(missing);
                    problems.append("writer ").append(w).append(": ").append(missing.cardinality())
                            .append(" acknowledged changes missing or different, first seq ")
                            .append(missing.nextSetBit(0)).append("; ");
                }
                long max = acked[w].length() - 1;
                if (store.vector().get(actor) < max) {
                    vectorErrors++;
                    problems.append("writer ").append(w).append(": vector ").append(store.vector().get(actor))
                            .append(" below acknowledged seq ").append(max).append("; ");
                }
            }
            long next = store.vector().get(changes.actor(0)) + 1;
            try {
                store.append(changes.change(0, next)).get(WRITE_CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                return new Check(true, false, lost, vectorErrors, problems + "new write failed: " + e);
            }
        } catch (StoreException e) {
            return new Check(true, false, lost, vectorErrors, problems + "read failed: " + e.getMessage());
        }
        return new Check(true, true, lost, vectorErrors, problems.isEmpty() ? null : problems.toString());
    }

    private void sampleOlder(BitSet all, BitSet round, BitSet into) {
        BitSet older = (BitSet) all.clone();
        older.andNot(round);
        int n = older.cardinality();
        if (n == 0) {
            return;
        }
        int max = older.length();
        for (int i = 0; i < Math.min(OLDER_SAMPLE, n); i++) {
            int seq = older.nextSetBit(1 + random.nextInt(max));
            into.set(seq >= 0 ? seq : older.nextSetBit(0));
        }
    }

    private static long countNew(BitSet[] acked, BitSet[] lostSeen) {
        long n = 0;
        for (int w = 0; w < acked.length; w++) {
            BitSet b = (BitSet) acked[w].clone();
            b.andNot(lostSeen[w]);
            n += b.cardinality();
            lostSeen[w].or(acked[w]);
        }
        return n;
    }

    private static boolean allEmpty(BitSet[] sets) {
        for (BitSet s : sets) {
            if (!s.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static String tail(Path log) {
        try {
            if (!Files.exists(log)) {
                return "(no stderr)";
            }
            byte[] all = Files.readAllBytes(log);
            int from = Math.max(0, all.length - 2_000);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "(stderr unreadable: " + e.getMessage() + ")";
        }
    }
}
