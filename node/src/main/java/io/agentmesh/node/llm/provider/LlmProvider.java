package io.agentmesh.node.llm.provider;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ProviderKind;

/**
 * One configured provider, and one job: perform one attempt at it. Retrying, failing over, cooling down, budgets and
 * journaling are the caller's; nothing below retries a request that may have reached the provider (LangChain4j's
 * models are built with {@code maxRetries(0)}, its streaming models have no retry loop, and the JDK client resends
 * nothing it sent), so one call here is at most one request on the wire.
 *
 * <p>Both calls block the calling thread until the attempt ends, at the latest by the provider's total deadline, so
 * they never run on the node thread: the gateway runs them on its own threads and hands the result back.
 *
 * <p>Neither throws for anything the provider, the network or the answer does: every such outcome is an
 * {@link AttemptResult} ({@code Completed} only for a whole answer with its usage; otherwise {@code Failed} with an
 * {@link io.agentmesh.node.llm.ErrorClass}). They throw only {@link NullPointerException} for a null argument.
 */
public interface LlmProvider extends AutoCloseable {
    /** The operator's name for this provider. */
    String id();

    ProviderKind kind();

    /** One non-streamed attempt (connect and total deadlines). */
    AttemptResult call(LlmRequest request, AttemptCancel cancel);

    /**
     * One streamed attempt (connect, first-token, stream-idle and total deadlines). Partial text goes to {@code sink}
     * as it arrives; the result is {@code Completed} only after the format's terminal event (OpenAI: a finish reason,
     * the usage chunk and {@code [DONE]}; Anthropic: {@code message_stop}), and its answer holds the whole response,
     * tool calls included.
     */
    AttemptResult stream(LlmRequest request, StreamSink sink, AttemptCancel cancel);

    /** Releases the provider's HTTP client. Attempts in flight are aborted. */
    @Override
    void close();
}
