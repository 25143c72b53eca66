package io.agentmesh.sim.live;

import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a live run: verdicts, figures (in display order), the recorded history, the consensus evidence it
 * was translated from, and the fault schedule.
 *
 * @param dir the cluster's directory when it was kept (logs, stores, performed.jsonl), else null
 */
public record LiveResult(LiveConfig config, boolean passed, List<Verdict> verdicts, Map<String, Object> figures,
                         History history, LiveEvidence evidence, FaultSchedule schedule,
                         Path dir) {
    public LiveResult {
        verdicts = List.copyOf(verdicts);
        figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    }

    public List<Verdict> failures() {
        return verdicts.stream().filter(v -> !v.passed()).toList();
    }
}
