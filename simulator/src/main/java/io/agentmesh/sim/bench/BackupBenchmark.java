package io.agentmesh.sim.bench;

import io.agentmesh.node.actions.exec.ExecCommands;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code agentmesh bench backup}: one node's whole backup cycle through the product's own code, in this JVM. An
 * {@code init}ed home writes {@code --changes} memory entries through the node's write path (one signed change each),
 * backs up to a directory target ({@code POST /v1/backup}'s path: {@link NodeRuntime#backupNow}), writes
 * {@code --more-changes} more and backs up incrementally, then {@code agentmesh restore --phrase-stdin} into a fresh
 * home and starts its node until it serves every entry. {@code backup verify} is timed too: the read-and-verify part
 * of a restore, without the import. S3 is not measured here: the S3 server the tests use
 * (s3proxy) is a test-scope dependency, not part of the shipped simulator.
 */
@Command(name = "backup", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Backup benchmark: full and incremental backup of a node's store to a directory target, then a"
                + " restore from the recovery phrase into a fresh home and the time until its node serves the state.")
public final class BackupBenchmark implements Callable<Integer> {
    /** Appends kept in flight while filling the store: the node group-commits them. */
    private static final int WRITE_WINDOW = 1_000;
    private static final long WAIT_SECONDS = 600;

    @Mixin
    BenchOptions.ScratchDir scratch;

    @Mixin
    BenchOptions.Output output;

    @Option(names = "--changes", defaultValue = "100000", description = "Changes in the store before the full"
            + " backup (default ${DEFAULT-VALUE}).")
    int changes;

    @Option(names = "--more-changes", defaultValue = "1000", description = "Changes written between the full and the"
            + " incremental backup (default ${DEFAULT-VALUE}).")
    int moreChanges;

    @Override
    public Integer call() throws Exception {
        if (changes < 1 || moreChanges < 1) {
            throw new IllegalArgumentException("--changes and --more-changes must be >= 1");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path work = scratch.create("backup");
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            Path home = work.resolve("home");
            Path target = Files.createDirectories(work.resolve("target"));
            cli("", "init", "--home", home.toString(), "--quiet-phrase");
            String phrase = RecoveryPhrase.of(IdentityDirectory.of(home.resolve("identity"))
                    .readAgentRoot(Optional.empty())).words();
            Files.writeString(home.resolve("backup.json"), "{\"targets\": [{\"id\": \"dir\", \"uri\": \"file://"
                    + target.toAbsolutePath() + "\"}]}");

            try (NodeRuntime node = start(home, true)) {
                long t0 = System.nanoTime();
                write(node, changes, "first");
                long writeMs = msSince(t0);
                Map<String, Object> fill = new LinkedHashMap<>();
                fill.put("changes", changes);
                fill.put("writeMs", writeMs);
                fill.put("writesPerSecond", Math.round(changes * 1000.0 / Math.max(1, writeMs)));
                figures.put("fill", fill);
                progress("filled the store with " + changes + " changes in " + writeMs + " ms");

                figures.put("fullBackup", backup(node, target));
                progress("full backup done");
                write(node, moreChanges, "more");
                figures.put("incrementalBackup", backup(node, target));
                progress("incremental backup done");
                figures.put("drillFromDirectory", drill(node));
                progress("drill done");
            }

            // What `backup verify` takes: the read-and-verify part of a restore, without the import.
            long tv = System.nanoTime();
            cli("", "backup", "verify", "--home", home.toString());
            figures.put("verify", Map.of("ms", msSince(tv)));
            progress("verify done");

            Path restored = work.resolve("restored");
            long t0 = System.nanoTime();
            cli(phrase + "\n", "restore", "--phrase-stdin", "--from", "file://" + target.toAbsolutePath(),
                    "--home", restored.toString());
            long restoreMs = msSince(t0);
            long expected = (long) changes + moreChanges;
            long startMs;
            long t1 = System.nanoTime();
            try (NodeRuntime node = start(restored, false)) {
                long count = node.memoryCount().get(WAIT_SECONDS, TimeUnit.SECONDS);
                startMs = msSince(t1);
                if (count != expected) {
                    throw new IllegalStateException("the restored node serves " + count + " memory entries, not "
                            + expected);
                }
            }
            Map<String, Object> restore = new LinkedHashMap<>();
            restore.put("from", "directory");
            restore.put("changes", expected);
            restore.put("restoreCommandMs", restoreMs);
            restore.put("nodeStartToServingMs", startMs);
            restore.put("totalToServingMs", restoreMs + startMs);
            figures.put("restore", restore);
            progress("restore done");
        } finally {
            scratch.cleanUp(work);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("changes", changes);
        parameters.put("moreChanges", moreChanges);
        parameters.put("target", "directory");
        parameters.put("s3", "not measured here: the loopback S3 server (s3proxy) is test-scope only; the drill from"
                + " S3 is node's DrillS3Figures (docs/backup.md, \"Figures\")");
        output.print(new BenchResult("backup", machine, parameters, figures));
        return 0;
    }

    private static void progress(String what) {
        System.err.println("backup: " + what);
    }

    private static long msSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** {@code count} memory entries, {@value #WRITE_WINDOW} in flight at a time, each acknowledged. */
    private static void write(NodeRuntime node, int count, String label) throws Exception {
        List<CompletableFuture<Object>> pending = new ArrayList<>(WRITE_WINDOW);
        // Writes acknowledged of the total on stderr (a bar on a terminal): the fill is most of a large run.
        try (io.agentmesh.node.cli.Progress done = io.agentmesh.node.cli.Progress.start("backup bench: " + label,
                count, "writes")) {
            for (int i = 0; i < count; i++) {
                pending.add(node.appendMemory("note", label + " entry " + i + " with some text about the world",
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

    /**
     * The restore drill of the only target, as the leader runs it (docs/backup.md, "The drill"): its own recovery
     * times by phase, and the wall time of the whole request.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> drill(NodeRuntime node) throws Exception {
        long t0 = System.nanoTime();
        Map<String, Object> signed = node.drillNow(Optional.empty()).get(WAIT_SECONDS, TimeUnit.SECONDS)
                .orElseThrow(() -> new IllegalStateException("this node has no backup targets"));
        long ms = msSince(t0);
        Map<String, Object> report = (Map<String, Object>) signed.get("report");
        if (report == null || !Boolean.TRUE.equals(report.get("ok"))) {
            throw new IllegalStateException("the drill failed: " + signed);
        }
        Map<String, Object> attempt = ((List<Map<String, Object>>) report.get("attempts")).get(0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requestMs", ms);
        m.put("changes", attempt.get("changes"));
        m.put("bytesFetched", attempt.get("bytesFetched"));
        m.put("recoveryMs", attempt.get("recoveryMs"));
        m.put("goalMs", 60_000);
        return m;
    }

    /** One backup run to the only target, timed, with what it wrote. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> backup(NodeRuntime node, Path target) throws Exception {
        long t0 = System.nanoTime();
        Map<String, Object> result = node.backupNow(Optional.empty()).get(WAIT_SECONDS, TimeUnit.SECONDS)
                .orElseThrow(() -> new IllegalStateException("the node has no backup targets"));
        long ms = msSince(t0);
        if (result.containsKey("notLeader")) {
            throw new IllegalStateException("the node does not lead: " + result);
        }
        Map<String, Object> report = ((List<Map<String, Object>>) result.get("targets")).getFirst();
        if (!Boolean.TRUE.equals(report.get("ok"))) {
            throw new IllegalStateException("the backup failed: " + report.get("error"));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ms", ms);
        m.put("manifest", report.get("manifest"));
        m.put("changesAdded", report.get("changesAdded"));
        m.put("objectsWritten", report.get("objectsWritten"));
        m.put("bytesWritten", report.get("bytesWritten"));
        m.put("objectsInBackup", report.get("objectsInBackup"));
        m.put("targetBytes", treeBytes(target));
        return m;
    }

    private static long treeBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    /** A node on loopback ports; {@code lead}: wait until it leads (a restored home stays quiet and never does). */
    private static NodeRuntime start(Path home, boolean lead) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = home.resolve("backup.json");
        NodeRuntime node = NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"),
                Optional.empty(), new InetSocketAddress("127.0.0.1", port), Optional.empty(),
                new InetSocketAddress("127.0.0.1", 0), List.of(), List.of(), 20_000, false, AgentSettings.none(),
                ExecCommands.none(), LlmConfig.none(),
                Files.exists(config) ? BackupConfig.read(config) : new BackupConfig(List.of()))
                .withMaxWritesPerChange(1)); // the fill's N writes are N changes, as the figures say
        if (lead) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!node.isLeader()) {
                if (System.nanoTime() > deadline) {
                    node.close();
                    throw new IllegalStateException("the node did not lead within 60 s");
                }
                Thread.sleep(50);
            }
        }
        return node;
    }

    /** Runs an agentmesh command in this JVM with {@code stdin}; its output goes to stderr, a failure throws. */
    private static synchronized void cli(String stdin, String... args) {
        PrintStream oldOut = System.out;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            exit = AgentmeshCommand.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setIn(oldIn);
        }
        System.err.print(out.toString(StandardCharsets.UTF_8));
        if (exit != 0) {
            throw new IllegalStateException("agentmesh " + args[0] + " exited " + exit);
        }
    }
}
