package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ToolChoice;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.CallResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnthropicMessagesFormatTest extends ChatFormatTestBase<AnthropicMessagesFormat> {
    AnthropicMessagesFormatTest() {
        super(AnthropicMessagesFormat::new);
    }

    @Test
    void readsSystemBlocksToolUseAndToolResultsIntoOneChatRequest() throws Exception {
        ParsedCall call = format.parse(body("""
                {'model': 'claude-sonnet-4-5', 'max_tokens': 512, 'temperature': 0.3, 'top_k': 40,
                 'stop_sequences': ['###'], 'metadata': {'user_id': 'u'}, 'thinking': {'type': 'disabled'},
                 'system': [{'type': 'text', 'text': 'Be brief.', 'cache_control': {'type': 'ephemeral'}}],
                 'messages': [
                   {'role': 'user', 'content': [{'type': 'text', 'text': 'Weather?'},
                      {'type': 'image', 'source': {'type': 'base64', 'media_type': 'image/jpeg', 'data': '/9j/4AAQ'}}]},
                   {'role': 'assistant', 'content': [{'type': 'thinking', 'thinking': 'hm', 'signature': 's'},
                      {'type': 'text', 'text': 'Looking.'},
                      {'type': 'tool_use', 'id': 'toolu_1', 'name': 'weather', 'input': {'city': 'Paris'}}]},
                   {'role': 'user', 'content': [{'type': 'tool_result', 'tool_use_id': 'toolu_1',
                      'content': [{'type': 'text', 'text': '18C'}], 'is_error': false},
                      {'type': 'text', 'text': 'And tomorrow?'}]}],
                 'tools': [{'name': 'weather', 'description': 'the weather',
                    'input_schema': {'type': 'object', 'properties': {'city': {'type': 'string'}}, 'required': ['city']}}],
                 'tool_choice': {'type': 'any'}}"""));
        assertEquals("claude-sonnet-4-5", call.modelOrAlias());
        assertEquals(512, call.maxOutputTokens().getAsLong());
        List<ChatMessage> m = call.chat().messages();
        assertEquals(5, m.size(), m.toString());
        assertEquals("Be brief.", ((SystemMessage) m.get(0)).text());
        UserMessage first = (UserMessage) m.get(1);
        assertEquals("Weather?", ((TextContent) first.contents().get(0)).text());
        assertEquals("image/jpeg", ((ImageContent) first.contents().get(1)).image().mimeType());
        AiMessage ai = (AiMessage) m.get(2);
        assertEquals("Looking.", ai.text(), "a thinking block is dropped");
        assertEquals("{\"city\":\"Paris\"}", ai.toolExecutionRequests().getFirst().arguments());
        ToolExecutionResultMessage result = (ToolExecutionResultMessage) m.get(3);
        assertEquals("toolu_1", result.id());
        assertEquals("weather", result.toolName());
        assertEquals("18C", result.text());
        assertEquals("And tomorrow?", ((UserMessage) m.get(4)).singleText(),
                "a user message's text after its tool results becomes a message of its own");
        assertEquals(512, call.chat().parameters().maxOutputTokens());
        assertEquals(0.3, call.chat().parameters().temperature());
        assertEquals(40, call.chat().parameters().topK());
        assertEquals(List.of("###"), call.chat().parameters().stopSequences());
        assertEquals(ToolChoice.REQUIRED, call.chat().parameters().toolChoice());
        assertEquals(List.of("city"), call.chat().parameters().toolSpecifications().getFirst().parameters()
                .required());
    }

    @Test
    void maxTokensIsRequiredAsAnthropicRequiresIt() throws Exception {
        EndpointError e = refused("{'model': 'm', 'messages': [{'role': 'user', 'content': 'x'}]}");
        assertEquals("max_tokens", e.param);
        ObjectNode shape = format.error(e);
        assertEquals("error", shape.get("type").asText());
        assertEquals("invalid_request_error", shape.at("/error/type").asText());
        assertEquals("max_tokens: Field required", shape.at("/error/message").asText());
    }

    @Test
    void badInputIsRefusedNamingTheField() throws Exception {
        assertEquals("model", refused("{'max_tokens': 5, 'messages': [{'role': 'user', 'content': 'x'}]}").param);
        assertEquals("max_tokens", refused("{'model': 'm', 'max_tokens': '5', 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}").param);
        assertEquals("messages[0].role", refused("{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'system',"
                + " 'content': 'x'}]}").param);
        assertEquals("messages[0].content", refused("{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user',"
                + " 'content': 7}]}").param);
        assertEquals("messages[0].content[0].tool_use_id", refused("{'model': 'm', 'max_tokens': 5, 'messages':"
                + " [{'role': 'user', 'content': [{'type': 'tool_result', 'tool_use_id': 'nope', 'content': 'r'}]}]}")
                .param);
        assertEquals("tools[0].type", refused("{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user',"
                + " 'content': 'x'}], 'tools': [{'type': 'web_search_20250305', 'name': 'web_search'}]}").param);
        assertEquals("temperature", refused("{'model': 'm', 'max_tokens': 5, 'temperature': 1.5, 'messages':"
                + " [{'role': 'user', 'content': 'x'}]}").param);
        assertEquals("messages[0].content[0].type", refused("{'model': 'm', 'max_tokens': 5, 'messages':"
                + " [{'role': 'user', 'content': [{'type': 'document', 'source': {}}]}]}").param);
    }

    @Test
    void anAnswerIsAMessageWithContentBlocksAndUncachedInput() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'smart', 'max_tokens': 50, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}"));
        // GPT answered an Anthropic-format client: its finish reason and usage are written Anthropic's way.
        CallResult.Answered a = ScriptedCalls.answered("c1", "openai", "gpt-4o", "Checking.", List.of(
                ToolExecutionRequest.builder().id("call_1").name("weather").arguments("{\"city\":\"Rome\"}").build()),
                "tool_calls", new Usage(100, 800, 50, 20, 0), 5);
        ObjectNode out = format.answer("c1", call, a, 0);
        assertEquals("msg_c1", out.get("id").asText());
        assertEquals("message", out.get("type").asText());
        assertEquals("assistant", out.get("role").asText());
        assertEquals("gpt-4o", out.get("model").asText());
        assertEquals("text", out.at("/content/0/type").asText());
        assertEquals("Checking.", out.at("/content/0/text").asText());
        assertEquals("tool_use", out.at("/content/1/type").asText());
        assertEquals("call_1", out.at("/content/1/id").asText());
        assertEquals("Rome", out.at("/content/1/input/city").asText());
        assertEquals("tool_use", out.get("stop_reason").asText());
        assertEquals(100, out.at("/usage/input_tokens").asLong(), "input_tokens excludes cache reads and writes");
        assertEquals(800, out.at("/usage/cache_read_input_tokens").asLong());
        assertEquals(50, out.at("/usage/cache_creation_input_tokens").asLong());
        assertEquals(20, out.at("/usage/output_tokens").asLong());
    }

    @Test
    void lengthAndStopMapToAnthropicsStopReasons() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user',"
                + " 'content': 'x'}]}"));
        assertEquals("max_tokens", format.answer("c", call, ScriptedCalls.answered("c", "openai", "gpt-4o", "a",
                List.of(), "length", Usage.NONE, 0), 0).get("stop_reason").asText());
        assertEquals("end_turn", format.answer("c", call, ScriptedCalls.answered("c", "openai", "gpt-4o", "a",
                List.of(), "stop", Usage.NONE, 0), 0).get("stop_reason").asText());
    }

    @Test
    void aStreamIsMessageStartBlocksDeltaAndStop() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'smart', 'max_tokens': 50, 'stream': true, 'messages':"
                + " [{'role': 'user', 'content': 'x'}]}"));
        ChatFormat.StreamRenderer r = format.stream("c2", call, 0);
        List<SseEvent> events = new ArrayList<>(r.start());
        events.addAll(r.text("Hel"));
        events.addAll(r.text("lo"));
        events.addAll(r.end(ScriptedCalls.answered("c2", "anthropic", "claude-haiku-4-5", "Hello", List.of(
                ToolExecutionRequest.builder().id("toolu_9").name("f").arguments("{\"a\":1}").build()), "tool_use",
                new Usage(12, 3, 0, 7, 0), 0)));
        assertEquals(List.of("message_start", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop"), events.stream().map(SseEvent::event).toList());
        for (SseEvent e : events) {
            assertEquals(e.event(), json.readTree(e.data()).get("type").asText(), "each event's data names its type");
        }
        assertEquals("msg_c2", json.readTree(events.get(0).data()).at("/message/id").asText());
        assertEquals("Hel", json.readTree(events.get(2).data()).at("/delta/text").asText());
        JsonNode toolStart = json.readTree(events.get(5).data());
        assertEquals(1, toolStart.get("index").asInt());
        assertEquals("toolu_9", toolStart.at("/content_block/id").asText());
        assertEquals("{\"a\":1}", json.readTree(events.get(6).data()).at("/delta/partial_json").asText());
        JsonNode delta = json.readTree(events.get(8).data());
        assertEquals("tool_use", delta.at("/delta/stop_reason").asText());
        assertEquals(7, delta.at("/usage/output_tokens").asLong());
        assertEquals(12, delta.at("/usage/input_tokens").asLong());
        assertEquals(3, delta.at("/usage/cache_read_input_tokens").asLong());
    }

    @Test
    void aStreamThatFailsEndsWithAnErrorEventAndNoMessageStop() throws Exception {
        ParsedCall call = format.parse(body("{'model': 'm', 'max_tokens': 5, 'stream': true, 'messages':"
                + " [{'role': 'user', 'content': 'x'}]}"));
        ChatFormat.StreamRenderer r = format.stream("c3", call, 0);
        r.start();
        r.text("partial");
        List<SseEvent> events = r.error(EndpointError.of(ScriptedCalls.failed("c3",
                CallResult.Failure.STREAM_FAILED, "cut")));
        assertEquals(List.of("error"), events.stream().map(SseEvent::event).toList());
        JsonNode data = json.readTree(events.getFirst().data());
        assertEquals("error", data.get("type").asText());
        assertEquals("api_error", data.at("/error/type").asText());
        assertFalse(events.stream().anyMatch(e -> "message_stop".equals(e.event())));
    }

    @Test
    void budgetAndLeaderFailuresKeepTheirStatusInAnthropicsShape() {
        EndpointError budget = EndpointError.of(ScriptedCalls.failed("c", CallResult.Failure.BUDGET_EXCEEDED,
                "the daily budget of $20 is spent"));
        assertEquals(429, budget.status());
        assertEquals("budget_exceeded", format.error(budget).at("/error/type").asText());
        EndpointError leader = EndpointError.of(ScriptedCalls.notLeader("c", "node1xyz"));
        assertEquals(503, leader.status());
        assertTrue(format.error(leader).at("/error/message").asText().contains("node1xyz"));
        assertEquals("not_found_error", format.error(EndpointError.of(ScriptedCalls.failed("c",
                CallResult.Failure.UNKNOWN_MODEL, "no model"))).at("/error/type").asText());
    }
}
