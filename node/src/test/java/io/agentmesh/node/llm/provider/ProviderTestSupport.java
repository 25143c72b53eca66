package io.agentmesh.node.llm.provider;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.KeySource;
import io.agentmesh.node.llm.config.ModelConfig;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.config.Timeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** A fake provider per test, the real LangChain4j clients through our providers, and small deadlines. */
abstract class ProviderTestSupport {
    /** For tests not about deadlines: nothing on loopback comes near them, even on a loaded machine. */
    static final Timeouts RELAXED = new Timeouts(5_000, 10_000, 10_000, 20_000);
    /** For tests of one deadline: that one small (hundreds of ms), the others relaxed. */
    static final Timeouts SHORT_FIRST_TOKEN = new Timeouts(5_000, 400, 10_000, 20_000);
    static final Timeouts SHORT_IDLE = new Timeouts(5_000, 10_000, 400, 20_000);
    static final Timeouts SHORT_TOTAL = new Timeouts(1_000, 1_000, 1_000, 1_000);
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

    /**
     * Loads the classes an attempt uses (LangChain4j, the JDK client, Jackson) with one call and one stream before the
     * tests, so the first test's deadlines of a few hundred milliseconds do not measure class loading.
     */
    @BeforeAll
    static void warmUp() throws IOException {
        ScheduledExecutorService warmTimers = Executors.newSingleThreadScheduledExecutor();
        try (FakeProvider warm = new FakeProvider();
             LlmProvider provider = new Providers(FakeProvider.clock(), warmTimers).create(
                     config("warm-up", ProviderKind.OPENAI, warm.baseUrl("/v1"), RELAXED, Optional.empty()),
                     Optional.of(new ApiKey(KEY)))) {
            warm.enqueue(FakeProvider.json(200, FakeProvider.openAiAnswer("Hi", "stop", FakeProvider.OPENAI_USAGE)));
            provider.call(request("gpt-test"), new AttemptCancel());
            warm.stream().data(FakeProvider.openAiChunk("Hi", "stop")).data(FakeProvider.openAiUsageChunk())
                    .data("[DONE]").end().enqueue();
            provider.stream(request("gpt-test"), text -> true, new AttemptCancel());
        } finally {
            warmTimers.shutdownNow();
        }
    }

    LlmProvider provider(ProviderKind kind, URI baseUrl, Optional<String> azureApiVersion) {
        return provider(kind, baseUrl, azureApiVersion, RELAXED);
    }

    LlmProvider provider(ProviderKind kind, URI baseUrl, Optional<String> azureApiVersion, Timeouts timeouts) {
        if (provider != null) {
            provider.close();
        }
        provider = new Providers(FakeProvider.clock(), timers).create(
                config(kind.name().toLowerCase().replace('_', '-'), kind, baseUrl, timeouts, azureApiVersion),
                Optional.of(new ApiKey(KEY)));
        return provider;
    }

    /** A provider as llm.json would configure it, with one model the tests do not price. */
    static ProviderConfig config(String id, ProviderKind kind, URI baseUrl, Timeouts timeouts,
                                 Optional<String> azureApiVersion) {
        return new ProviderConfig(id, kind, Optional.of(baseUrl), new KeySource.EnvVar("TEST_KEY"),
                List.of(new ModelConfig("gpt-test", 128_000, 4_096, Optional.empty(), Optional.empty(), true)),
                timeouts, azureApiVersion);
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
