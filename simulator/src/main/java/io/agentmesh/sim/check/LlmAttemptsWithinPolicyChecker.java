package io.agentmesh.sim.check;

import io.agentmesh.sim.check.LlmRecords.Policy;
import io.agentmesh.sim.check.LlmRecords.ProviderRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The requests on the wire are what the retry policy allows: per call, at most {@code maxAttempts} requests, each
 * attempt number sent once and within the limit (nothing below the gateway resends a request).
 */
public final class LlmAttemptsWithinPolicyChecker extends NamedChecker {
    public static final String NAME = "llm-attempts-within-policy";

    public LlmAttemptsWithinPolicyChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<Policy> policies = h.records(Policy.class);
        if (policies.size() != 1) {
            return fail("the run recorded " + policies.size() + " LLM policies, expected 1");
        }
        int max = policies.getFirst().maxAttempts();
        Map<String, List<ProviderRequest>> byCall = new TreeMap<>();
        for (ProviderRequest r : h.records(ProviderRequest.class)) {
            byCall.computeIfAbsent(r.callId(), k -> new ArrayList<>()).add(r);
        }
        List<String> violations = new ArrayList<>();
        int most = 0;
        for (Map.Entry<String, List<ProviderRequest>> e : byCall.entrySet()) {
            List<ProviderRequest> list = e.getValue();
            most = Math.max(most, list.size());
            if (list.size() > max) {
                violations.add("call " + e.getKey() + ": " + list.size() + " requests, maxAttempts is " + max);
            }
            java.util.Set<Integer> seen = new java.util.TreeSet<>();
            for (ProviderRequest r : list) {
                if (!seen.add(r.attempt())) {
                    violations.add("call " + e.getKey() + ": attempt " + r.attempt() + " sent more than once (again"
                            + " by " + r.node() + " at " + r.atMs() + " ms)");
                }
                if (r.attempt() < 1 || r.attempt() > max) {
                    violations.add("call " + e.getKey() + ": attempt number " + r.attempt() + " is outside 1.."
                            + max);
                }
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " calls exceeded the retry policy", LlmAnsweredOnceChecker.cap(violations));
        }
        return pass(byCall.size() + " calls, at most " + most + " requests each (maxAttempts " + max + ")");
    }
}
