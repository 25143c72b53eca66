package io.agentmesh.sim.live;

import io.agentmesh.sim.check.Checker;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * At most one leader per Raft term, from every status sample: a node that reports itself leader of term t, and a
 * node that names someone as the leader of its term t, both say who led t; two different names for one term is a
 * violation. A run in which no sample ever showed a leader fails too: then the property was never exercised.
 */
public final class OneLeaderPerTermChecker implements Checker {
    public static final String NAME = "one-leader-per-term";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Verdict check(History h) {
        List<LiveRecords.StatusSample> samples = h.records(LiveRecords.StatusSample.class);
        Map<Long, Set<String>> leaders = new TreeMap<>();
        Map<Long, Set<String>> claims = new TreeMap<>();
        int answered = 0;
        for (LiveRecords.StatusSample s : samples) {
            if (!s.up()) {
                continue;
            }
            answered++;
            if (s.isLeader()) {
                leaders.computeIfAbsent(s.term(), t -> new TreeSet<>()).add(s.node());
                claims.computeIfAbsent(s.term(), t -> new TreeSet<>()).add(s.node() + " (itself, at " + s.atMs()
                        + " ms)");
            }
            if (s.leader() != null && !s.leader().isEmpty()) {
                leaders.computeIfAbsent(s.term(), t -> new TreeSet<>()).add(s.leader());
                claims.computeIfAbsent(s.term(), t -> new TreeSet<>()).add(s.leader() + " (per " + s.node() + " at "
                        + s.atMs() + " ms)");
            }
        }
        if (answered == 0) {
            return Verdict.fail(NAME, "no status sample recorded: nothing to check", List.of());
        }
        if (leaders.isEmpty()) {
            return Verdict.fail(NAME, "no leader seen in " + answered + " status samples", List.of());
        }
        List<String> violations = new ArrayList<>();
        for (Map.Entry<Long, Set<String>> e : leaders.entrySet()) {
            if (e.getValue().size() > 1) {
                List<String> who = new ArrayList<>(claims.get(e.getKey()));
                violations.add("term " + e.getKey() + " had leaders " + e.getValue() + ": "
                        + String.join("; ", who.subList(0, Math.min(6, who.size()))));
            }
        }
        if (!violations.isEmpty()) {
            return Verdict.fail(NAME, violations.size() + " terms with more than one leader", violations);
        }
        return Verdict.pass(NAME, leaders.size() + " terms with a leader, one each (" + answered
                + " status samples)");
    }

    /** The leader of each term, from samples that named one (first name seen wins). */
    static Map<Long, String> leaderByTerm(History h) {
        Map<Long, String> out = new TreeMap<>();
        for (LiveRecords.StatusSample s : h.records(LiveRecords.StatusSample.class)) {
            if (!s.up()) {
                continue;
            }
            if (s.isLeader()) {
                out.putIfAbsent(s.term(), s.node());
            } else if (s.leader() != null && !s.leader().isEmpty()) {
                out.putIfAbsent(s.term(), s.leader());
            }
        }
        return out;
    }
}
