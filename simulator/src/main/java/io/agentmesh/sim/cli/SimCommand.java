package io.agentmesh.sim.cli;

import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.report.ConsoleReport;
import io.agentmesh.sim.report.HtmlReport;
import io.agentmesh.sim.report.JsonReport;
import io.agentmesh.sim.report.ReportDir;
import io.agentmesh.sim.report.RunReport;
import io.agentmesh.sim.run.FaultKind;
import io.agentmesh.sim.run.FaultPlan;
import io.agentmesh.sim.run.PlantedBug;
import io.agentmesh.sim.run.SimConfig;
import io.agentmesh.sim.run.SimLlm;
import io.agentmesh.sim.run.SimResult;
import io.agentmesh.sim.run.Simulation;
import io.agentmesh.sim.world.DiskLatency;
import io.agentmesh.sim.world.Trace;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code agentmesh sim}: deterministic simulation of a mesh (the {@code live} subcommand comes separately). */
@Command(name = "sim", mixinStandardHelpOptions = true,
        description = "Run the real node code under simulated time, network, disks and faults, and check that"
                + " nothing acknowledged is lost and every node ends with the same state.",
        subcommands = {SimCommand.Run.class, io.agentmesh.sim.live.LiveCommand.class, CommandLine.HelpCommand.class})
public final class SimCommand {

