package io.agentmesh.node.llm.provider;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;

import java.util.Objects;

/**
 * What one attempt sends: LangChain4j's {@link ChatRequest} (messages, tools, tool choice, max output tokens,
 * temperature, response format...) and the model to send it to.
 *
 * <p>Why LangChain4j's type rather than our own: it is the one request model that both of its wire mappings (OpenAI
 * chat completions, Anthropic messages) already read, so the gateway's OpenAI- and Anthropic-format endpoints each
 * translate into it once, and a call can fail over from one format to the other without a second message model of
 * ours to keep in step with both.
 *
 * <p>Why the model travels apart: the router picks the model per attempt (the same call may go to {@code gpt-4o} and
 * then to {@code claude-sonnet-4}), so the model named here wins over any model name inside {@code chat}.
 *
 * @param model the provider's model (or, for Azure, deployment) name
 * @param chat  the request; its own model name is ignored
 */
public record LlmRequest(String model, ChatRequest chat) {
    public LlmRequest {
        Objects.requireNonNull(chat, "chat");
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a request needs a model name");
        }
    }

    /** {@link #chat} with {@link #model} as its model name, whatever it carried. */
    ChatRequest forModel() {
        return ChatRequest.builder()
                .messages(chat.messages())
                .parameters(chat.parameters().overrideWith(DefaultChatRequestParameters.builder().modelName(model)
                        .build()))
                .build();
    }
}
