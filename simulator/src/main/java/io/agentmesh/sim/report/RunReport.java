package io.agentmesh.sim.report;

import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.run.FaultKind;
import io.agentmesh.sim.run.PlantedBug;
import io.agentmesh.sim.run.SimResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a report shows, independent of where the run came from: a simulated run ({@link #of(SimResult)}) or, later,
 * a live run that recorded the same {@link History} and ran the same checkers.
 *
 * @param title      e.g. "agentmesh sim run"
 * @param mode       "simulated" or "live"
 * @param parameters the inputs of the run, in display order
 * @param figures    the measured figures, in display order
 * @param replay     the command that reproduces the run (may be empty for live runs)
 * @param traceHash  SHA-256 of the event log, or empty
 */
public record RunReport(String title, String mode, Map<String, Object> parameters, boolean passed,
                        List<Verdict> verdicts, Map<String, Object> figures, String replay, String traceHash,
                        History history) {
    public RunReport {
        parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        figures = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(figures));
        verdicts = List.copyOf(verdicts);
    }

    public static RunReport of(SimResult r) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("nodes", r.config().nodes());
        params.put("seed", r.config().seed());
        params.put("durationMs", r.config().durationMs());
        params.put("faults", FaultKind.format(r.config().faults()));
        params.put("wireCheck", r.config().wireCheck());
        params.put("writesPerSecond", r.config().writesPerSecond());
        params.put("readsPerSecond", r.config().readsPerSecond());
        params.put("convergenceBoundMs", r.config().convergenceBoundMs());
        params.put("snapshotEvery", r.config().snapshotEvery());
        params.put("consensus", r.config().consensus());
        if (r.config().consensus()) {
            params.put("intentsPerSecond", r.config().intentsPerSecond());
        }
        if (!r.config().bugs().isEmpty()) {
            params.put("plantedBugs", PlantedBug.format(r.config().bugs()));
        }
        SimResult.Figures f = r.figures();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("writes", f.writes());
        figures.put("acknowledged", f.acknowledged());
        figures.put("failedWrites", f.failedWrites());
        figures.put("reads", f.reads());
        figures.put("simSeconds", round(f.simSeconds(), 3));
        figures.put("wallSeconds", round(f.wallSeconds(), 3));
        figures.put("speed", round(f.speed(), 1));
        figures.put("cpuSeconds", round(f.cpuSeconds(), 3));
        figures.put("cpuSpeed", round(f.cpuSpeed(), 1));
        figures.put("events", f.events());
        figures.put("messagesSent", f.messagesSent());
        figures.put("messagesDelivered", f.messagesDelivered());
        figures.put("messagesDropped", f.messagesDropped());
        figures.put("messagesDuplicated", f.messagesDuplicated());
        figures.put("connections", f.connections());
        figures.put("partitions", f.partitions());
        figures.put("crashes", f.crashes());
        figures.put("fsyncs", f.fsyncs());
        figures.put("durableChanges", f.durableChanges());
        figures.put("snapshots", f.snapshots());
        figures.put("convergenceMs", f.convergenceMs());
        figures.put("maxCatchUpMs", f.maxCatchUpMs());
        SimResult.IntentFigures i = f.intents();
        if (i != null) {
            figures.put("intentsRequested", i.requested());
            figures.put("intentsAcknowledged", i.acknowledged());
            figures.put("intentsPerformed", i.performed());
            figures.put("intentsAppliedByLedger", i.applied());
            figures.put("performCalls", i.performs());
            figures.put("reconcileCalls", i.reconciles());
            figures.put("doublePerformances", i.doublePerformances());
            figures.put("lostIntents", i.lost());
            figures.put("leaderTerms", i.terms());
            figures.put("longestLeaderlessMs", i.longestLeaderlessMs());
            figures.put("intentsPerformedAfterHealMs", i.settledMs());
        }
        return new RunReport("agentmesh sim run", "simulated", params, r.passed(), r.verdicts(), figures,
                r.replayCommand(), r.traceHash(), r.history());
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }
}
