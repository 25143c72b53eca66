package io.agentmesh.node.llm.provider;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.ProviderKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** A fake provider per test, the real LangChain4j clients through our providers, and small deadlines. */
abstract class ProviderTestSupport {
    /** Connect 1 s, first token 400 ms, idle 400 ms, total 3 s: small, and far from what a loopback answer needs. */
    static final Timeouts FAST = new Timeouts(1_000, 400, 400, 3_000);
    static final String KEY = "sk-test-0123456789abcdef";

    FakeProvider fake;
    ScheduledExecutorService timers;
    private LlmProvider provider;

    @BeforeEach
    void startFakeProvider() throws IOException {
        fake = new FakeProvider();
        timers = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void stopFakeProvider() {
        if (provider != null) {
            provider.close();
        }
        fake.close();
        timers.shutdownNow();
    }

    LlmProvider provider(ProviderKind kind, URI baseUrl, Optional<String> azureApiVersion) {
        if (provider != null) {
            provider.close();
        }
        provider = new Providers(FakeProvider.clock(), timers).create(
                new ProviderEndpoint(kind.name().toLowerCase().replace('_', '-'), kind, baseUrl, FAST,
                        azureApiVersion), Optional.of(ApiKey.of(KEY)));
        return provider;
    }

    static LlmRequest request(String model) {
        return new LlmRequest(model, ChatRequest.builder().messages(UserMessage.from("Say hello")).build());
    }

    static AttemptResult.Failed failed(AttemptResult result, ErrorClass expected) {
        AttemptResult.Failed failed = assertInstanceOf(AttemptResult.Failed.class, result, () -> "expected "
                + expected + ", got " + result);
        assertEquals(expected, failed.error(), () -> "wrong class: " + failed);
        return failed;
    }

    static AttemptResult.Completed completed(AttemptResult result) {
        return assertInstanceOf(AttemptResult.Completed.class, result, () -> "expected a completed attempt, got "
                + result);
    }

    static String text(AttemptResult.Completed completed) {
        return assertInstanceOf(ChatResponse.class, completed.answer()).aiMessage().text();
    }

    /** The single-retry-owner property: the provider saw exactly the requests the attempts sent. */
    void assertRequestsOnTheWire(int expected) {
        assertEquals(expected, fake.requests(), "requests on the wire");
    }
}
