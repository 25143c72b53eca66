package io.agentmesh.sim.bench;

import io.agentmesh.node.metrics.TaskDurations;
import io.agentmesh.node.runtime.NodeRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The node-thread stall meter under load: how long the tasks of each node's one thread take (p50, p99, p99.9 and the
 * longest), on a 3-node loopback mesh of real nodes (Netty + TLS, SQLite), in two phases:
 *
 * <ul>
 *   <li>{@code light}: {@code --seconds} of writes at {@code --rate} spread over the nodes, connected throughout, so
 *       each node saves each peer's cursor every 2 s (the replication default) besides pushing and applying;</li>
 *   <li>{@code catchUp}: one node is stopped, {@code --catch-up} changes are written on the other two, and the stopped
 *       one restarts; from its start until it holds every change, the two senders answer its pulls from their stores
 *       (the reads of {@code Replicator.sendMissing}) while the late node applies the batches.</li>
 * </ul>
 *
 * A long task is one that held the node thread, so everything queued behind it (peer messages, timers, API calls)
 * waited that long: a blocking disk call on that thread shows up here as a long task.
 */
@Command(name = "node-thread", mixinStandardHelpOptions = true,
        description = "Benchmark how long the node thread's tasks take (stall meter) while writing and during a catch-up.")
public final class NodeThreadBenchmark implements java.util.concurrent.Callable<Integer> {
    private static final int WRITES_IN_FLIGHT = 64;

    @Option(names = "--seconds", defaultValue = "20", description = "Seconds of light writes (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--rate", defaultValue = "100", description = "Writes per second in the light phase (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--catch-up", defaultValue = "100000", description = "Changes the late node is behind (default ${DEFAULT-VALUE}).")
    int catchUp;

    @Mixin
    BenchOptions.SeededRun run;

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || rate < 1 || catchUp < 1) {
            throw new IllegalArgumentException("--seconds, --rate and --catch-up must be >= 1");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path base = run.scratch().create("node-thread");
        Map<String, Object> figures = new LinkedHashMap<>();
        try (ReplicationBenchmark.Mesh mesh = new ReplicationBenchmark.Mesh(base.resolve("mesh"), 3)) {
            mesh.awaitConnected();
            figures.put("light", light(mesh));
            figures.put("catchUp", catchUp(mesh));
        } finally {
            run.scratch().cleanUp(base);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("nodes", 3);
        parameters.put("seconds", seconds);
        parameters.put("rateWritesPerSecond", rate);
        parameters.put("catchUpChanges", catchUp);
        parameters.put("seed", run.seed());
        run.output().print(new BenchResult("node-thread", machine, parameters, figures));
        return 0;
    }

    private Map<String, Object> light(ReplicationBenchmark.Mesh mesh) throws Exception {
        List<TaskDurations.Snapshot> before = snapshots(mesh.nodes);
        Random random = new Random(run.seed());
        long intervalNanos = 1_000_000_000L / rate;
        long start = System.nanoTime();
        long next = start;
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        int written = 0;
        while (System.nanoTime() < end) {
            mesh.nodes.get(random.nextInt(mesh.nodes.size()))
                    .appendMemory("bench", "node-thread benchmark entry " + written, List.of()).join();
            written++;
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("writes", written);
        r.put("seconds", round((System.nanoTime() - start) / 1e9));
        r.put("nodes", perNode(mesh.nodes, before));
        r.put("loadAverageAtEnd", LoadAverage.now().asList());
        return r;
    }

    private Map<String, Object> catchUp(ReplicationBenchmark.Mesh mesh) throws Exception {
        mesh.stop(2);
        // Up to WRITES_IN_FLIGHT at a time, so the store commits them in groups: the fill is not what is measured.
        java.util.ArrayDeque<java.util.concurrent.CompletableFuture<?>> inFlight = new java.util.ArrayDeque<>();
        for (int i = 0; i < catchUp; i++) {
            if (inFlight.size() >= WRITES_IN_FLIGHT) {
                inFlight.poll().join();
            }
            inFlight.add(mesh.nodes.get(i % 2).appendMemory("bench", "catch-up entry " + i, List.of()));
        }
        inFlight.forEach(java.util.concurrent.CompletableFuture::join);
        long target = mesh.nodes.get(0).changeCount();
        List<NodeRuntime> senders = List.of(mesh.nodes.get(0), mesh.nodes.get(1));
        List<TaskDurations.Snapshot> sendersBefore = snapshots(senders);
        long t0 = System.nanoTime();
        NodeRuntime late = mesh.start(2);
        while (late.changeCount() < target && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(300)) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("changesBehind", catchUp);
        r.put("msFromStartToAllDurable", ms);
        r.put("caughtUp", late.changeCount() >= target);
        r.put("senders", perNode(senders, sendersBefore));
        // The late node's thread is new: all its tasks belong to the catch-up.
        r.put("late", late.nodeThreadTasks().figures());
        r.put("loadAverageAtEnd", LoadAverage.now().asList());
        return r;
    }

    private static List<TaskDurations.Snapshot> snapshots(List<NodeRuntime> nodes) {
        List<TaskDurations.Snapshot> out = new ArrayList<>();
        nodes.forEach(n -> out.add(n.nodeThreadTasks()));
        return out;
    }

    /** Each node's figures since {@code before}, and the worst p99/p99.9/max among them. */
    private static Map<String, Object> perNode(List<NodeRuntime> nodes, List<TaskDurations.Snapshot> before) {
        Map<String, Object> r = new LinkedHashMap<>();
        double worstP99 = 0;
        double worstP999 = 0;
        double worstMax = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Map<String, Object> f = nodes.get(i).nodeThreadTasks().since(before.get(i)).figures();
            r.put("node" + i, f);
            worstP99 = Math.max(worstP99, (double) f.get("p99Ms"));
            worstP999 = Math.max(worstP999, (double) f.get("p999Ms"));
            worstMax = Math.max(worstMax, (double) f.get("maxMs"));
        }
        r.put("worstP99Ms", worstP99);
        r.put("worstP999Ms", worstP999);
        r.put("worstMaxMs", worstMax);
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
