package io.agentmesh.sim.check;

import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * At most one leader per Raft term. Two different nodes that each believed themselves leader of the same term break
 * Raft's election safety; so does a node that named as leader of its term someone other than the node that led it.
 * Decided from every change of belief the run recorded ({@link LeaderObservation}). A run in which no node ever
 * became leader fails too: the property was never exercised.
 */
public final class OneLeaderPerTermChecker extends NamedChecker {
    public static final String NAME = "one-leader-per-term";

    public OneLeaderPerTermChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<LeaderObservation> observations = h.records(LeaderObservation.class);
        if (observations.isEmpty()) {
            return fail("no consensus observation recorded: nothing to check");
        }
        // term -> node -> when it first believed itself leader of that term
        Map<Long, Map<String, Long>> selfLeaders = new TreeMap<>();
        // term -> named leader -> who named it first, and when
        Map<Long, Map<String, String>> named = new TreeMap<>();
        for (LeaderObservation o : observations) {
            if (o.isLeader()) {
                selfLeaders.computeIfAbsent(o.term(), t -> new TreeMap<>()).putIfAbsent(o.node(), o.atMs());
            }
            if (o.leader() != null) {
                named.computeIfAbsent(o.term(), t -> new TreeMap<>()).putIfAbsent(o.leader(),
                        o.node() + " at " + o.atMs() + " ms");
            }
        }
        if (selfLeaders.isEmpty()) {
            return fail("no node ever became leader in " + observations.size() + " observations",
                    List.of());
        }
        List<String> violations = new ArrayList<>();
        for (Map.Entry<Long, Map<String, Long>> e : selfLeaders.entrySet()) {
            if (e.getValue().size() > 1) {
                List<String> who = new ArrayList<>();
                e.getValue().forEach((node, at) -> who.add(node + " (from " + at + " ms)"));
                violations.add("term " + e.getKey() + ": " + String.join(", ", who) + " each believed itself leader");
            }
        }
        for (Map.Entry<Long, Map<String, String>> e : named.entrySet()) {
            Map<String, Long> self = selfLeaders.getOrDefault(e.getKey(), Map.of());
            if (self.size() > 1) {
                continue; // reported above
            }
            java.util.TreeSet<String> all = new java.util.TreeSet<>(e.getValue().keySet());
            all.addAll(self.keySet());
            if (all.size() > 1) {
                List<String> who = new ArrayList<>();
                self.forEach((node, at) -> who.add(node + " (itself, from " + at + " ms)"));
                e.getValue().forEach((leader, by) -> who.add(leader + " (named by " + by + ")"));
                violations.add("term " + e.getKey() + " has leaders " + all + ": " + String.join(", ", who));
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " terms with more than one leader", violations);
        }
        return pass(selfLeaders.size() + " terms with a leader, one each (" + observations.size()
                + " changes of role, term or leader observed)");
    }

    /** Per node, the spans during which it believed itself leader: {from, to, term}; to is {@code endMs} if open. */
    public static Map<String, List<long[]>> leaderSpans(History h, long endMs) {
        Map<String, List<long[]>> out = new TreeMap<>();
        Map<String, LeaderObservation> open = new TreeMap<>();
        for (LeaderObservation o : h.records(LeaderObservation.class)) {
            LeaderObservation was = open.remove(o.node());
            if (was != null) {
                out.computeIfAbsent(o.node(), n -> new ArrayList<>()).add(new long[]{was.atMs(), o.atMs(),
                        was.term()});
            }
            if (o.isLeader()) {
                open.put(o.node(), o);
            }
        }
        open.forEach((node, o) -> out.computeIfAbsent(node, n -> new ArrayList<>())
                .add(new long[]{o.atMs(), Math.max(o.atMs(), endMs), o.term()}));
        return out;
    }
}
