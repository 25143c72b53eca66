package io.agentmesh.node.llm.gateway;

import io.agentmesh.node.llm.provider.StreamSink;

import java.util.concurrent.CompletionStage;

/**
 * The gateway as its callers see it: the agent's endpoints and the {@code llm} intent executor.
 *
 * <p>Threading: callable from any thread; returns at once. The stage completes on any thread, once the call has
 * ended and its end is in the ledger (or the ledger could not take it: the result says so). Streamed text goes to
 * {@code sink} as it arrives, on a provider thread; a sink that answers false cancels the call.
 */
public interface LlmCalls {
    /** One call; {@code sink} is used only when {@link CallRequest#stream()} is true. */
    CompletionStage<CallResult> call(CallRequest request, StreamSink sink);
}
