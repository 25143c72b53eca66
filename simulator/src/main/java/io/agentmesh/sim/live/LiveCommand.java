package io.agentmesh.sim.live;

import io.agentmesh.sim.report.ConsoleReport;
import io.agentmesh.sim.report.ReportDir;
import io.agentmesh.sim.run.SimConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code agentmesh sim live}: the same properties as {@code sim run}, checked on real processes. */
@Command(name = "live", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Starts N real node processes (and relays) on loopback, each with its own directory and ports,"
                        + " drives a workload through their HTTP API, partitions them through their fault-injection"
                        + " endpoint, kills -9 and restarts them, then heals everything, waits for them to converge"
                        + " and checks: convergence, no acknowledged write lost, read-your-writes, no rejected"
                        + " change, node health, one leader per term, a leader whenever a majority is up and"
                        + " connected, each intent performed at most once and only by its claim holder, every intent"
                        + " performed after the heal, and (with --witness) the witness never campaigning, leading or"
                        + " performing.",
                "Prints the verdict and the figures; writes a JSON result and an HTML report. The processes are"
                        + " always stopped at the end, on Ctrl-C too.",
                "Exit status 0 when every check passed, 1 when one failed, 2 on bad arguments."},
        footer = {"", "Example:", "  agentmesh sim live --nodes 5 --relays 2 --seed 42 --duration 2m"
                + " --faults partition,crash,relay",
                "  agentmesh sim live --nodes 3 --witness --seed 7 --duration 60s"})
public final class LiveCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--nodes", defaultValue = "3", description = "Node processes, 1..7 (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--relays", defaultValue = "0", description = "Relay processes, 0..4; every node registers"
            + " with each (default ${DEFAULT-VALUE}).")
    int relays;

    @Option(names = "--seed", description = "Seed of the fault schedule and the workload (default: random,"
            + " printed).")
    Long seed;

    @Option(names = "--duration", defaultValue = "60s", description = "Workload and fault phase, e.g. 30s, 2m"
            + " (default ${DEFAULT-VALUE}); the final heal and the wait for convergence follow.")
    String duration;

    @Option(names = "--faults", defaultValue = "partition,crash", description = "Fault kinds, comma separated:"
            + " partition, crash, relay (needs --relays), delay; all; none (default ${DEFAULT-VALUE}).")
    String faults;

    @Option(names = "--witness", description = "Enroll the last node as a witness: it votes and keeps the Raft log"
            + " but holds no agent state, never leads and never performs (--nodes 3 --witness: two servers and a"
            + " witness). The workload talks to the other nodes only. Checked by witness-never-leads.")
    boolean witness;

    @Option(names = "--write-rate", defaultValue = "" + LiveConfig.DEFAULT_WRITES_PER_SECOND,
            description = "Memory writes per second over the cluster (default ${DEFAULT-VALUE}).")
    double writeRate;

    @Option(names = "--intent-rate", defaultValue = "" + LiveConfig.DEFAULT_INTENTS_PER_SECOND,
            description = "Job intents per second over the cluster (default ${DEFAULT-VALUE}).")
    double intentRate;

    @Option(names = "--convergence-bound", defaultValue = "30s", description = "How soon after the final heal"
            + " every node must hold the same state and every outcome (default ${DEFAULT-VALUE}).")
    String convergenceBound;

    @Option(names = "--leader-bound", defaultValue = "5s", description = "A majority of nodes up and connected"
            + " this long must have a leader (default ${DEFAULT-VALUE}).")
    String leaderBound;

    @Mixin
    ReportDir reportDir;

    @Option(names = "--keep", description = "Keep the nodes' directories (logs, stores, performed.jsonl) under"
            + " <out>/live-<seed>-nodes.")
    boolean keep;

    @Mixin
    NodeHeap heap;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        long s = seed != null ? seed : new SecureRandom().nextLong() & Long.MAX_VALUE;
        Set<LiveFault> kinds = LiveFault.parse(faults);
        if (kinds.contains(LiveFault.RELAY) && relays == 0 && !faults.toLowerCase(Locale.ROOT).contains("all")) {
            throw new IllegalArgumentException("--faults relay needs --relays 1 or more");
        }
        Path keepDir = reportDir.path().resolve("live-" + s + "-nodes");
        if (keep && Files.exists(keepDir)) {
            throw new IllegalArgumentException(keepDir + " already exists (a kept run with this seed); remove it or"
                    + " choose another --out");
        }
        LiveConfig config = new LiveConfig(nodes, relays, s, SimConfig.parseDuration(duration), kinds, writeRate,
                intentRate, SimConfig.parseDuration(convergenceBound), SimConfig.parseDuration(leaderBound), 250,
                keep ? keepDir : null, keep,
                java.util.List.of(heap.jvmOption(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), witness);
        out.printf(Locale.ROOT, "agentmesh sim live: %d nodes%s%s, seed %d, %s, faults %s%n", nodes,
                witness ? " (n" + nodes + " a witness)" : "", relays > 0 ? ", " + relays + " relays" : "", s,
                SimConfig.formatDuration(config.durationMs()),
                LiveFault.format(kinds));
        FaultSchedule schedule = LiveRun.scheduleOf(config);
        out.println("fault schedule (" + schedule.episodes().size() + " episodes):");
        for (FaultSchedule.Step step : schedule.steps()) {
            out.printf(Locale.ROOT, "  %7.1fs  %s%n", step.atMs() / 1000.0, step.describe());
        }
        out.flush();
        LiveResult r = LiveRun.run(config, out);
        print(r, out);
        Path html = LiveReport.write(r, reportDir.path());
        out.println("report:  " + html + "  (JSON: " + html.resolveSibling("live-" + s + ".json") + ")");
        if (r.dir() != null) {
            out.println("nodes:   " + r.dir() + " (logs, stores, performed.jsonl)");
        }
        out.println("rerun:   " + config.rerunCommand());
        out.flush();
        return r.passed() ? 0 : 1;
    }

    /** Prints the verdict and the figures. */
    static void print(LiveResult r, PrintWriter out) {
        ConsoleReport.verdicts(r.passed(), r.verdicts(), out);
        out.println("figures:");
        for (Map.Entry<String, Object> e : r.figures().entrySet()) {
            out.printf(Locale.ROOT, "  %-22s %s%n", e.getKey(), e.getValue());
        }
    }

    /** For running it alone: {@code java -cp simulator-all.jar io.agentmesh.sim.live.LiveCommand --nodes 3}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LiveCommand()).execute(args));
    }
}
