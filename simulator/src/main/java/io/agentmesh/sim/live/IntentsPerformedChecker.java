package io.agentmesh.sim.live;

import io.agentmesh.sim.check.Checker;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every acknowledged intent is performed once a majority is connected long enough: after the final heal and the
 * quiet period, every node that is up reports an outcome for each intent a node acknowledged. An outcome may be
 * "failed" with an uncertain result (the leader died between marking the job started and reporting it; the job is
 * then not run again, by design); it is counted, not a violation.
 */
public final class IntentsPerformedChecker implements Checker {
    public static final String NAME = "intents-performed";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Verdict check(History h) {
        List<History.NodeFinal> up = h.finals().values().stream().filter(History.NodeFinal::up).toList();
        if (up.isEmpty()) {
            return Verdict.fail(NAME, "no node was up at the end", List.of());
        }
        Map<String, Map<String, String>> outcome = new HashMap<>(); // intent -> node -> status
        for (LiveRecords.IntentFinal f : h.records(LiveRecords.IntentFinal.class)) {
            if (f.status() != null) {
                outcome.computeIfAbsent(f.intent(), k -> new HashMap<>()).put(f.node(), f.status());
            }
        }
        List<String> violations = new ArrayList<>();
        Map<String, Integer> byStatus = new TreeMap<>();
        int acked = 0;
        int missing = 0;
        for (LiveRecords.IntentRequest r : h.records(LiveRecords.IntentRequest.class)) {
            if (!r.acknowledged()) {
                continue;
            }
            acked++;
            Map<String, String> seen = outcome.getOrDefault(r.id(), Map.of());
            List<String> without = new ArrayList<>();
            for (History.NodeFinal f : up) {
                if (!seen.containsKey(f.node())) {
                    without.add(f.node());
                }
            }
            if (!without.isEmpty()) {
                missing++;
                if (violations.size() < 50) {
                    violations.add("intent " + r.id() + " (requested at " + r.node() + ", " + r.ackedMs()
                            + " ms) has no outcome on " + String.join(", ", without));
                }
            } else {
                byStatus.merge(seen.values().iterator().next(), 1, Integer::sum);
            }
        }
        if (acked == 0) {
            return Verdict.fail(NAME, "no intent was acknowledged: nothing to check", List.of());
        }
        if (missing > 0) {
            return Verdict.fail(NAME, missing + " of " + acked + " acknowledged intents without an outcome after the"
                    + " final heal", violations);
        }
        return Verdict.pass(NAME, acked + " acknowledged intents, each with an outcome on all " + up.size()
                + " nodes " + byStatus);
    }
}
