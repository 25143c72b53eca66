package io.agentmesh.sim.live;

import io.agentmesh.sim.check.Checker;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every intent is performed at most once, and only by a node that held its claim: from the performed.jsonl lines of
 * every node (the outside world's record) against the outcomes the nodes report and the leaders the status samples
 * saw.
 *
 * <ul>
 *   <li>no intent has two lines (on one node or across nodes);</li>
 *   <li>a line's fencing token (term, index) names a term whose leader, when the samples saw one, is the node that
 *       wrote the line;</li>
 *   <li>an outcome "succeeded" names the node, term and index of exactly that line; a "succeeded" outcome without a
 *       line means the side effect went missing;</li>
 *   <li>no line is for an intent the workload never asked for.</li>
 * </ul>
 */
public final class IntentsAtMostOnceChecker implements Checker {
    public static final String NAME = "intents-at-most-once";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Verdict check(History h) {
        List<LiveRecords.Performed> lines = h.records(LiveRecords.Performed.class);
        List<LiveRecords.IntentRequest> requests = h.records(LiveRecords.IntentRequest.class);
        Set<String> requestedIds = new HashSet<>();
        Set<Long> requestedSeqs = new HashSet<>();
        for (LiveRecords.IntentRequest r : requests) {
            if (r.id() != null) {
                requestedIds.add(r.id());
            }
            requestedSeqs.add(r.seq());
        }
        Map<String, List<LiveRecords.Performed>> byIntent = new LinkedHashMap<>();
        for (LiveRecords.Performed p : lines) {
            byIntent.computeIfAbsent(p.intent(), k -> new ArrayList<>()).add(p);
        }
        Map<Long, String> leaders = OneLeaderPerTermChecker.leaderByTerm(h);
        List<String> violations = new ArrayList<>();
        int twice = 0;
        int matched = 0;
        for (Map.Entry<String, List<LiveRecords.Performed>> e : byIntent.entrySet()) {
            List<LiveRecords.Performed> ps = e.getValue();
            if (ps.size() > 1) {
                twice++;
                violations.add("intent " + e.getKey() + " performed " + ps.size() + " times: " + ps.stream()
                        .map(p -> p.node() + " term " + p.term() + " index " + p.index()).toList());
            }
            for (LiveRecords.Performed p : ps) {
                String leader = leaders.get(p.term());
                if (leader != null && leader.equals(p.node())) {
                    matched++;
                }
                if (leader != null && !leader.equals(p.node())) {
                    violations.add("intent " + p.intent() + " performed by " + p.node() + " under term " + p.term()
                            + ", whose leader was " + leader);
                }
                if (!requestedIds.contains(p.intent()) && !requestedSeqs.contains(seqOf(p.payload()))) {
                    violations.add("intent " + p.intent() + " performed by " + p.node()
                            + " was never requested by the workload");
                }
            }
        }
        // Outcomes against lines.
        Map<String, LiveRecords.IntentFinal> succeeded = new LinkedHashMap<>();
        for (LiveRecords.IntentFinal f : h.records(LiveRecords.IntentFinal.class)) {
            if ("succeeded".equals(f.status())) {
                succeeded.putIfAbsent(f.intent(), f);
            }
        }
        for (LiveRecords.IntentFinal f : succeeded.values()) {
            List<LiveRecords.Performed> ps = byIntent.getOrDefault(f.intent(), List.of());
            if (ps.isEmpty()) {
                violations.add("intent " + f.intent() + " has outcome 'succeeded' by " + f.performedBy()
                        + " but no node's performed.jsonl has it");
            } else if (ps.stream().noneMatch(p -> p.node().equals(f.performedBy()) && p.term() == f.term()
                    && p.index() == f.index())) {
                violations.add("intent " + f.intent() + " outcome says " + f.performedBy() + " term " + f.term()
                        + " index " + f.index() + ", but the performed line says " + ps.getFirst().node() + " term "
                        + ps.getFirst().term() + " index " + ps.getFirst().index());
            }
        }
        if (!violations.isEmpty()) {
            String head = twice > 0 ? twice + " intents performed more than once" : violations.size()
                    + " violations, first: " + violations.getFirst();
            return Verdict.fail(NAME, head, violations.subList(0, Math.min(50, violations.size())));
        }
        return Verdict.pass(NAME, lines.size() + " performed lines for " + byIntent.size() + " intents: none twice,"
                + " none by a node other than the observed leader of its term (" + matched + " checked against an"
                + " observed leader), each matching its outcome");
    }

    /** The "seq" of a workload payload ({"run":..,"seq":N}), or -1. */
    static long seqOf(String payloadJson) {
        if (payloadJson == null) {
            return -1;
        }
        try {
            var node = NodeClient.JSON.readTree(payloadJson);
            return node != null && node.has("seq") ? node.get("seq").asLong(-1) : -1;
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
