package io.agentmesh.node.llm.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.ledger.LedgerOp;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code llm} intent: its payload, its start mark, its result, and what a later leader does with a start mark. */
class LlmIntentExecutorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PAYLOAD = "{\"model\": \"smart\", \"messages\": [{\"role\": \"system\", \"content\":"
            + " \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}], \"maxTokens\": 50}";

    /** Records each call and answers as told. */
    private static final class RecordingCalls implements LlmCalls {
        final List<CallRequest> calls = new ArrayList<>();
        CallResult next;

        @Override
        public CompletableFuture<CallResult> call(CallRequest request, io.agentmesh.node.llm.provider.StreamSink sink) {
            calls.add(request);
            return CompletableFuture.completedFuture(next);
        }
    }

    private final RecordingCalls gateway = new RecordingCalls();
    private final LlmIntentExecutor executor = new LlmIntentExecutor(gateway, "node-a");
    private final List<byte[]> marks = new ArrayList<>();

    private ActionContext context(String payload, FencingToken token) {
        return new ActionContext("intent-1", "llm", payload, token, "node-a", data -> {
            marks.add(data);
            return CompletableFuture.completedFuture(null);
        });
    }

    private static AttemptResult.Completed answer(String text) {
        ChatResponse response = ChatResponse.builder().aiMessage(AiMessage.from(text)).build();
        return new AttemptResult.Completed("openai", "gpt-4o", 120, 80, new Usage(20, 8, 0, 5, 0), "stop", "req-1",
                response);
    }

    private static AttemptResult.Failed overloaded() {
        return new AttemptResult.Failed("anthropic", "claude-sonnet-4-5", 40, ErrorClass.OVERLOADED, 529,
                OptionalLong.empty(), Usage.NONE, "HTTP 529 overloaded_error");
    }

    private ActionResult run(java.util.concurrent.CompletionStage<ActionResult> stage) {
        return stage.toCompletableFuture().join();
    }

    @Test
    void anAnsweredCallSucceedsWithTheTextUsageCostAndAttempts() throws Exception {
        gateway.next = new CallResult.Answered("x", answer("Hello!"), List.of(overloaded(), answer("Hello!")),
                1_234_000);
        ActionResult r = run(executor.perform(context(PAYLOAD, new FencingToken(3, 17))));

        assertEquals(ActionResult.SUCCEEDED, r.status());
        JsonNode result = JSON.readTree(r.result());
        assertEquals("Hello!", result.get("text").asText());
        assertEquals("gpt-4o", result.get("model").asText());
        assertEquals("openai", result.get("provider").asText());
        assertEquals(20, result.get("usage").get("inputTokens").asLong());
        assertEquals(8, result.get("usage").get("cachedInputTokens").asLong());
        assertEquals(5, result.get("usage").get("outputTokens").asLong());
        assertEquals("0.001234", result.get("costUsd").decimalValue().toPlainString());
        assertEquals(2, result.get("attempts").size());
        assertEquals("OVERLOADED", result.get("attempts").get(0).get("error").asText());
        assertFalse(result.has("note"));

        CallRequest call = gateway.calls.getFirst();
        assertEquals("intent-1@3:17", call.callId());
        assertEquals(LedgerOp.Origin.INTENT, call.origin());
        assertEquals("smart", call.modelOrAlias());
        assertEquals(50, call.maxOutputTokens());
        assertFalse(call.stream());
        assertInstanceOf(SystemMessage.class, call.chat().messages().get(0));
        assertInstanceOf(UserMessage.class, call.chat().messages().get(1));
        JsonNode mark = JSON.readTree(new String(marks.getFirst(), StandardCharsets.UTF_8));
        assertEquals("intent-1@3:17", mark.get("callId").asText());
        assertFalse(mark.get("tools").asBoolean());
        assertFalse(mark.get("retry").asBoolean());
    }

    @Test
    void aFailedCallFailsTheIntentWithItsReason() throws Exception {
        gateway.next = new CallResult.Failed("x", CallResult.Failure.BUDGET_EXCEEDED, "budget day: $20 spent",
                Optional.empty(), List.of());
        ActionResult r = run(executor.perform(context(PAYLOAD, new FencingToken(3, 17))));

        assertEquals(ActionResult.FAILED, r.status());
        JsonNode result = JSON.readTree(r.result());
        assertEquals("BUDGET_EXCEEDED", result.get("error").asText());
        assertEquals("budget day: $20 spent", result.get("message").asText());
    }

    @Test
    void badPayloadsFailAsNotPerformedWithNothingMarkedOrSent() {
        String[][] cases = {
                {"[1]", "is a JSON object"},
                {"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": []}",
                        "unknown key \"tools\""},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", "\"model\" is required"},
                {"{\"model\": \"m\", \"messages\": []}", "\"messages\" is required"},
                {"{\"model\": \"m\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
                        "messages[0].role must be"},
                {"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": 3}]}",
                        "messages[0].content is required and is a string"},
                {"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\", \"name\": \"a\"}]}",
                        "unknown key \"name\" in messages[0]"},
                {"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"maxTokens\": 0}",
                        "\"maxTokens\" must be an integer"},
                {"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"maxTokens\": 1.5}",
                        "\"maxTokens\" must be an integer"},
                {"not json", "not valid JSON"},
        };
        for (String[] c : cases) {
            ActionResult r = run(executor.perform(context(c[0], new FencingToken(1, 2))));
            assertEquals(ActionResult.FAILED, r.status(), c[0]);
            assertTrue(r.result().startsWith("not performed: "), r.result());
            assertTrue(r.result().contains(c[1]), r.result() + " should say " + c[1]);
        }
        assertTrue(marks.isEmpty());
        assertTrue(gateway.calls.isEmpty());
        assertThrows(IllegalArgumentException.class, () -> LlmIntentExecutor.parse("{}"));
    }

    @Test
    void aLaterLeaderRetriesAnInDoubtCallWithoutToolsOnceUnderTheRetryIdOfTheMarkedCall() throws Exception {
        byte[] earlier = "{\"callId\":\"intent-1@3:17\",\"tools\":false,\"retry\":false}"
                .getBytes(StandardCharsets.UTF_8);
        gateway.next = new CallResult.Answered("x", answer("Again"), List.of(answer("Again")), 10);
        ActionResult r = run(executor.reconcile(context(PAYLOAD, new FencingToken(4, 30)), Optional.of(earlier)));

        assertEquals(ActionResult.SUCCEEDED, r.status());
        JsonNode result = JSON.readTree(r.result());
        assertEquals("Again", result.get("text").asText());
        assertEquals(LlmIntentExecutor.RETRIED, result.get("note").asText());
        assertEquals("intent-1@3:17" + LlmIntentExecutor.RETRY_SUFFIX, gateway.calls.getFirst().callId());
        assertTrue(marks.isEmpty(), "the journal keeps the first holder's mark: a claim is prepared once");
    }

    @Test
    void aLeaderFindingTheRetryAlreadyOpenedReportsTheIntentInDoubtWithNothingSent() throws Exception {
        byte[] earlier = "{\"callId\":\"intent-1@3:17\",\"tools\":false,\"retry\":false}"
                .getBytes(StandardCharsets.UTF_8);
        gateway.next = new CallResult.Failed("intent-1@3:17/retry", CallResult.Failure.REQUEST_REJECTED,
                "the ledger refused to open call \"intent-1@3:17/retry\": DUPLICATE_CALL", Optional.empty(),
                List.of());
        ActionResult r = run(executor.reconcile(context(PAYLOAD, new FencingToken(5, 40)), Optional.of(earlier)));

        assertEquals(ActionResult.FAILED, r.status());
        JsonNode result = JSON.readTree(r.result());
        assertEquals("IN_DOUBT", result.get("error").asText());
        assertTrue(result.get("message").asText().startsWith("in doubt, possibly billed, not retried"), r.result());
        assertTrue(result.get("message").asText().contains("already made"), r.result());
    }

    @Test
    void anInDoubtRetryOrACallWithToolsIsNotRetried() throws Exception {
        for (String mark : List.of("{\"callId\":\"intent-1@4:30\",\"tools\":false,\"retry\":true}",
                "{\"callId\":\"intent-1@3:17\",\"tools\":true,\"retry\":false}", "garbage")) {
            ActionResult r = run(executor.reconcile(context(PAYLOAD, new FencingToken(5, 40)),
                    Optional.of(mark.getBytes(StandardCharsets.UTF_8))));
            assertEquals(ActionResult.FAILED, r.status(), mark);
            assertTrue(JSON.readTree(r.result()).get("message").asText()
                    .startsWith("in doubt, possibly billed, not retried"), r.result());
        }
        assertTrue(gateway.calls.isEmpty());
    }

    @Test
    void aClaimWithoutAStartMarkIsSimplyPerformed() {
        gateway.next = new CallResult.Answered("x", answer("Hi"), List.of(answer("Hi")), 10);
        ActionResult r = run(executor.reconcile(context(PAYLOAD, new FencingToken(4, 30)), Optional.empty()));
        assertEquals(ActionResult.SUCCEEDED, r.status());
        assertFalse(r.result().contains(LlmIntentExecutor.RETRIED));
    }
}
