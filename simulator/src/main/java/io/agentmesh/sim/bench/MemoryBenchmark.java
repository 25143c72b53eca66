package io.agentmesh.sim.bench;

import io.agentmesh.node.actions.exec.ExecCommands;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code agentmesh bench memory} (issue 16, goal 8): what a node holds in memory, idle and with {@code --changes}
 * changes. An {@code init}ed home is measured first as a real {@code agentmesh node run} process (the same JVM and
 * class path as this one, no peers): once it answers {@code /readyz} and has run {@code --settle-seconds}, a full
 * GC ({@code jcmd <pid> GC.run}), then the heap in use ({@code jcmd <pid> GC.heap_info}) and the resident set
 * ({@code VmRSS} in {@code /proc/<pid>/status}). The home is then filled through the node's own write path in this
 * JVM (memory entries, one signed change each), where the heap after GC is read through JMX with the node still
 * open: that node wrote every change itself, so its causal index of change hashes is complete, as on a node that has
 * received peers' changes since it started. Then the filled home is measured as a process again: a restarted node,
 * whose causal index is built only when the first peer's change arrives.
 */
@Command(name = "memory", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Memory benchmark: heap after GC and resident set of an idle node process and of one holding"
                + " --changes changes.")
public final class MemoryBenchmark implements Callable<Integer> {
    private static final String NODE_MAIN = "io.agentmesh.node.cli.AgentmeshCommand";
    /** Appends kept in flight while filling the store: the node group-commits them. */
    private static final int WRITE_WINDOW = 1_000;
    private static final long WAIT_SECONDS = 600;
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Pattern HEAP_COMMITTED = Pattern.compile("committed (\\d+)K");
    /** A row of {@code jcmd GC.class_histogram}: rank, instances, bytes, class name. */
    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
    /** Classes of the heap's histogram kept in the result, largest first. */
    private static final int HISTOGRAM_ROWS = 12;
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");
    private static final Pattern HWM = Pattern.compile("VmHWM:\\s+(\\d+) kB");

    @Mixin
    BenchOptions.ScratchDir scratch;

    @Mixin
    BenchOptions.Output output;

    @Option(names = "--changes", defaultValue = "1000000", description = "Changes written before the second"
            + " measurement (default ${DEFAULT-VALUE}).")
    int changes;

    @Option(names = "--heap", description = "-Xmx of the node processes (default: the JVM's own choice, as"
            + " `agentmesh node run` gets it).")
    String heap;

    @Option(names = "--settle-seconds", defaultValue = "5", description = "Seconds a node process runs after it is"
            + " ready before it is measured (default ${DEFAULT-VALUE}).")
    int settleSeconds;

