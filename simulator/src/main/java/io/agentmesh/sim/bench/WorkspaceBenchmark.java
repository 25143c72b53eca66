package io.agentmesh.sim.bench;

import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.state.Limits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The workspace mirror end to end, on a loopback mesh of real node processes, each with its own workspace
 * directory: a file edited in node 1's workspace (written to a temporary file and renamed over it, as editors and
 * most agents do) until every other node's copy of the file on disk holds exactly the new content. One clock (this
 * process's) times both ends: the edit's rename, and the first look that finds the new content on the last other
 * node. Looks stat each copy every {@value #POLL_MICROS} microseconds and read it only when its size or time moved.
 *
 * <p>Each edit replaces one line with a new one, so the file keeps its size; edits are paced ({@code --pause-ms})
 * so each is measured alone.
 */
@Command(name = "workspace", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark a workspace file edit on one node to the file updated on every other node's disk.")
public final class WorkspaceBenchmark implements Callable<Integer> {
    private static final long POLL_MICROS = 500;
    private static final long TIMEOUT_MS = 30_000;
    private static final int LINE_BYTES = 64;

    @Option(names = "--nodes", defaultValue = "3", description = "Node processes (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--sizes", defaultValue = "1024,102400,1048576", split = ",",
            description = "File sizes in bytes (default ${DEFAULT-VALUE}; 1 MiB is the mirror's limit).")
    int[] sizes;

    @Option(names = "--edits", defaultValue = "100", description = "Timed edits per size (default ${DEFAULT-VALUE}).")
    int edits;

    @Option(names = "--warmup", defaultValue = "10", description = "Untimed edits per size first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--pause-ms", defaultValue = "100", description = "Pause after each edit arrived (default ${DEFAULT-VALUE}).")
    long pauseMs;

    @Mixin
    BenchOptions.SeededRun run;

    @Override
    public Integer call() throws Exception {
        if (nodes < 2 || edits < 1 || warmup < 0 || pauseMs < 0 || Arrays.stream(sizes).anyMatch(s -> s < LINE_BYTES
                || s > 1024 * 1024)) {
            throw new IllegalArgumentException("--nodes >= 2, --edits >= 1, every size 64..1048576 bytes");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path base = run.scratch().create("workspace");
        Map<String, Object> figures = new LinkedHashMap<>();
        Random random = new Random(run.seed());
        LiveCluster.Options options = LiveCluster.Options.of(nodes, 0).withWorkspaces()
                .withDir(base.resolve("cluster"), !run.scratch().temporary());
        try (LiveCluster c = LiveCluster.start(options)) {
            figures.put("loadAverageAfterStart", LoadAverage.now().asList());
            for (int size : sizes) {
                figures.put(label(size), measure(c, size, random));
            }
            figures.put("loadAverageAtEnd", LoadAverage.now().asList());
        } finally {
            run.scratch().cleanUp(base);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("nodes", nodes);
        parameters.put("sizesBytes", Arrays.stream(sizes).boxed().toList());
        parameters.put("edits", edits);
        parameters.put("warmup", warmup);
        parameters.put("pauseMs", pauseMs);
        parameters.put("edit", "replace one line, write a temporary file, rename it over the file");
        parameters.put("seed", run.seed());
        run.output().print(new BenchResult("workspace", machine, parameters, figures));
        return 0;
    }

    private static String label(int size) {
        return size % (1024 * 1024) == 0 ? (size / (1024 * 1024)) + "MiB"
                : size % 1024 == 0 ? (size / 1024) + "KiB" : size + "B";
    }

    private Map<String, Object> measure(LiveCluster c, int size, Random random) throws Exception {
        String name = "bench-" + label(size) + ".md";
        Path source = c.node(0).workspace().resolve(name);
        List<Path> copies = new ArrayList<>();
        for (int i = 1; i < c.nodes().size(); i++) {
            copies.add(c.node(i).workspace().resolve(name));
        }
        // A file is created in one change, which carries at most Limits.MAX_WORKSPACE_WRITE_CHARS characters.
        int lineCount = Math.min(size, Limits.MAX_WORKSPACE_WRITE_CHARS) / LINE_BYTES;
        String[] lines = new String[lineCount];
        for (int i = 0; i < lineCount; i++) {
            lines[i] = line("line " + i);
        }
        String content = String.join("", lines);
        write(source, content);
        long firstMs = awaitEverywhere(copies, content, System.nanoTime());
        if (firstMs < 0) {
            throw new IllegalStateException("the first copy of " + name + " did not reach every node within "
                    + TIMEOUT_MS + " ms");
        }
        long[] latencies = new long[edits];
        int measured = 0;
        int timeouts = 0;
        for (int i = -warmup; i < edits; i++) {
            lines[random.nextInt(lineCount)] = line("edit " + i + " " + Long.toHexString(random.nextLong()));
            content = String.join("", lines);
            long t0 = System.nanoTime();
            write(source, content);
            long nanos = awaitEverywhere(copies, content, t0);
            if (i >= 0) {
                if (nanos < 0) {
                    timeouts++;
                } else {
                    latencies[measured++] = nanos;
                }
            }
            if (pauseMs > 0) {
                TimeUnit.MILLISECONDS.sleep(pauseMs);
            }
        }
        long[] sorted = Arrays.copyOf(latencies, measured);
        Arrays.sort(sorted);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("fileBytes", content.getBytes(StandardCharsets.UTF_8).length);
        r.put("edits", edits);
        r.put("measured", measured);
        r.put("timeouts", timeouts);
        r.put("firstCopyMs", firstMs / 1e6);
        r.put("p50Ms", sorted.length == 0 ? null : sorted[sorted.length / 2] / 1e6);
        r.put("p99Ms", sorted.length == 0 ? null : sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))]
                / 1e6);
        r.put("maxMs", sorted.length == 0 ? null : sorted[sorted.length - 1] / 1e6);
        return r;
    }

    /** A line of exactly {@value #LINE_BYTES} bytes (ASCII), ending with '\n'. */
    private static String line(String text) {
        StringBuilder b = new StringBuilder(text);
        while (b.length() < LINE_BYTES - 1) {
            b.append('.');
        }
        b.setLength(LINE_BYTES - 1);
        return b.append('\n').toString();
    }

    private static void write(Path file, String content) throws IOException {
        // "*.tmp" is in the mirror's default ignore rules, as editors' temporary files are
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, content);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Nanoseconds from {@code t0} until every copy holds {@code content}; -1 after {@value #TIMEOUT_MS} ms. */
    private static long awaitEverywhere(List<Path> copies, String content, long t0) throws IOException {
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        boolean[] done = new boolean[copies.size()];
        long[] seenSize = new long[copies.size()];
        long[] seenTime = new long[copies.size()];
        Arrays.fill(seenSize, -1);
        int left = copies.size();
        long expectedBytes = content.getBytes(StandardCharsets.UTF_8).length;
        while (left > 0) {
            for (int i = 0; i < copies.size(); i++) {
                if (done[i]) {
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(copies.get(i), BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue;
                }
                long time = a.lastModifiedTime().to(TimeUnit.NANOSECONDS) ^ a.fileKey().hashCode();
                if (a.size() == seenSize[i] && time == seenTime[i]) {
                    continue;
                }
                seenSize[i] = a.size();
                seenTime[i] = time;
                if (a.size() == expectedBytes) {
                    try {
                        if (Files.readString(copies.get(i)).equals(content)) {
                            done[i] = true;
                            left--;
                        }
                    } catch (NoSuchFileException e) {
                        seenSize[i] = -1;
                    }
                }
            }
            if (left == 0) {
                break;
            }
            if (System.nanoTime() > deadline) {
                return -1;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(POLL_MICROS));
        }
        return System.nanoTime() - t0;
    }
}
