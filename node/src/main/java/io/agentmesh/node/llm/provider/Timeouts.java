package io.agentmesh.node.llm.provider;

/**
 * The four deadlines of one attempt, each its own setting. A non-streaming call uses {@code connectMs} and
 * {@code totalMs}; a stream uses all four.
 *
 * @param connectMs     to open the TCP connection (the JDK client's connect timeout); a refused or silent address
 *                      fails as {@code CONNECT} without anything reaching the provider
 * @param firstTokenMs  from the attempt's start to the first piece of content (text, reasoning or a tool call) of a
 *                      stream; a provider that accepts a request and then says nothing fails here, not at the total
 *                      deadline (LiteLLM #19909)
 * @param streamIdleMs  the longest silence between two stream events after the first token
 * @param totalMs       the whole attempt, from its start to its terminal event
 */
public record Timeouts(long connectMs, long firstTokenMs, long streamIdleMs, long totalMs) {
    /** Defaults for an interactive agent: fail over fast on a dead provider, allow long answers. */
    public static final Timeouts DEFAULTS = new Timeouts(5_000, 30_000, 30_000, 600_000);

    public Timeouts {
        if (connectMs <= 0 || firstTokenMs <= 0 || streamIdleMs <= 0 || totalMs <= 0) {
            throw new IllegalArgumentException("every timeout must be positive: connectMs=" + connectMs
                    + ", firstTokenMs=" + firstTokenMs + ", streamIdleMs=" + streamIdleMs + ", totalMs=" + totalMs);
        }
        if (firstTokenMs > totalMs || streamIdleMs > totalMs) {
            throw new IllegalArgumentException("firstTokenMs (" + firstTokenMs + ") and streamIdleMs ("
                    + streamIdleMs + ") cannot exceed totalMs (" + totalMs + ")");
        }
    }
}
