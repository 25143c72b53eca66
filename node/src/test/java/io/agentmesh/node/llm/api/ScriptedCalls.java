package io.agentmesh.node.llm.api;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.CallRequest;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmCalls;
import io.agentmesh.node.llm.provider.StreamSink;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A test double of the gateway: each call is answered by a script (text deltas offered to the sink, on a thread of its
 * own as a provider's would be, then a result). Records every request and whether the sink refused text.
 */
final class ScriptedCalls implements LlmCalls {
    /** What one call does. {@code gate}, when set, is awaited before the last delta and the result. */
    record Script(List<String> deltas, Function<String, CallResult> result, long pauseBetweenMs,
                  CountDownLatch gate) {
        static Script answer(List<String> deltas, Function<String, CallResult> result) {
            return new Script(deltas, result, 0, null);
        }
    }

    final ConcurrentLinkedQueue<CallRequest> requests = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
    private volatile Function<CallRequest, Script> scripts;

    ScriptedCalls(Function<CallRequest, Script> scripts) {
        this.scripts = scripts;
    }

    void script(Function<CallRequest, Script> scripts) {
        this.scripts = scripts;
    }

    @Override
    public CompletionStage<CallResult> call(CallRequest request, StreamSink sink) {
        requests.add(request);
        Script script = scripts.apply(request);
        CompletableFuture<CallResult> done = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("scripted-provider").start(() -> {
            try {
                if (request.stream()) {
                    for (int i = 0; i < script.deltas().size(); i++) {
                        if (script.gate() != null && i == script.deltas().size() - 1) {
                            script.gate().await(10, TimeUnit.SECONDS);
                        }
                        if (!sink.offer(script.deltas().get(i))) {
                            refusals.add(request.callId());
                            done.complete(failed(request.callId(), CallResult.Failure.CANCELLED,
                                    "the client went away"));
                            return;
                        }
                        if (script.pauseBetweenMs() > 0) {
                            Thread.sleep(script.pauseBetweenMs());
                        }
                    }
                }
                if (script.gate() != null && !request.stream()) {
                    script.gate().await(10, TimeUnit.SECONDS);
                }
                done.complete(script.result().apply(request.callId()));
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    // ---- results ----

    static CallResult.Answered answered(String callId, String provider, String model, String text,
                                        List<ToolExecutionRequest> tools, String finishReason, Usage usage,
                                        long costNanoUsd) {
        AiMessage ai = tools.isEmpty() ? AiMessage.from(text)
                : text.isEmpty() ? AiMessage.from(tools) : AiMessage.from(text, tools);
        ChatResponse response = ChatResponse.builder().aiMessage(ai).modelName(model).build();
        AttemptResult.Completed completed = new AttemptResult.Completed(provider, model, 120, 40, usage,
                finishReason, "req-1", response);
        return new CallResult.Answered(callId, completed, List.of(completed), costNanoUsd);
    }

    static CallResult.Answered text(String callId, String text) {
        return answered(callId, "openai", "gpt-4o", text, List.of(), "stop", new Usage(10, 0, 0, 5, 0), 1234);
    }

    static CallResult.Failed failed(String callId, CallResult.Failure failure, String message) {
        List<AttemptResult> attempts = new ArrayList<>();
        if (failure == CallResult.Failure.UPSTREAM_UNAVAILABLE || failure == CallResult.Failure.STREAM_FAILED) {
            attempts.add(new AttemptResult.Failed("openai", "gpt-4o", 50, ErrorClass.OVERLOADED, 529,
                    OptionalLong.empty(), Usage.NONE, "HTTP 529 overloaded"));
        }
        return new CallResult.Failed(callId, failure, message, Optional.empty(), attempts);
    }

    static CallResult.Failed notLeader(String callId, String leader) {
        return new CallResult.Failed(callId, CallResult.Failure.NOT_LEADER, "this node is not the leader",
                Optional.ofNullable(leader), List.of());
    }
}
