package io.agentmesh.sim.run;

import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.gateway.CallRequest;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmCalls;
import io.agentmesh.node.llm.provider.StreamSink;
import io.agentmesh.sim.check.LlmRecords;

import java.util.concurrent.CompletionStage;

/** A simulated node's gateway as its callers see it, recording how each call ended into the history. */
final class RecordingLlmCalls implements LlmCalls {
    private final Simulation sim;
    private final String node;
    private final LlmCalls delegate;

    RecordingLlmCalls(Simulation sim, String node, LlmCalls delegate) {
        this.sim = sim;
        this.node = node;
        this.delegate = delegate;
    }

    @Override
    public CompletionStage<CallResult> call(CallRequest request, StreamSink sink) {
        return delegate.call(request, sink).whenComplete((r, error) -> {
            if (r == null) {
                return;
            }
            String text = r instanceof CallResult.Answered a ? text(a) : "";
            String failure = r instanceof CallResult.Failed f ? f.failure().name() : "";
            sim.history().record(LlmRecords.CallEnded.class, new LlmRecords.CallEnded(sim.nextOrder(),
                    sim.loop().nowMillis(), node, r.callId(), r instanceof CallResult.Answered, text, failure));
        });
    }

    static String text(CallResult.Answered a) {
        return a.answer().answer() instanceof ChatResponse response && response.aiMessage() != null
                && response.aiMessage().text() != null ? response.aiMessage().text() : "";
    }
}
