package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.anthropic.AnthropicStreamingChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.protocol.time.Clock;

import java.util.concurrent.ScheduledExecutorService;
import java.util.Optional;

/** ANTHROPIC: the messages API through LangChain4j's {@code AnthropicChatModel} and {@code AnthropicStreamingChatModel}. */
final class AnthropicProvider extends LangChainProvider {
    /** The API version header LangChain4j 1.19 sends by default, pinned so an upgrade cannot change it silently. */
    static final String API_VERSION = "2023-06-01";

    AnthropicProvider(ProviderConfig endpoint, ApiKey key, Clock clock, ScheduledExecutorService timers,
                      ObjectMapper json) {
        super(endpoint, Optional.of(key), clock, timers, json, new Wire.Anthropic(json, new ErrorClassifier(json)));
        if (endpoint.kind() != ProviderKind.ANTHROPIC) {
            throw new IllegalArgumentException("provider " + endpoint.id() + " is " + endpoint.kind()
                    + ", not ANTHROPIC");
        }
    }

    @Override
    ChatModel chatModel(String model, AttemptHttpClient.Builder httpClient) {
        return AnthropicChatModel.builder()
                .httpClientBuilder(httpClient)
                .baseUrl(baseUrlText())
                .apiKey(key.orElseThrow().reveal())
                .version(API_VERSION)
                .modelName(model)
                .maxRetries(0)
                .logRequests(false)
                .logResponses(false)
                .build();
    }

    @Override
    StreamingChatModel streamingModel(String model, AttemptHttpClient.Builder httpClient) {
        // No maxRetries here: LangChain4j's streaming models have no retry loop at all.
        return AnthropicStreamingChatModel.builder()
                .httpClientBuilder(httpClient)
                .baseUrl(baseUrlText())
                .apiKey(key.orElseThrow().reveal())
                .version(API_VERSION)
                .modelName(model)
                .logRequests(false)
                .logResponses(false)
                .build();
    }
}
