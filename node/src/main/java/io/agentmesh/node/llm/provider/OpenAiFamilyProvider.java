package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.protocol.time.Clock;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * OPENAI, AZURE_OPENAI, DEEPSEEK and OPENAI_COMPATIBLE: OpenAI's chat completions through LangChain4j's
 * {@code OpenAiChatModel} and {@code OpenAiStreamingChatModel} on the endpoint's base URL.
 *
 * <p>Azure works through the same module: the base URL is the deployment's
 * ({@code https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT}), {@code api-version} is a custom query
 * parameter and the key goes in the {@code api-key} header, with no {@code Authorization} header (the model is built
 * without an API key). The deployment decides the model; the model name is still sent, and Azure ignores it.
 */
final class OpenAiFamilyProvider extends LangChainProvider {
    OpenAiFamilyProvider(ProviderConfig endpoint, Optional<ApiKey> key, Clock clock,
                         ScheduledExecutorService timers, ObjectMapper json) {
        super(endpoint, key, clock, timers, json,
                new Wire.OpenAi(json, new ErrorClassifier(json), endpoint.kind() == ProviderKind.DEEPSEEK));
        if (endpoint.kind() == ProviderKind.ANTHROPIC) {
            throw new IllegalArgumentException("provider " + endpoint.id() + " is ANTHROPIC, not an OpenAI format");
        }
    }

    private boolean azure() {
        return endpoint.kind() == ProviderKind.AZURE_OPENAI;
    }

    private String bearerKey() {
        return azure() ? null : key.map(ApiKey::reveal).orElse(null);
    }

    private Map<String, String> headers() {
        return azure() ? Map.of("api-key", key.map(ApiKey::reveal).orElseThrow()) : Map.of();
    }

    private Map<String, String> query() {
        return endpoint.azureApiVersion().map(v -> Map.of("api-version", v)).orElse(Map.of());
    }

    @Override
    ChatModel chatModel(String model, AttemptHttpClient.Builder httpClient) {
        return OpenAiChatModel.builder()
                .httpClientBuilder(httpClient)
                .baseUrl(baseUrlText())
                .apiKey(bearerKey())
                .customHeaders(headers())
                .customQueryParams(query())
                .modelName(model)
                .maxRetries(0)
                .logRequests(false)
                .logResponses(false)
                .build();
    }

    @Override
    StreamingChatModel streamingModel(String model, AttemptHttpClient.Builder httpClient) {
        // No maxRetries here: LangChain4j's streaming models have no retry loop at all.
        return OpenAiStreamingChatModel.builder()
                .httpClientBuilder(httpClient)
                .baseUrl(baseUrlText())
                .apiKey(bearerKey())
                .customHeaders(headers())
                .customQueryParams(query())
                .modelName(model)
                .logRequests(false)
                .logResponses(false)
                .build();
    }
}
