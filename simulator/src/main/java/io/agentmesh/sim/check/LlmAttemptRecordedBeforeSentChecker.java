package io.agentmesh.sim.check;

import io.agentmesh.sim.check.LlmRecords.LedgerCommitted;
import io.agentmesh.sim.check.LlmRecords.ProviderRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every request a provider received was journaled first: its call's {@code AttemptStart} (same call id and attempt
 * number) was committed, with its worst case reserved, by the node that sent it, before the provider got it. A
 * request without one is spend the ledger cannot know of.
 */
public final class LlmAttemptRecordedBeforeSentChecker extends NamedChecker {
    public static final String NAME = "llm-attempt-recorded-before-sent";

    public LlmAttemptRecordedBeforeSentChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        Map<String, LedgerCommitted> starts = new HashMap<>();
        for (LedgerCommitted c : h.records(LedgerCommitted.class)) {
            if (c.op().equals("ATTEMPT_START") && c.granted()) {
                starts.putIfAbsent(c.callId() + "#" + c.attempt(), c);
            }
        }
        List<String> violations = new ArrayList<>();
        List<ProviderRequest> requests = h.records(ProviderRequest.class);
        for (ProviderRequest r : requests) {
            LedgerCommitted start = starts.get(r.callId() + "#" + r.attempt());
            String what = "request to " + r.provider() + "/" + r.model() + " for call " + r.callId() + " attempt "
                    + r.attempt() + " from " + r.node() + " at " + r.atMs() + " ms";
            if (start == null) {
                violations.add(what + ": no AttemptStart of it was committed");
            } else if (start.order() > r.order()) {
                violations.add(what + ": its AttemptStart committed only at " + start.atMs() + " ms, after it was"
                        + " sent");
            } else if (!start.node().equals(r.node())) {
                violations.add(what + ": its AttemptStart was committed by " + start.node());
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " of " + requests.size() + " provider requests were sent without a"
                    + " committed AttemptStart", LlmAnsweredOnceChecker.cap(violations));
        }
        return pass(requests.size() + " provider requests, each after its committed AttemptStart");
    }
}
