package io.agentmesh.sim.check;

import io.agentmesh.sim.check.LlmRecords.CallEnded;
import io.agentmesh.sim.check.LlmRecords.IntentResult;
import io.agentmesh.sim.check.LlmRecords.ProviderRequest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * No answer that is not whole is marked a success: every call the gateway answered, and every {@code llm} intent
 * that succeeded, carries exactly the text of a complete answer a provider sent for that call (for an intent: for one
 * of its calls, {@code <intent>@...}), never the part of an answer sent before its connection closed.
 */
public final class LlmAnswersCompleteChecker extends NamedChecker {
    public static final String NAME = "llm-answers-complete";

    public LlmAnswersCompleteChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        Set<String> complete = new HashSet<>();
        Set<String> completeByIntent = new HashSet<>();
        for (ProviderRequest r : h.records(ProviderRequest.class)) {
            if (r.complete()) {
                complete.add(r.callId() + "\u0000" + r.text());
                int at = r.callId().lastIndexOf('@');
                if (at > 0) {
                    completeByIntent.add(r.callId().substring(0, at) + "\u0000" + r.text());
                }
            }
        }
        List<String> violations = new ArrayList<>();
        int answers = 0;
        for (CallEnded e : h.records(CallEnded.class)) {
            if (e.answered()) {
                answers++;
                if (!complete.contains(e.callId() + "\u0000" + e.text())) {
                    violations.add("call " + e.callId() + " answered on " + e.node() + " at " + e.atMs() + " ms with"
                            + " \"" + e.text() + "\", which no provider sent whole for it");
                }
            }
        }
        int intents = 0;
        for (IntentResult r : h.records(IntentResult.class)) {
            if (r.succeeded()) {
                intents++;
                if (!completeByIntent.contains(r.intentId() + "\u0000" + r.text())) {
                    violations.add("llm intent " + r.intentId() + " succeeded on " + r.node() + " at " + r.atMs()
                            + " ms with \"" + r.text() + "\", which no provider sent whole for any of its calls");
                }
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " answers are not a complete provider answer",
                    LlmAnsweredOnceChecker.cap(violations));
        }
        return pass(answers + " answered calls and " + intents + " succeeded llm intents, each a complete answer");
    }
}
