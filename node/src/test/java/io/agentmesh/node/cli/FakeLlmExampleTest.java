package io.agentmesh.node.cli;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.provider.AttemptCancel;
import io.agentmesh.node.llm.provider.LlmProvider;
import io.agentmesh.node.llm.provider.LlmRequest;
import io.agentmesh.node.llm.provider.Providers;
import io.agentmesh.protocol.time.SystemClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fake LLM of `agentmesh up` (examples/fake-llm/FakeLlm.java, run as its own process by the JDK running this test)
 * answers the real provider layer, as the llm.json `up` writes configures it, in both modes, with usage the price
 * table turns into a cost that is not zero.
 */
class FakeLlmExampleTest {
    private static final Path SOURCE = Path.of("..", "examples", "fake-llm", "FakeLlm.java").toAbsolutePath()
            .normalize();

    @TempDir
    static Path dir;
    private static FakeLlmChild fake;
    private static int port;

    @BeforeAll
    static void startTheFake() throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(SOURCE), "run from the node module: " + SOURCE);
        fake = new FakeLlmChild(SOURCE, dir);
        port = fake.start(ProcessHandle.current().info().command().orElseThrow(), 0);
    }

    @AfterAll
    static void stopTheFake() throws InterruptedException {
        fake.stop(5_000);
        assertFalse(ProcessHandle.of(fake.pid()).map(ProcessHandle::isAlive).orElse(false), "stopped by its pid");
    }

    private static LlmConfig upsConfig() throws IOException {
        Path home = dir.resolve("node1");
        assertTrue(UpCommand.writeLlmConfig(home, UpCommand.fakeLlmConfig(port)));
        return LlmConfig.load(home.resolve("llm.json"), PriceTable.shipped());
    }

    private static LlmRequest request(String prompt) {
        return new LlmRequest(UpCommand.FAKE_MODEL, ChatRequest.builder().messages(UserMessage.from(prompt))
                .parameters(DefaultChatRequestParameters.builder().maxOutputTokens(64).build()).build());
    }

    @Test
    void theFakeAnswersTheProviderLayerWholeAndStreamedWithUsageThatCostsSomething() throws IOException {
        LlmConfig config = upsConfig();
        ProviderConfig provider = config.provider("fake").orElseThrow();
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try (LlmProvider llm = new Providers(new SystemClock(), timers).create(provider, Optional.empty())) {
            AttemptResult.Completed whole = assertInstanceOf(AttemptResult.Completed.class,
                    llm.call(request("beat 5 on node1"), new AttemptCancel()));
            String text = assertInstanceOf(ChatResponse.class, whole.answer()).aiMessage().text();
            assertTrue(text.startsWith("Fake reply to \"beat 5 on node1\" (4 words)."), text);
            assertEquals("stop", whole.finishReason());
            assertTrue(whole.usage().inputTokens() > 0 && whole.usage().outputTokens() > 0, whole.usage()::toString);
            assertTrue(config.pricing().cost("fake", UpCommand.FAKE_MODEL, whole.usage()).totalNanoUsd() > 0,
                    "priced by llm.json, not zero");

            StringBuilder streamed = new StringBuilder();
            AttemptResult.Completed stream = assertInstanceOf(AttemptResult.Completed.class,
                    llm.stream(request("beat 10 on node2"), piece -> {
                        streamed.append(piece);
                        return true;
                    }, new AttemptCancel()), "a stream ends with its finish, usage and [DONE]");
            assertTrue(streamed.toString().startsWith("Fake reply to \"beat 10 on node2\""), streamed::toString);
            assertEquals((streamed.length() + 3) / 4, stream.usage().outputTokens(), "a token per 4 characters");
            assertEquals((text.length() + 3) / 4, whole.usage().outputTokens(), "a token per 4 characters");
        } finally {
            timers.shutdownNow();
        }
    }

    @Test
    void llmTestAnswersOkForTheConfigUpWrites() throws IOException {
        upsConfig();
        assertEquals(0, AgentmeshCommand.execute("llm", "test", "--llm-config",
                dir.resolve("node1").resolve("llm.json").toString()));
    }

    @Test
    void upKeepsANodesOwnLlmConfigAndRewritesOnlyItsOwn(@TempDir Path home) throws IOException {
        assertTrue(UpCommand.writeLlmConfig(home, UpCommand.fakeLlmConfig(1111)));
        assertTrue(UpCommand.writeLlmConfig(home, UpCommand.fakeLlmConfig(2222)), "up's own file follows the fake");
        assertTrue(Files.readString(home.resolve("llm.json")).contains(":2222/v1"));
        String own = "{\"providers\": []}\n";
        Files.writeString(home.resolve("llm.json"), own);
        assertFalse(UpCommand.writeLlmConfig(home, UpCommand.fakeLlmConfig(3333)), "an operator's file is theirs");
        assertEquals(own, Files.readString(home.resolve("llm.json")));
        assertFalse(UpCommand.removeLlmConfigIfOwn(home), "nor is it removed without the fake");
        assertEquals(own, Files.readString(home.resolve("llm.json")));
    }

    @Test
    void withoutTheFakeUpRemovesOnlyTheLlmConfigItWrote(@TempDir Path home) throws IOException {
        assertTrue(UpCommand.writeLlmConfig(home, UpCommand.fakeLlmConfig(1111)));
        assertTrue(UpCommand.removeLlmConfigIfOwn(home), "it would name a dead port");
        assertFalse(Files.exists(home.resolve("llm.json")));
        assertFalse(UpCommand.removeLlmConfigIfOwn(home));
    }
}
