package io.agentmesh.node.llm.config;

/**
 * The four limits on one attempt, read from llm.json and enforced by the provider layer's watchdog, each its own failure class: a provider that never connects, one that accepts the
 * request and never starts answering (LiteLLM #19909: no first-token limit), a stream that goes silent, and an
 * attempt that takes too long overall (LiteLLM #30836: a hard 600 s).
 *
 * @param connectMs    to open the connection (TCP and TLS); the official OpenAI and Anthropic SDKs use 5 s
 * @param firstTokenMs from the attempt's start to the first content of a stream (a non-streamed call has only the
 *                     connect and total limits); raise it for reasoning models, which think before their first
 *                     token
 * @param streamIdleMs the longest silence inside a stream; keep-alive lines (DeepSeek's) do not count as silence
 * @param totalMs      the whole attempt; the SDKs' default is 600 s
 */
public record Timeouts(long connectMs, long firstTokenMs, long streamIdleMs, long totalMs) {
    public static final Timeouts DEFAULTS = new Timeouts(5_000, 30_000, 30_000, 600_000);
    public static final long MAX_MS = 3_600_000;

    public Timeouts {
        check("connectMs", connectMs);
        check("firstTokenMs", firstTokenMs);
        check("streamIdleMs", streamIdleMs);
        check("totalMs", totalMs);
        if (connectMs > totalMs || firstTokenMs > totalMs || streamIdleMs > totalMs) {
            throw new IllegalArgumentException("connectMs, firstTokenMs and streamIdleMs must each be at most totalMs"
                    + " (" + totalMs + "), got " + connectMs + ", " + firstTokenMs + ", " + streamIdleMs);
        }
    }

    private static void check(String name, long ms) {
        if (ms < 1 || ms > MAX_MS) {
            throw new IllegalArgumentException(name + " must be 1.." + MAX_MS + " ms, got " + ms);
        }
    }
}
