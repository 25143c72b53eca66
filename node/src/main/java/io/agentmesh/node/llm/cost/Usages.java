package io.agentmesh.node.llm.cost;

import io.agentmesh.node.llm.Usage;

/**
 * Each provider's usage fields turned into the one normalised {@link Usage}, where {@code inputTokens} counts only
 * input neither read from nor written to the cache. The providers disagree: OpenAI's {@code prompt_tokens} includes
 * its cached tokens, Anthropic's {@code input_tokens} excludes cache reads and writes, DeepSeek splits its prompt
 * into cache hits and misses. Pricing the raw fields as if they were alike is how cached tokens get counted twice
 * (LiteLLM #9812: Anthropic costs at about twice the invoice).
 *
 * <p>Inconsistent counts (more cached tokens than prompt tokens) throw IllegalArgumentException: the provider layer
 * treats such an answer as malformed rather than guessing a cost.
 */
public final class Usages {
    private Usages() {
    }

    /**
     * OpenAI chat completions (and Azure OpenAI, and OpenAI-compatible servers): {@code usage.prompt_tokens},
     * {@code prompt_tokens_details.cached_tokens}, {@code prompt_tokens_details.cache_write_tokens} (0 where the
     * model does not report it), {@code completion_tokens} and {@code completion_tokens_details.reasoning_tokens}.
     * The Responses API's {@code input_tokens}/{@code output_tokens} have the same meaning.
     */
    public static Usage openAi(long promptTokens, long cachedTokens, long cacheWriteTokens, long completionTokens,
                               long reasoningTokens) {
        nonNegative(promptTokens, cachedTokens, cacheWriteTokens, completionTokens, reasoningTokens);
        if (cachedTokens + cacheWriteTokens > promptTokens) {
            throw new IllegalArgumentException("OpenAI usage counts " + cachedTokens + " cached and "
                    + cacheWriteTokens + " cache-write tokens in only " + promptTokens + " prompt tokens");
        }
        if (reasoningTokens > completionTokens) {
            throw new IllegalArgumentException("OpenAI usage counts " + reasoningTokens + " reasoning tokens in only "
                    + completionTokens + " completion tokens");
        }
        return new Usage(promptTokens - cachedTokens - cacheWriteTokens, cachedTokens, cacheWriteTokens,
                completionTokens, reasoningTokens);
    }

    /**
     * Anthropic messages: {@code usage.input_tokens} (uncached only), {@code cache_read_input_tokens},
     * {@code cache_creation_input_tokens} and {@code output_tokens}, which includes extended thinking (billed as
     * output; Anthropic does not report the split, so reasoning is 0 here).
     */
    public static Usage anthropic(long inputTokens, long cacheReadInputTokens, long cacheCreationInputTokens,
                                  long outputTokens) {
        nonNegative(inputTokens, cacheReadInputTokens, cacheCreationInputTokens, outputTokens, 0);
        return new Usage(inputTokens, cacheReadInputTokens, cacheCreationInputTokens, outputTokens, 0);
    }

    /**
     * DeepSeek: {@code prompt_cache_hit_tokens} and {@code prompt_cache_miss_tokens} (which add up to its
     * {@code prompt_tokens}), {@code completion_tokens} and {@code completion_tokens_details.reasoning_tokens}.
     */
    public static Usage deepSeek(long promptCacheHitTokens, long promptCacheMissTokens, long completionTokens,
                                 long reasoningTokens) {
        nonNegative(promptCacheHitTokens, promptCacheMissTokens, completionTokens, reasoningTokens, 0);
        if (reasoningTokens > completionTokens) {
            throw new IllegalArgumentException("DeepSeek usage counts " + reasoningTokens
                    + " reasoning tokens in only " + completionTokens + " completion tokens");
        }
        return new Usage(promptCacheMissTokens, promptCacheHitTokens, 0, completionTokens, reasoningTokens);
    }

    private static void nonNegative(long a, long b, long c, long d, long e) {
        if (a < 0 || b < 0 || c < 0 || d < 0 || e < 0) {
            throw new IllegalArgumentException("a provider reported a negative token count");
        }
    }
}
