package io.agentmesh.node.llm;

/**
 * Token usage of one attempt, normalised across providers: {@code inputTokens} counts only input neither read from
 * nor written to the provider's prompt cache. OpenAI's {@code prompt_tokens} includes cached tokens and Anthropic's
 * {@code input_tokens} excludes cache reads and writes; the provider layer converts both to this shape, so the cost
 * engine never counts cached tokens twice (LiteLLM #9812).
 *
 * @param inputTokens       uncached input tokens
 * @param cachedInputTokens input tokens read from the prompt cache
 * @param cacheWriteTokens  input tokens written to the prompt cache
 * @param outputTokens      output tokens, reasoning tokens included
 * @param reasoningTokens   the part of {@code outputTokens} spent on reasoning (priced as output unless the table
 *                          says otherwise)
 */
public record Usage(long inputTokens, long cachedInputTokens, long cacheWriteTokens, long outputTokens,
                    long reasoningTokens) {
    public static final Usage NONE = new Usage(0, 0, 0, 0, 0);

    public Usage {
        if (inputTokens < 0 || cachedInputTokens < 0 || cacheWriteTokens < 0 || outputTokens < 0
                || reasoningTokens < 0) {
            throw new IllegalArgumentException("token counts are never negative: " + inputTokens + ", "
                    + cachedInputTokens + ", " + cacheWriteTokens + ", " + outputTokens + ", " + reasoningTokens);
        }
        if (reasoningTokens > outputTokens) {
            throw new IllegalArgumentException("reasoning tokens (" + reasoningTokens
                    + ") are part of the output tokens (" + outputTokens + ")");
        }
    }

    /** Every input token, cached or not. */
    public long totalInputTokens() {
        return inputTokens + cachedInputTokens + cacheWriteTokens;
    }
}
