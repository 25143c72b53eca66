package io.agentmesh.sim.check;

import io.agentmesh.sim.check.LlmRecords.CallEnded;
import io.agentmesh.sim.check.LlmRecords.LedgerCommitted;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Each LLM call is answered at most once: per call id, at most one answer from a gateway on any node, and at most one
 * {@code Close ANSWERED} committed in the call ledger. (A later leader's retry of an in-doubt {@code llm} intent is a
 * call of its own, with its own id.)
 */
public final class LlmAnsweredOnceChecker extends NamedChecker {
    public static final String NAME = "llm-answered-at-most-once";

    public LlmAnsweredOnceChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        Map<String, List<String>> answers = new TreeMap<>();
        for (CallEnded e : h.records(CallEnded.class)) {
            if (e.answered()) {
                answers.computeIfAbsent(e.callId(), k -> new ArrayList<>()).add("answered by the gateway on "
                        + e.node() + " at " + e.atMs() + " ms");
            }
        }
        Map<String, List<String>> closes = new TreeMap<>();
        for (LedgerCommitted c : h.records(LedgerCommitted.class)) {
            if (c.op().equals("CLOSE") && c.result().equals("Closed ANSWERED")) {
                closes.computeIfAbsent(c.callId(), k -> new ArrayList<>()).add("closed ANSWERED by " + c.node()
                        + " at " + c.atMs() + " ms");
            }
        }
        List<String> violations = new ArrayList<>();
        answers.forEach((id, list) -> {
            if (list.size() > 1) {
                violations.add("call " + id + " answered " + list.size() + " times: " + String.join("; ", list));
            }
        });
        closes.forEach((id, list) -> {
            if (list.size() > 1) {
                violations.add("call " + id + " closed ANSWERED " + list.size() + " times: "
                        + String.join("; ", list));
            }
        });
        if (!violations.isEmpty()) {
            return fail(violations.size() + " calls answered more than once", cap(violations));
        }
        return pass(answers.size() + " calls answered once each (" + closes.size() + " ANSWERED closes committed)");
    }

    static List<String> cap(List<String> violations) {
        return violations.size() > 50 ? violations.subList(0, 50) : violations;
    }
}
