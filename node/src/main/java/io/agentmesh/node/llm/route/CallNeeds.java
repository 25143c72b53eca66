package io.agentmesh.node.llm.route;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * What a call asks of a target.
 *
 * @param modelOrAlias          a configured model name (any provider offering it, in llm.json's order), an alias of
 *                              {@code routing.aliases}, or {@code provider/model} for that target alone
 * @param estimatedInputTokens  the prompt's size: a target must fit it in its context window
 * @param maxOutputTokens       the most output asked for (capped at each model's own maximum)
 * @param streaming             whether the client streams (only models that can stream qualify)
 * @param deadlineMillis        the call's absolute deadline (wall clock), if it has one: no waiting past it
 */
public record CallNeeds(String modelOrAlias, long estimatedInputTokens, long maxOutputTokens, boolean streaming,
                        OptionalLong deadlineMillis) {
    public CallNeeds {
        Objects.requireNonNull(modelOrAlias, "modelOrAlias");
        Objects.requireNonNull(deadlineMillis, "deadlineMillis");
        if (modelOrAlias.isBlank()) {
            throw new IllegalArgumentException("a call names a model or an alias");
        }
        if (estimatedInputTokens < 0 || maxOutputTokens < 1) {
            throw new IllegalArgumentException("estimatedInputTokens is at least 0 and maxOutputTokens at least 1,"
                    + " got " + estimatedInputTokens + " and " + maxOutputTokens);
        }
    }

    public static CallNeeds of(String modelOrAlias, long estimatedInputTokens, long maxOutputTokens,
                               boolean streaming) {
        return new CallNeeds(modelOrAlias, estimatedInputTokens, maxOutputTokens, streaming, OptionalLong.empty());
    }
}
