package io.agentmesh.node.llm.provider;

/**
 * Where a stream's partial text goes as it arrives, on the HTTP client's thread. It must not block: a consumer that
 * cannot keep up, or that has gone away, answers {@code false}, and the attempt ends as {@code CANCELLED} (its request
 * is cancelled, so the provider stops generating). Text that reached the sink is not an answer: the attempt's result
 * is, and a stream that fails after some text ends as a failure all the same.
 */
@FunctionalInterface
public interface StreamSink {
    /** @return whether the text was taken */
    boolean offer(String textDelta);

    /**
     * The attempt's first content arrived (text, reasoning or a tool-call delta, as the first-token deadline counts
     * it), possibly before any text reaches {@link #offer}. Called at most once, on the HTTP client's thread; must not
     * block. The gateway's hedging decides the race between two attempts of a call here.
     */
    default void firstToken() {
    }
}
