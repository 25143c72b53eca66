package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmModels;
import io.agentmesh.node.llm.config.Target;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenAiChatFormatTest extends ChatFormatTestBase<OpenAiChatFormat> {
    OpenAiChatFormatTest() {
        super(OpenAiChatFormat::new);
    }

    @Test
    void readsEveryRoleToolsAndParametersIntoOneChatRequest() throws Exception {
        ParsedCall call = format.parse(body("""
                {'model': 'smart', 'max_completion_tokens': 300, 'temperature': 0.5, 'top_p': 0.9,
                 'frequency_penalty': 0.1, 'presence_penalty': -0.2, 'stop': ['END'], 'seed': 7, 'user': 'u1',
                 'some_future_field': {'x': 1},
                 'messages': [
                   {'role': 'system', 'content': 'Be brief.'},
                   {'role': 'developer', 'content': [{'type': 'text', 'text': 'Use tools.'}]},
                   {'role': 'user', 'content': [{'type': 'text', 'text': 'Weather in Paris?'},
                      {'type': 'image_url', 'image_url': {'url': 'data:image/png;base64,iVBORw0KGgo=', 'detail': 'low'}}]},
                   {'role': 'assistant', 'content': null, 'tool_calls': [{'id': 'call_1', 'type': 'function',
                      'function': {'name': 'weather', 'arguments': '{\\'city\\':\\'Paris\\'}'}}]},
                   {'role': 'tool', 'tool_call_id': 'call_1', 'content': '18C'},
                   {'role': 'assistant', 'content': 'It is 18C.'},
                   {'role': 'user', 'content': 'Thanks'}],
                 'tools': [{'type': 'function', 'function': {'name': 'weather', 'description': 'the weather',
                    'parameters': {'type': 'object', 'properties': {'city': {'type': 'string', 'enum': ['Paris', 'Rome']}},
                                   'required': ['city'], 'additionalProperties': false}}}],
                 'tool_choice': 'auto'}
                """.replace("\\'", "\\\"")));
        assertEquals("smart", call.modelOrAlias());
        assertEquals(300, call.maxOutputTokens().getAsLong());
        assertFalse(call.stream());
        List<ChatMessage> m = call.chat().messages();
        assertEquals(7, m.size());
        assertEquals("Be brief.", ((SystemMessage) m.get(0)).text());
        assertEquals("Use tools.", ((SystemMessage) m.get(1)).text());
        UserMessage user = (UserMessage) m.get(2);
        assertEquals(2, user.contents().size());
        ImageContent image = (ImageContent) user.contents().get(1);
        assertEquals("image/png", image.image().mimeType());
        assertEquals(ImageContent.DetailLevel.LOW, image.detailLevel());
        AiMessage calling = (AiMessage) m.get(3);
        ToolExecutionRequest req = calling.toolExecutionRequests().getFirst();
        assertEquals("call_1", req.id());
        assertEquals("weather", req.name());
        assertEquals("{\"city\":\"Paris\"}", req.arguments());
        ToolExecutionResultMessage result = (ToolExecutionResultMessage) m.get(4);
        assertEquals("call_1", result.id());
        assertEquals("weather", result.toolName(), "the tool's name is found from the call it answers");
        assertEquals("18C", result.text());
        assertEquals("It is 18C.", ((AiMessage) m.get(5)).text());

        ChatRequestParameters p = call.chat().parameters();
        assertEquals(300, p.maxOutputTokens());
        assertEquals(0.5, p.temperature());
        assertEquals(0.9, p.topP());
        assertEquals(List.of("END"), p.stopSequences());
        assertEquals(ToolChoice.AUTO, p.toolChoice());
        assertEquals("weather", p.toolSpecifications().getFirst().name());
        JsonRawSchema city = (JsonRawSchema) p.toolSpecifications().getFirst().parameters().properties().get("city");
        assertEquals(json.readTree("{\"type\":\"string\",\"enum\":[\"Paris\",\"Rome\"]}"), json.readTree(city.schema()),
                "a property's schema is kept whole");
        assertEquals(List.of("city"), p.toolSpecifications().getFirst().parameters().required());
    }

    @Test
    void maxTokensIsReadWhenMaxCompletionTokensIsAbsentAndNeitherMeansNoLimitAsked() throws Exception {
        assertEquals(99, format.parse(body("{'model': 'm', 'max_tokens': 99, 'messages': [{'role': 'user',"
                + " 'content': 'hi'}]}")).maxOutputTokens().getAsLong());
        ParsedCall none = format.parse(body("{'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}]}"));
        assertTrue(none.maxOutputTokens().isEmpty());
        assertNull(none.chat().parameters().maxOutputTokens());
    }

    @Test
    void aNamedToolChoiceOffersThatToolAloneAndRequiresIt() throws Exception {
        ParsedCall call = format.parse(body("""
                {'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}],
                 'tools': [{'type': 'function', 'function': {'name': 'a'}}, {'type': 'function', 'function': {'name': 'b'}}],
                 'tool_choice': {'type': 'function', 'function': {'name': 'b'}}}"""));
        assertEquals(ToolChoice.REQUIRED, call.chat().parameters().toolChoice());
        assertEquals(List.of("b"), call.chat().parameters().toolSpecifications().stream().map(t -> t.name()).toList());
        EndpointError e = refused("""
                {'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}],
                 'tools': [{'type': 'function', 'function': {'name': 'a'}}],
                 'tool_choice': {'type': 'function', 'function': {'name': 'zzz'}}}""");
        assertEquals("tool_choice.function.name", e.param);
    }

    @Test
    void streamOptionsAndResponseFormatsAreRead() throws Exception {
        ParsedCall call = format.parse(body("""
                {'model': 'm', 'stream': true, 'stream_options': {'include_usage': true},
                 'messages': [{'role': 'user', 'content': 'hi'}],
                 'response_format': {'type': 'json_schema', 'json_schema': {'name': 'out', 'strict': true,
                    'schema': {'type': 'object', 'properties': {'a': {'type': 'integer'}}}}}}"""));
        assertTrue(call.stream());
        assertTrue(call.includeUsage());
        assertEquals(ResponseFormatType.JSON, call.chat().parameters().responseFormat().type());
        assertEquals("out", call.chat().parameters().responseFormat().jsonSchema().name());
        assertEquals(ResponseFormatType.JSON, format.parse(body("{'model': 'm', 'messages': [{'role': 'user',"
                + " 'content': 'hi'}], 'response_format': {'type': 'json_object'}}")).chat().parameters()
                .responseFormat().type());
    }

    @Test
    void wrongTypesAreRefusedNamingTheFieldInOpenAisShape() throws Exception {
        EndpointError e = refused("{'model': 'm', 'temperature': 'hot', 'messages': [{'role': 'user', 'content': 'x'}]}");
        assertEquals(400, e.status());
        assertEquals("temperature", e.param);
        assertEquals("invalid_type", e.code);
        assertEquals("Invalid type for 'temperature': expected a number, but got a string instead.", e.getMessage());
        ObjectNode shape = format.error(e);
        assertEquals("invalid_request_error", shape.at("/error/type").asText());
        assertEquals("temperature", shape.at("/error/param").asText());
        assertEquals("invalid_type", shape.at("/error/code").asText());

        assertEquals("messages[0].content", refused("{'model': 'm', 'messages': [{'role': 'user', 'content': 5}]}")
                .param);
        assertEquals("model", refused("{'model': 5, 'messages': [{'role': 'user', 'content': 'x'}]}").param);
        assertEquals("max_tokens", refused("{'model': 'm', 'max_tokens': 2.5, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}").param);
        assertEquals("max_tokens", refused("{'model': 'm', 'max_tokens': 0, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}").param);
        assertEquals("stream", refused("{'model': 'm', 'stream': 'yes', 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}").param);
        assertEquals("temperature", refused("{'model': 'm', 'temperature': 3, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}").param);
        assertEquals("tools[0].function.parameters", refused("{'model': 'm', 'messages': [{'role': 'user',"
                + " 'content': 'x'}], 'tools': [{'type': 'function', 'function': {'name': 'f', 'parameters':"
                + " {'type': 'string'}}}]}").param);
        assertEquals("messages[0].role", refused("{'model': 'm', 'messages': [{'role': 'wizard', 'content': 'x'}]}")
                .param);
    }

    @Test
    void missingOrEmptyModelAndMessagesAreRefused() throws Exception {
        EndpointError noModel = refused("{'messages': [{'role': 'user', 'content': 'x'}]}");
        assertEquals("model", noModel.param);
        assertEquals("missing_required_parameter", noModel.code);
        assertEquals("model", refused("{'model': ' ', 'messages': [{'role': 'user', 'content': 'x'}]}").param);
        assertEquals("messages", refused("{'model': 'm'}").param);
        assertEquals("messages", refused("{'model': 'm', 'messages': []}").param);
        assertEquals("messages[0].content", refused("{'model': 'm', 'messages': [{'role': 'user', 'content': ''}]}")
                .param);
    }

    @Test
    void whatCannotBeAnsweredFaithfullyIsRefusedNotIgnored() throws Exception {
        assertEquals("n", refused("{'model': 'm', 'n': 2, 'messages': [{'role': 'user', 'content': 'x'}]}").param);
        assertEquals("logprobs", refused("{'model': 'm', 'logprobs': true, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}").param);
        assertEquals("functions", refused("{'model': 'm', 'functions': [], 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}").param);
        assertEquals("messages[0].content[0].type", refused("{'model': 'm', 'messages': [{'role': 'user', 'content':"
                + " [{'type': 'input_audio', 'input_audio': {}}]}]}").param);
        EndpointError orphan = refused("{'model': 'm', 'messages': [{'role': 'user', 'content': 'x'}, {'role':"
                + " 'tool', 'tool_call_id': 'nope', 'content': 'r'}]}");
        assertEquals("messages[1].tool_call_id", orphan.param);
    }

    @Test
    void anAnswerIsAChatCompletionWithTheAnsweringModelToolCallsAndUsage() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'smart', 'messages': [{'role': 'user', 'content': 'x'}]}"));
        // Claude answered an OpenAI-format client: its stop reason is named the OpenAI way.
        CallResult.Answered a = ScriptedCalls.answered("c1", "anthropic", "claude-sonnet-4-5", "Let me look.",
                List.of(ToolExecutionRequest.builder().id("toolu_1").name("weather").arguments("{\"city\":\"Paris\"}")
                        .build()), "tool_use", new Usage(100, 800, 50, 20, 5), 19_650_000);
        ObjectNode out = format.answer("c1", call, a, 1_700_000_000);
        assertEquals("chatcmpl-c1", out.get("id").asText());
        assertEquals("chat.completion", out.get("object").asText());
        assertEquals(1_700_000_000, out.get("created").asLong());
        assertEquals("claude-sonnet-4-5", out.get("model").asText());
        JsonNode choice = out.at("/choices/0");
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        assertEquals("Let me look.", choice.at("/message/content").asText());
        assertEquals("toolu_1", choice.at("/message/tool_calls/0/id").asText());
        assertEquals("function", choice.at("/message/tool_calls/0/type").asText());
        assertEquals("weather", choice.at("/message/tool_calls/0/function/name").asText());
        assertEquals("{\"city\":\"Paris\"}", choice.at("/message/tool_calls/0/function/arguments").asText());
        assertEquals(950, out.at("/usage/prompt_tokens").asLong(), "prompt tokens count cached and written ones");
        assertEquals(800, out.at("/usage/prompt_tokens_details/cached_tokens").asLong());
        assertEquals(20, out.at("/usage/completion_tokens").asLong());
        assertEquals(970, out.at("/usage/total_tokens").asLong());
        assertEquals(5, out.at("/usage/completion_tokens_details/reasoning_tokens").asLong());
        assertEquals("c1", out.at("/agentmesh/call_id").asText());
        assertEquals("0.01965", out.at("/agentmesh/cost_usd").asText());
    }

    @Test
    void aToolCallOnlyAnswerHasNullContent() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'm', 'messages': [{'role': 'user', 'content': 'x'}]}"));
        CallResult.Answered a = ScriptedCalls.answered("c2", "openai", "gpt-4o", "", List.of(
                ToolExecutionRequest.builder().id("call_9").name("f").arguments("{}").build()), "tool_calls",
                new Usage(1, 0, 0, 1, 0), 0);
        JsonNode message = format.answer("c2", call, a, 0).at("/choices/0/message");
        assertTrue(message.get("content").isNull());
        assertEquals("call_9", message.at("/tool_calls/0/id").asText());
    }

    @Test
    void aStreamIsChunksThenTheFinishThenUsageThenDone() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'smart', 'stream': true, 'stream_options': {'include_usage':"
                + " true}, 'messages': [{'role': 'user', 'content': 'x'}]}"));
        ChatFormat.StreamRenderer r = format.stream("c3", call, 1_700_000_000);
        List<SseEvent> events = new java.util.ArrayList<>(r.start());
        events.addAll(r.text("Hel"));
        events.addAll(r.text("lo"));
        events.addAll(r.end(ScriptedCalls.answered("c3", "openai", "gpt-4o", "Hello", List.of(), "stop",
                new Usage(7, 3, 0, 2, 0), 10)));
        String wire = events.stream().map(e -> new String(e.frame(), java.nio.charset.StandardCharsets.UTF_8))
                .collect(Collectors.joining());
        assertTrue(wire.endsWith("data: [DONE]\n\n"), wire);
        List<JsonNode> chunks = new java.util.ArrayList<>();
        for (SseEvent e : events) {
            assertNull(e.event(), "OpenAI's events have no name");
            if (!e.data().equals("[DONE]")) {
                chunks.add(json.readTree(e.data()));
            }
        }
        assertEquals(5, chunks.size());
        for (JsonNode c : chunks) {
            assertEquals("chatcmpl-c3", c.get("id").asText());
            assertEquals("chat.completion.chunk", c.get("object").asText());
        }
        assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
        assertEquals("Hel", chunks.get(1).at("/choices/0/delta/content").asText());
        assertEquals("lo", chunks.get(2).at("/choices/0/delta/content").asText());
        assertTrue(chunks.get(2).get("usage").isNull(), "usage is null in every chunk but the last");
        assertEquals("stop", chunks.get(3).at("/choices/0/finish_reason").asText());
        assertEquals("gpt-4o", chunks.get(3).get("model").asText(), "the final chunks name the model that answered");
        assertEquals(0, chunks.get(4).get("choices").size());
        assertEquals(10, chunks.get(4).at("/usage/prompt_tokens").asLong());
        assertEquals(3, chunks.get(4).at("/usage/prompt_tokens_details/cached_tokens").asLong());
    }

    @Test
    void streamedToolCallsComeWholeBeforeTheFinish() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'm', 'stream': true, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}"));
        ChatFormat.StreamRenderer r = format.stream("c4", call, 0);
        r.start();
        List<SseEvent> end = r.end(ScriptedCalls.answered("c4", "openai", "gpt-4o", "", List.of(
                ToolExecutionRequest.builder().id("call_1").name("f").arguments("{\"a\":1}").build()), "tool_calls",
                new Usage(1, 0, 0, 1, 0), 0));
        JsonNode tools = json.readTree(end.get(0).data()).at("/choices/0/delta/tool_calls/0");
        assertEquals(0, tools.get("index").asInt());
        assertEquals("call_1", tools.get("id").asText());
        assertEquals("{\"a\":1}", tools.at("/function/arguments").asText());
        assertEquals("tool_calls", json.readTree(end.get(1).data()).at("/choices/0/finish_reason").asText());
        assertEquals("[DONE]", end.getLast().data());
        assertFalse(json.readTree(end.get(1).data()).has("usage"), "no usage field without include_usage");
    }

    @Test
    void aStreamThatFailsEndsWithAnErrorEventAndNoDone() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'm', 'stream': true, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}"));
        ChatFormat.StreamRenderer r = format.stream("c5", call, 0);
        List<SseEvent> events = r.error(EndpointError.of(ScriptedCalls.failed("c5",
                CallResult.Failure.STREAM_FAILED, "the stream was cut after some text")));
        assertEquals(1, events.size());
        JsonNode error = json.readTree(events.getFirst().data());
        assertEquals("upstream_error", error.at("/error/type").asText());
        assertEquals("stream_failed", error.at("/error/code").asText());
        assertFalse(events.stream().anyMatch(e -> e.data().equals("[DONE]")));
    }

    @Test
    void failuresMapToTheDocumentedStatuses() {
        record Row(CallResult.Failure failure, int status, String type, boolean retryable) {
        }
        for (Row row : List.of(new Row(CallResult.Failure.NOT_LEADER, 503, "not_leader", false),
                new Row(CallResult.Failure.NOT_CONFIGURED, 503, "not_configured", false),
                new Row(CallResult.Failure.UNKNOWN_MODEL, 404, "invalid_request_error", false),
                new Row(CallResult.Failure.BUDGET_EXCEEDED, 429, "budget_exceeded", false),
                new Row(CallResult.Failure.REQUEST_REJECTED, 400, "invalid_request_error", false),
                new Row(CallResult.Failure.CONTEXT_TOO_LONG, 400, "invalid_request_error", false),
                new Row(CallResult.Failure.CONTENT_POLICY, 400, "invalid_request_error", false),
                new Row(CallResult.Failure.UPSTREAM_UNAVAILABLE, 502, "upstream_error", false),
                new Row(CallResult.Failure.STREAM_FAILED, 502, "upstream_error", false),
                new Row(CallResult.Failure.DEADLINE_PASSED, 504, "timeout", false),
                new Row(CallResult.Failure.OVERLOADED, 503, "overloaded", true),
                new Row(CallResult.Failure.CANCELLED, 503, "cancelled", false))) {
            EndpointError e = EndpointError.of(ScriptedCalls.failed("c", row.failure(), "why"));
            assertEquals(row.status(), e.status(), row.failure().name());
            assertEquals(row.type(), format.error(e).at("/error/type").asText(), row.failure().name());
            assertEquals(row.retryable(), e.kind.retryable, row.failure().name());
        }
        assertEquals("model_not_found", EndpointError.of(ScriptedCalls.failed("c", CallResult.Failure.UNKNOWN_MODEL,
                "no model")).code);
        assertEquals("context_length_exceeded", EndpointError.of(ScriptedCalls.failed("c",
                CallResult.Failure.CONTEXT_TOO_LONG, "too long")).code);
    }

    @Test
    void notLeaderNamesTheLeaderWhenKnown() {
        assertTrue(EndpointError.of(ScriptedCalls.notLeader("c", "node1abc")).getMessage()
                .contains("the leader is node node1abc"));
        // The gateway's own message names the leader already: it is not named twice.
        String named = EndpointError.of(new CallResult.Failed("c", CallResult.Failure.NOT_LEADER, "node n2 does not"
                + " lead; LLM calls are served by the leader, node node1abc", java.util.Optional.of("node1abc"),
                List.of())).getMessage();
        assertEquals(named.indexOf("node1abc"), named.lastIndexOf("node1abc"), named);
        assertTrue(EndpointError.of(ScriptedCalls.notLeader("c", null)).getMessage()
                .contains("no leader is known now"));
    }

    @Test
    void theModelListHasEveryNameWithItsProviders() {
        LlmModels models = () -> List.of(
                new LlmModels.Entry("gpt-4o", LlmModels.Kind.MODEL, List.of(new Target("openai", "gpt-4o"),
                        new Target("azure", "gpt-4o")), 16384),
                new LlmModels.Entry("smart", LlmModels.Kind.ALIAS, List.of(new Target("openai", "gpt-4o")), 16384));
        ObjectNode out = format.models(models);
        assertEquals("list", out.get("object").asText());
        assertEquals("gpt-4o", out.at("/data/0/id").asText());
        assertEquals("model", out.at("/data/0/object").asText());
        assertEquals("openai,azure", out.at("/data/0/owned_by").asText());
        assertEquals("smart", out.at("/data/1/id").asText());
        assertInstanceOf(Integer.class, out.at("/data/1/created").numberValue());
    }
}
