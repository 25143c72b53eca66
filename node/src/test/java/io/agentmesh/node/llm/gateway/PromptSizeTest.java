package io.agentmesh.node.llm.gateway;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The prompt's bound is never below its bytes (what the budgets reserve) and its estimate is below the bound. */
class PromptSizeTest {
    @Test
    void theUpperBoundCoversEveryByteOfTheTextAndEachImage() {
        String text = "héllo wörld, 你好 ".repeat(200);
        ChatRequest chat = ChatRequest.builder().messages(UserMessage.from(text)).build();
        PromptSize size = PromptSize.of(chat);
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(size.upperBoundTokens() >= bytes, size + " vs " + bytes + " bytes");
        assertTrue(size.estimatedTokens() < size.upperBoundTokens());
        assertTrue(size.estimatedTokens() >= bytes / 3);

        ChatRequest withImage = ChatRequest.builder().messages(UserMessage.from(TextContent.from(text),
                ImageContent.from("https://example.com/cat.png"))).build();
        assertTrue(PromptSize.of(withImage).upperBoundTokens() >= bytes + PromptSize.NON_TEXT_TOKENS);
    }
}
