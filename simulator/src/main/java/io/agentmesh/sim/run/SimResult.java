package io.agentmesh.sim.run;

import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;

import java.util.List;

/**
 * The outcome of a run: verdicts, trace hash, figures, the recorded history (for reports) and, when kept, the
 * event log.
 */
public record SimResult(SimConfig config, boolean passed, List<Verdict> verdicts, String traceHash, Figures figures,
                        History history, FaultPlan plan, List<String> trace) {
    public SimResult {
        verdicts = List.copyOf(verdicts);
        trace = List.copyOf(trace);
    }

    /**
     * The figures of a run.
     *
     * @param simSeconds        simulated time, including the quiet period after the final heal
     * @param wallSeconds       real time the run took
     * @param speed             simulated seconds per wall second
     * @param cpuSeconds        CPU time of the simulating thread (unlike wall time, not inflated by other load)
     * @param snapshots         document snapshots the nodes wrote
     * @param convergenceMs     time from the final heal until every node held the same state; -1 if never
     * @param maxCatchUpMs      longest catch-up after a heal during the run; -1 if none was measured
     * @param intents           intents and leaders, or null when the run had no consensus
     */
    public record Figures(long writes, long acknowledged, long failedWrites, long reads, double simSeconds,
                          double wallSeconds, double speed, double cpuSeconds, long events, long messagesSent, long messagesDelivered,
                          long messagesDropped, long messagesDuplicated, long connections, long partitions,
                          long crashes, long fsyncs, long durableChanges, long snapshots, long convergenceMs,
                          long maxCatchUpMs, IntentFigures intents) {
        /** Simulated seconds per CPU second of the simulating thread. */
        public double cpuSpeed() {
            return cpuSeconds > 0 ? simSeconds / cpuSeconds : 0;
        }
    }

    /**
     * The consensus figures of a run.
     *
     * @param requested          intents the workload requested
     * @param acknowledged       requests a node acknowledged (durable there)
     * @param performed          intents the outside world saw acted on (perform or reconcile)
     * @param applied            intents whose effect the ledger applied (it suppresses duplicates by intent id)
     * @param performs           perform calls
     * @param reconciles         reconcile calls (a new leader finishing what a dead or deposed one claimed)
     * @param doublePerformances intents with more than one perform call: must be 0
     * @param lost               intents without an outcome on every running node at the end: must be 0
     * @param terms              terms that had a leader (elections won)
     * @param longestLeaderlessMs the longest time, from the first election on, during which no node believed itself
     *                           leader (faults included; -1 if no node ever led)
     * @param settledMs          from the final heal until every node showed an outcome for every intent; -1 if never
     */
    public record IntentFigures(long requested, long acknowledged, long performed, long applied, long performs,
                                long reconciles, long doublePerformances, long lost, long terms,
                                long longestLeaderlessMs, long settledMs) {
    }

    public String replayCommand() {
        return config.replayCommand();
    }

    public List<Verdict> failures() {
        return verdicts.stream().filter(v -> !v.passed()).toList();
    }
}
