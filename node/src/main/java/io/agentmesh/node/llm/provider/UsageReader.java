package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.llm.Usage;

/**
 * The gateway's one usage normaliser: reads a provider's usage object into the normalised {@link Usage}, where
 * {@code inputTokens} counts only input neither read from nor written to the cache, so the cost engine counts cached
 * tokens once (LiteLLM #9812: Anthropic costs at about twice the invoice). Done on the raw JSON rather than LangChain4j's
 * {@code TokenUsage}, so that a stream cut before its end still yields the usage it had stated, and so that DeepSeek's
 * {@code prompt_cache_hit_tokens}, which LangChain4j 1.19 does not map, is read.
 *
 * <ul>
 *   <li>OpenAI (Azure, compatible servers): {@code prompt_tokens} includes {@code prompt_tokens_details.cached_tokens}
 *       (and {@code cache_write_tokens} where a server reports them), so uncached input = prompt - cached - writes; {@code completion_tokens} includes
 *       {@code completion_tokens_details.reasoning_tokens}.</li>
 *   <li>DeepSeek: as OpenAI, the cached part from {@code prompt_cache_hit_tokens} when present.</li>
 *   <li>Anthropic: {@code input_tokens} excludes {@code cache_read_input_tokens} and
 *       {@code cache_creation_input_tokens}; thinking is inside {@code output_tokens} and not reported apart.</li>
 * </ul>
 * A count that is negative, not an integer, or larger than the total it is part of is a malformed answer.
 */
final class UsageReader {
    private UsageReader() {
    }

    static Usage openAi(JsonNode usage, boolean deepSeek) throws BadAnswer {
        if (usage == null || !usage.isObject()) {
            throw BadAnswer.malformed("the answer has no usage");
        }
        long prompt = required(usage, "prompt_tokens");
        long completion = required(usage, "completion_tokens");
        long cached = optional(usage.path("prompt_tokens_details"), "cached_tokens");
        // Where a server reports prompt-cache writes apart (0 otherwise), they too are inside prompt_tokens.
        long cacheWrite = optional(usage.path("prompt_tokens_details"), "cache_write_tokens");
        if (deepSeek && usage.has("prompt_cache_hit_tokens")) {
            cached = optional(usage, "prompt_cache_hit_tokens");
        }
        long reasoning = optional(usage.path("completion_tokens_details"), "reasoning_tokens");
        if (cached + cacheWrite > prompt) {
            throw BadAnswer.malformed("usage states more cached (" + cached + ") and cache-write (" + cacheWrite
                    + ") tokens than prompt tokens (" + prompt + ")");
        }
        if (reasoning > completion) {
            throw BadAnswer.malformed("usage states more reasoning tokens (" + reasoning + ") than completion tokens ("
                    + completion + ")");
        }
        return new Usage(prompt - cached - cacheWrite, cached, cacheWrite, completion, reasoning);
    }

    /** Accumulates Anthropic's usage: a stream states input in {@code message_start}, output in {@code message_delta}. */
    static final class Anthropic {
        private long input = -1;
        private long output = -1;
        private long cacheRead;
        private long cacheWrite;

        void add(JsonNode usage) throws BadAnswer {
            if (usage == null || !usage.isObject()) {
                return;
            }
            if (usage.hasNonNull("input_tokens")) {
                input = count(usage, "input_tokens");
            }
            if (usage.hasNonNull("output_tokens")) {
                output = count(usage, "output_tokens");
            }
            if (usage.hasNonNull("cache_read_input_tokens")) {
                cacheRead = count(usage, "cache_read_input_tokens");
            }
            if (usage.hasNonNull("cache_creation_input_tokens")) {
                cacheWrite = count(usage, "cache_creation_input_tokens");
            }
        }

        /** What was stated so far, zeros for what was not. */
        Usage soFar() {
            return new Usage(Math.max(0, input), cacheRead, cacheWrite, Math.max(0, output), 0);
        }

        /** The complete usage of a finished answer: input and output must both have been stated. */
        Usage complete() throws BadAnswer {
            if (input < 0 || output < 0) {
                throw BadAnswer.malformed("the answer has no usage (input_tokens and output_tokens)");
            }
            return soFar();
        }
    }

    private static long required(JsonNode node, String field) throws BadAnswer {
        if (!node.hasNonNull(field)) {
            throw BadAnswer.malformed("the answer's usage lacks " + field);
        }
        return count(node, field);
    }

    private static long optional(JsonNode node, String field) throws BadAnswer {
        return node.hasNonNull(field) ? count(node, field) : 0;
    }

    private static long count(JsonNode node, String field) throws BadAnswer {
        JsonNode value = node.get(field);
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw BadAnswer.malformed("the answer's usage has a bad " + field + ": " + value);
        }
        return value.asLong();
    }
}
