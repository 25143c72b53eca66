package io.agentmesh.node.llm.api;

import dev.langchain4j.model.chat.request.ChatRequest;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * A request body as a format read it: everything the gateway's {@code CallRequest} needs but the call id, the origin
 * and the deadline, which the endpoint adds.
 *
 * @param maxOutputTokens what the client asked for, or empty: then the endpoint sizes the call from the model's entry
 * @param includeUsage    OpenAI's {@code stream_options.include_usage}: a usage chunk before {@code [DONE]}
 */
record ParsedCall(String modelOrAlias, ChatRequest chat, OptionalLong maxOutputTokens, boolean stream,
                  boolean includeUsage) {
    ParsedCall {
        Objects.requireNonNull(modelOrAlias, "modelOrAlias");
        Objects.requireNonNull(chat, "chat");
        Objects.requireNonNull(maxOutputTokens, "maxOutputTokens");
    }
}