    @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                    "Runs N node cores in one thread under virtual time with a workload and the faults drawn from"
                            + " the seed, then heals everything, waits for the nodes to converge and runs the"
                            + " checkers. Prints the verdict, the figures and the command that replays the run;"
                            + " writes a JSON result and an HTML report.",
                    "Same seed and same code give the same run (same trace hash).",
                    "Exit status 0 when every check passed, 1 when one failed, 2 on bad arguments."},
            footer = {"", "Example:", "  agentmesh sim run --nodes 5 --seed 42 --duration 10m"
                    + " --faults partition,crash,loss,delay,skew"})
    public static final class Run implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--nodes", defaultValue = "5", description = "Number of nodes (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--seed", description = "Seed of every random choice (default: a random one, printed).")
        Long seed;

        @Option(names = "--duration", defaultValue = "60s", description = "Simulated time of the workload and"
                + " fault phase, e.g. 30s, 10m, 1h (default ${DEFAULT-VALUE}); the final heal and a quiet period"
                + " follow.")
        String duration;

        @Option(names = "--faults", defaultValue = "all", description = "Fault kinds to draw, comma separated:"
                + " partition, crash, loss, delay, skew, stall (disk); all (= those six), none; datagram (message loss,"
                + " duplication and reordering inside live connections, outside the transport contract)."
                + " Default ${DEFAULT-VALUE}.")
        String faults;

        @Option(names = "--seeds", defaultValue = "1", description = "Run this many consecutive seeds, starting at"
                + " --seed, and summarize (default ${DEFAULT-VALUE}).")
        int seeds;

        @Option(names = "--write-rate", defaultValue = "" + SimConfig.DEFAULT_WRITES_PER_SECOND,
                description = "Workload writes per simulated second over the mesh (default ${DEFAULT-VALUE}).")
        double writeRate;

        @Option(names = "--read-rate", defaultValue = "" + SimConfig.DEFAULT_READS_PER_SECOND,
                description = "Workload reads per simulated second (default ${DEFAULT-VALUE}).")
        double readRate;

        @Option(names = "--intent-rate", defaultValue = "" + SimConfig.DEFAULT_INTENTS_PER_SECOND,
                description = "Workload intent (\"job\") requests per simulated second, at random running nodes"
                        + " (default ${DEFAULT-VALUE}).")
        double intentRate;

        @Option(names = "--consensus", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Run consensus on every node (the first 7 by id vote) with a recording job executor,"
                        + " request intents, and check one leader per term, each intent performed at most once"
                        + " under a committed claim, and every intent performed after the final heal (default on;"
                        + " --no-consensus for the state layer alone).")
        boolean consensus;

        @Option(names = "--convergence-bound", defaultValue = "20s", description = "How soon after the final heal"
                + " all nodes must agree (default ${DEFAULT-VALUE}).")
        String convergenceBound;

        @Option(names = "--snapshot-every", defaultValue = "" + SimConfig.DEFAULT_SNAPSHOT_EVERY,
                description = "A node snapshots its document after this many changes, its own and received (default"
                        + " ${DEFAULT-VALUE}).")
        int snapshotEvery;

        @Option(names = "--raft-time-dilation", description = "How much faster MicroRaft's clock runs than the"
                + " node's (default " + "10: 100 ms heartbeats, 300 ms leader timeout); sweep failover timing with it.")
        Integer raftTimeDilation;

        @Option(names = "--election-jitter", description = "Extra random delay added to Raft election timeouts,"
                + " e.g. 50ms (default 50ms).")
        String electionJitter;

        @Option(names = "--founders", defaultValue = "0", description = "How many voters (the first by node id)"
                + " found the Raft group; the others join it and are added by the leader during the run's faults"
                + " (default 0: every voter founds).")
        int founders;

        @Option(names = "--witness", description = "Enroll the last node as a witness: it votes and keeps the Raft"
                + " log only, holds no agent state, never leads or performs; the workload goes to the others (e.g."
                + " --nodes 3 --witness: two servers and a witness). Checked by witness-never-leads.")
        boolean witness;

        @Option(names = "--llm-intents-per-second", defaultValue = "0", description = "Add the LLM workload: llm"
                + " intents at this mean rate over the mesh, performed by each leader's real gateway against"
                + " simulated providers (seeded latency, 429s, 503s, hangs, cut answers, answers without usage; a"
                + " hard budget of $0.05 a day), checked by the llm-* checkers (docs/llm.md, \"Simulation\")."
                + " Needs consensus (default 0: none).")
        double llmIntentsPerSecond;

        @Option(names = "--agent", description = "Host the agent: every voter runs the real agent runner and"
                + " supervisor against a simulated process (it starts, obeys or ignores SIGTERM, sometimes exits,"
                + " and is ended by its watchdog when its node is killed), checked by agent-overlap"
                + " (docs/agents.md, \"The agent-overlap checker\"). Needs consensus.")
        boolean agent;

        @Option(names = "--fsync-micros", description = "Mean fsync latency per machine in microseconds, drawn from"
                + " MIN-MAX (default 300-3000); each synchronous store call costs its node that long.")
        String fsyncMicros;

        @Option(names = "--wire-check", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Encode and decode every message through the wire codec (default on).")
        boolean wireCheck;

        @Option(names = "--trace", description = "Print the event log (one line per event) as the run goes.")
        boolean trace;

        @Mixin
        ReportDir reportDir;

        @Option(names = "--no-report", description = "Write no files.")
        boolean noReport;

        @Option(names = "--plant", paramLabel = "BUG", description = "Plant a bug to see a checker fail:"
                + " ack-before-fsync, no-anti-entropy, amnesia-restart, corrupt-signatures, double-perform,"
                + " unclaimed-perform, group-answers-lost, witness-campaigns, majority-ack-after-local,"
                + " catch-up-without-waiting, llm-send-before-start, llm-budgets-ignored, llm-cut-as-answer,"
                + " agent-stop-orphans.")
        String plant;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (seeds < 1) {
                throw new IllegalArgumentException("--seeds must be >= 1");
            }
            long first = seed != null ? seed : new SecureRandom().nextLong() & Long.MAX_VALUE;
            SimConfig base = new SimConfig(nodes, first, SimConfig.parseDuration(duration), FaultKind.parse(faults),
                    wireCheck, writeRate, readRate, SimConfig.parseDuration(convergenceBound), snapshotEvery,
                    PlantedBug.parse(plant), null, consensus, intentRate, raft(), disk(), founders, witness,
                    llmIntentsPerSecond != 0 ? SimLlm.at(llmIntentsPerSecond) : SimLlm.OFF, agent);
            if (seeds == 1) {
                return runOne(base, out);
            }
            return sweep(base, out);
        }

        private ConsensusConfig raft() {
            ConsensusConfig c = ConsensusConfig.defaults();
            if (raftTimeDilation != null) {
                c = c.withTimeDilation(raftTimeDilation);
            }
            return electionJitter == null ? c : c.withElectionJitterMs(SimConfig.parseDuration(electionJitter));
        }

        private DiskLatency disk() {
            DiskLatency d = DiskLatency.DEFAULTS;
            return fsyncMicros == null ? d : d.withFsyncMicros(fsyncMicros);
        }

        private int runOne(SimConfig config, PrintWriter out) throws Exception {
            out.printf(Locale.ROOT, "agentmesh sim: %d nodes, seed %d, %s, faults %s, %s%s%n", config.nodes(),
                    config.seed(), SimConfig.formatDuration(config.durationMs()), FaultKind.format(config.faults()),
                    config.consensus() ? "consensus on" : "no consensus",
                    (config.bugs().isEmpty() ? "" : ", PLANTED BUG " + PlantedBug.format(config.bugs())));
            out.flush();
            PrintWriter traceOut = new PrintWriter(new java.io.BufferedWriter(out, 1 << 16), false);
            Trace t = trace ? new Trace(false, traceOut::println) : Trace.hashOnly();
            SimResult r = Simulation.run(config, t);
            traceOut.flush();
            if (trace) {
                out.println();
                out.println("fault plan:");
                for (FaultPlan.Step s : r.plan().steps()) {
                    out.printf(Locale.ROOT, "  %8d ms  %s%n", s.atMs(), s.describe());
                }
            }
            printResult(r, out);
            if (!noReport) {
                RunReport report = RunReport.of(r);
                Path json = reportDir.path().resolve("sim-" + config.seed() + ".json");
                Path html = reportDir.path().resolve("sim-" + config.seed() + ".html");
                JsonReport.write(report, json);
                HtmlReport.write(report, html);
                out.println("report:  " + html + "  (JSON: " + json + ")");
            }
            return r.passed() ? 0 : 1;
        }

        private int sweep(SimConfig base, PrintWriter out) throws Exception {
            out.printf(Locale.ROOT, "agentmesh sim: %d seeds from %d, %d nodes, %s each, faults %s%n", seeds,
                    base.seed(), base.nodes(), SimConfig.formatDuration(base.durationMs()),
                    FaultKind.format(base.faults()));
            int failed = 0;
            double simSeconds = 0;
            double wallSeconds = 0;
            SimResult firstFailure = null;
            java.util.Map<String, Long> agentEnds = new java.util.TreeMap<>();
            long agentLives = 0;
            // Seeds done, failures so far and virtual-time speed on stderr, so stdout keeps only the results.
            io.agentmesh.node.cli.Progress progress = io.agentmesh.node.cli.Progress.start("sim", seeds, "seeds");
            for (int i = 0; i < seeds; i++) {
                SimResult r = Simulation.run(base.withSeed(base.seed() + i));
                for (io.agentmesh.sim.check.AgentRecords.Life l
                        : r.history().records(io.agentmesh.sim.check.AgentRecords.Life.class)) {
                    agentLives++;
                    agentEnds.merge(l.ended() ? l.endedBy() : "running at the end", 1L, Long::sum);
                }
                simSeconds += r.figures().simSeconds();
                wallSeconds += r.figures().wallSeconds();
                progress.note(String.format(Locale.ROOT, "%d failed, %.0fx real time", failed + (r.passed() ? 0 : 1),
                        wallSeconds > 0 ? simSeconds / wallSeconds : 0));
                progress.set(i + 1);
                if (!r.passed()) {
                    failed++;
                    if (firstFailure == null) {
                        firstFailure = r;
                    }
                    out.printf(Locale.ROOT, "seed %d FAIL: %s%n  replay: %s%n", r.config().seed(),
                            r.failures().stream().map(Verdict::toString).toList(), r.replayCommand());
                    out.flush();
                }
            }
            progress.close();
            out.printf(Locale.ROOT, "%d of %d seeds passed; %.0f simulated s in %.1f wall s (%.0fx real time)%n",
                    seeds - failed, seeds, simSeconds, wallSeconds, wallSeconds > 0 ? simSeconds / wallSeconds : 0);
            if (base.agent()) {
                out.printf(Locale.ROOT, "agent: %d process lives (%s)%n", agentLives, agentEnds.entrySet().stream()
                        .map(e -> e.getValue() + " " + e.getKey()).collect(java.util.stream.Collectors.joining(", ")));
            }
            if (firstFailure != null && !noReport) {
                RunReport report = RunReport.of(firstFailure);
                Path html = reportDir.path().resolve("sim-" + firstFailure.config().seed() + ".html");
                JsonReport.write(report, reportDir.path().resolve("sim-" + firstFailure.config().seed() + ".json"));
                HtmlReport.write(report, html);
                out.println("report of the first failing seed: " + html);
            }
            return failed == 0 ? 0 : 1;
        }
    }

    /** Prints the verdict, the figures and the replay command of {@code r}. */
    static void printResult(SimResult r, PrintWriter out) {
        ConsoleReport.verdicts(r.passed(), r.verdicts(), out);
        SimResult.Figures f = r.figures();
        out.println("figures:");
        out.printf(Locale.ROOT, "  writes        %d (%d acknowledged, %d failed), %d reads%n", f.writes(),
                f.acknowledged(), f.failedWrites(), f.reads());
        out.printf(Locale.ROOT, "  simulated     %.1f s (including the quiet period after the final heal)%n",
                f.simSeconds());
        out.printf(Locale.ROOT, "  wall          %.2f s%n", f.wallSeconds());
        out.printf(Locale.ROOT, "  speed         %.0f simulated seconds per wall second (%.0f per CPU second of the"
                + " simulating thread)%n", f.speed(), f.cpuSpeed());
        out.printf(Locale.ROOT, "  messages      %d sent, %d delivered, %d dropped, %d duplicated; %d connections%n",
                f.messagesSent(), f.messagesDelivered(), f.messagesDropped(), f.messagesDuplicated(), f.connections());
        out.printf(Locale.ROOT, "  faults        %d partitions, %d crashes, %d fault episodes in all%n",
                f.partitions(), f.crashes(), r.history().faults().size());
        out.printf(Locale.ROOT, "  disks         %d fsyncs, %d durable changes over all nodes, %d snapshots%n",
                f.fsyncs(), f.durableChanges(), f.snapshots());
        out.printf(Locale.ROOT, "  convergence   %s after the final heal; slowest catch-up after a heal %s%n",
                f.convergenceMs() < 0 ? "NOT reached" : f.convergenceMs() + " ms",
                f.maxCatchUpMs() < 0 ? "-" : f.maxCatchUpMs() + " ms");
        SimResult.IntentFigures i = f.intents();
        if (i != null) {
            out.printf(Locale.ROOT, "  intents       %d requested (%d acknowledged), %d performed (%d performs, %d"
                    + " reconciles), %d performed twice, %d lost; all performed %s after the final heal%n",
                    i.requested(), i.acknowledged(), i.performed(), i.performs(), i.reconciles(),
                    i.doublePerformances(), i.lost(), i.settledMs() < 0 ? "NOT" : i.settledMs() + " ms");
            out.printf(Locale.ROOT, "  leaders       %d terms with a leader; longest time without one %d ms (faults"
                    + " included)%n", i.terms(), i.longestLeaderlessMs());
        }
        if (r.config().llm().on()) {
            var h = r.history();
            var requests = h.records(io.agentmesh.sim.check.LlmRecords.ProviderRequest.class);
            long failedAnswers = requests.stream().filter(q -> !q.answer().equals("COMPLETE")).count();
            long billed = requests.stream().mapToLong(io.agentmesh.sim.check.LlmRecords.ProviderRequest::billedNanoUsd)
                    .sum();
            var calls = h.records(io.agentmesh.sim.check.LlmRecords.CallEnded.class);
            long answered = calls.stream().filter(io.agentmesh.sim.check.LlmRecords.CallEnded::answered).count();
            long overBudget = calls.stream().filter(c -> c.failure().equals("BUDGET_EXCEEDED")).count();
            out.printf(Locale.ROOT, "  llm           %d calls (%d answered, %d refused by the budget); %d provider"
                    + " requests (%d not answered whole), billed %s%n", calls.size(), answered, overBudget,
                    requests.size(), failedAnswers, io.agentmesh.node.llm.cost.NanoUsd.format(billed));
        }
        out.printf(Locale.ROOT, "  trace hash    %s (%d events)%n", r.traceHash(), f.events());
        out.println("replay:  " + r.replayCommand());
    }
}
