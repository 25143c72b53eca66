package io.agentmesh.node.llm.config;

import io.agentmesh.node.llm.cost.Price;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One model a provider is called with.
 *
 * @param name            the name sent to the provider (for Azure OpenAI, the deployment name)
 * @param contextTokens   its context window: a prompt must fit it, and a prompt that did not fit moves only to a model
 *                        with a larger one
 * @param maxOutputTokens the most output tokens it produces in one answer (the worst case the budget reserves)
 * @param price           a price written in llm.json, which wins over the shipped table
 * @param priceAs         the table's name for this model when {@code name} is not it (an Azure deployment name)
 * @param streaming       whether it may be called with streaming (true unless the server cannot)
 */
public record ModelConfig(String name, long contextTokens, long maxOutputTokens, Optional<Price> price,
                          Optional<String> priceAs, boolean streaming) {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}");
    public static final long MAX_CONTEXT_TOKENS = 100_000_000;

    public ModelConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(priceAs, "priceAs");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a model name is 1-200 letters, digits and . _ : / @ + -, starting with"
                    + " a letter or digit, got \"" + name + "\"");
        }
        if (contextTokens < 1 || contextTokens > MAX_CONTEXT_TOKENS) {
            throw new IllegalArgumentException("contextTokens must be 1.." + MAX_CONTEXT_TOKENS + ", got "
                    + contextTokens);
        }
        if (maxOutputTokens < 1 || maxOutputTokens > contextTokens) {
            throw new IllegalArgumentException("maxOutputTokens must be 1..contextTokens (" + contextTokens
                    + "), got " + maxOutputTokens);
        }
        if (price.isPresent() && priceAs.isPresent()) {
            throw new IllegalArgumentException("give either \"price\" or \"priceAs\", not both");
        }
    }
}