    @Override
    public Integer call() throws Exception {
        if (changes < 1 || settleSeconds < 0) {
            throw new IllegalArgumentException("--changes must be >= 1 and --settle-seconds >= 0");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path work = scratch.create("memory");
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            Path home = work.resolve("home");
            cli("init", "--home", home.toString(), "--quiet-phrase");
            figures.put("idleProcess", measureProcess(home, work.resolve("idle.log")));
            progress("idle node measured");

            Map<String, Object> inJvm = new LinkedHashMap<>();
            long baseline = heapAfterGc();
            try (NodeRuntime node = start(home)) {
                long t0 = System.nanoTime();
                write(node, changes);
                long writeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                inJvm.put("changes", changes);
                inJvm.put("writeMs", writeMs);
                inJvm.put("heapUsedAfterGcBytes", heapAfterGc());
                inJvm.put("heapUsedAfterGcBeforeStartBytes", baseline);
                inJvm.put("rssBytes", status(ProcessHandle.current().pid(), RSS));
                inJvm.put("note", "this benchmark's JVM with the node open after writing every change itself (causal"
                        + " index of change hashes complete)");
            }
            figures.put("filledInThisJvm", inJvm);
            progress("filled the store with " + changes + " changes");
            figures.put("storeBytes", treeBytes(home.resolve("state")));

            Map<String, Object> filled = measureProcess(home, work.resolve("filled.log"));
            filled.put("changes", changes);
            figures.put("filledProcess", filled);
            progress("filled node measured");
        } finally {
            scratch.cleanUp(work);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("changes", changes);
        parameters.put("heap", heap == null ? "JVM default" : heap);
        parameters.put("settleSeconds", settleSeconds);
        parameters.put("entry", "memory entries of ~60 characters with one tag, one change each");
        output.print(new BenchResult("memory", machine, parameters, figures));
        return 0;
    }

    /** Starts {@code node run} on {@code home}, waits until ready and settled, measures, stops it (by its PID). */
    private Map<String, Object> measureProcess(Path home, Path log) throws Exception {
        int http = freePort();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        if (heap != null) {
            cmd.add("-Xmx" + heap);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NODE_MAIN, "node", "run", "--home",
                home.toString(), "--listen", "127.0.0.1:" + freePort(), "--http", "127.0.0.1:" + http));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            awaitReady(p, http, log);
            long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            Thread.sleep(TimeUnit.SECONDS.toMillis(settleSeconds));
            long pid = p.pid();
            jcmd(pid, "GC.run");
            String info = jcmd(pid, "GC.heap_info");
            Matcher m = HEAP_USED.matcher(info);
            if (!m.find()) {
                throw new IllegalStateException("no heap figure in jcmd GC.heap_info: " + info);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("startToReadyMs", readyMs);
            out.put("heapUsedAfterGcBytes", Long.parseLong(m.group(1)) * 1024);
            Matcher c = HEAP_COMMITTED.matcher(info);
            out.put("heapCommittedBytes", c.find() ? Long.parseLong(c.group(1)) * 1024 : -1);
            out.put("rssBytes", status(pid, RSS));
            out.put("rssPeakBytes", status(pid, HWM));
            // What the heap holds, largest classes first: what grows with the history shows here.
            List<Map<String, Object>> top = new ArrayList<>();
            for (String line : jcmd(pid, "GC.class_histogram").split("\n")) {
                Matcher row = HISTOGRAM_ROW.matcher(line);
                if (row.find() && top.size() < HISTOGRAM_ROWS) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("class", row.group(3));
                    r.put("instances", Long.parseLong(row.group(1)));
                    r.put("bytes", Long.parseLong(row.group(2)));
                    top.add(r);
                }
            }
            out.put("largestClasses", top);
            return out;
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitReady(Process p, int http, Path log) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/readyz"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the node process exited " + p.exitValue() + " before it was ready;"
                        + " see " + log);
            }
            try {
                if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the node process was not ready within " + WAIT_SECONDS + " s; see " + log);
    }

    private static String jcmd(long pid, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + out);
        }
        return out;
    }

    /** A figure of {@code /proc/<pid>/status} in bytes, or -1 where there is no such file (not Linux). */
    private static long status(long pid, Pattern field) throws IOException {
        Path file = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(file)) {
            return -1;
        }
        Matcher m = field.matcher(Files.readString(file));
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static NodeRuntime start(Path home) throws Exception {
        NodeRuntime node = NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"),
                Optional.empty(), new InetSocketAddress("127.0.0.1", freePort()), Optional.empty(),
                new InetSocketAddress("127.0.0.1", 0), List.of(), List.of(), 20_000, false, AgentSettings.none(),
                ExecCommands.none(), LlmConfig.none(), new BackupConfig(List.of()))
                .withMaxWritesPerChange(1)); // --changes writes make --changes changes
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!node.isLeader()) {
            if (System.nanoTime() > deadline) {
                node.close();
                throw new IllegalStateException("the node did not lead within 60 s");
            }
            Thread.sleep(50);
        }
        return node;
    }

    /** {@code count} memory entries, {@value #WRITE_WINDOW} in flight at a time, each acknowledged. */
    private static void write(NodeRuntime node, int count) throws Exception {
        List<CompletableFuture<Object>> pending = new ArrayList<>(WRITE_WINDOW);
        try (io.agentmesh.node.cli.Progress done = io.agentmesh.node.cli.Progress.start("memory bench: fill",
                count, "writes")) {
            for (int i = 0; i < count; i++) {
                pending.add(node.appendMemory("note", "entry " + i + " with some text about the world, as agents write",
                        List.of("bench"), Durability.LOCAL));
                if (pending.size() == WRITE_WINDOW) {
                    for (CompletableFuture<Object> f : pending) {
                        f.get(WAIT_SECONDS, TimeUnit.SECONDS);
                    }
                    pending.clear();
                    done.set(i + 1);
                }
            }
            for (CompletableFuture<Object> f : pending) {
                f.get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
            done.set(count);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long treeBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void progress(String what) {
        System.err.println("memory: " + what);
    }

    /** Runs an agentmesh command in this JVM; its output goes to stderr, a failure throws. */
    private static synchronized void cli(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = AgentmeshCommand.execute(args);
        } finally {
            System.setOut(oldOut);
        }
        System.err.print(out.toString(StandardCharsets.UTF_8));
        if (exit != 0) {
            throw new IllegalStateException("agentmesh " + args[0] + " exited " + exit);
        }
    }
}
