package io.agentmesh.node.llm.gateway;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How large a prompt is, in tokens, without a tokenizer (the gateway has none per model): two figures from the
 * request's serialised size.
 *
 * <ul>
 *   <li>{@link #upperBoundTokens}: what the budgets reserve. Every tokenizer of the providers served here is byte-level
 *       BPE (or SentencePiece with byte fallback), where a token covers at least one byte, so the UTF-8 size of the
 *       messages as JSON, the tool definitions and a margin per message bounds the input tokens from above. A piece
 *       of non-text content (an image, audio, a PDF) is counted as {@link #NON_TEXT_TOKENS} besides its bytes: an
 *       image named by URL has few bytes and costs up to a few thousand tokens.</li>
 *   <li>{@link #estimatedTokens}: what routing fits into a model's context: a third of those bytes (English runs at
 *       about four characters a token), so a prompt is not sent away from a model it fits. When the estimate is
 *       short, the provider answers CONTEXT_TOO_LONG and the call moves to a larger model.</li>
 * </ul>
 */
record PromptSize(long upperBoundTokens, long estimatedTokens) {
    /** What a message's framing (role, separators) may cost beyond its content. */
    static final long PER_MESSAGE_TOKENS = 8;
    /** The most one image, audio clip or document is counted as beyond its bytes. */
    static final long NON_TEXT_TOKENS = 10_000;

    static PromptSize of(ChatRequest chat) {
        long bytes = 0;
        long extra = 0;
        List<ChatMessage> messages = chat.messages();
        for (ChatMessage m : messages) {
            bytes += utf8(ChatMessageSerializer.messageToJson(m));
            extra += PER_MESSAGE_TOKENS;
            if (m instanceof UserMessage u) {
                for (Content c : u.contents()) {
                    if (!(c instanceof TextContent)) {
                        extra += NON_TEXT_TOKENS;
                    }
                }
            }
        }
        List<ToolSpecification> tools = chat.parameters().toolSpecifications();
        if (tools != null) {
            for (ToolSpecification t : tools) {
                bytes += utf8(t.toString());
                extra += PER_MESSAGE_TOKENS;
            }
        }
        return new PromptSize(bytes + extra, (bytes + 2) / 3 + extra);
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
