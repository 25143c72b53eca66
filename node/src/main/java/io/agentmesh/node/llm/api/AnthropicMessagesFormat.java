package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmModels;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Anthropic's messages ({@code POST /llm/anthropic/v1/messages}): the request body read into a call, the answer
 * written as a {@code message} with content blocks, a stream as message_start, content_block_start/delta/stop,
 * message_delta and message_stop events, errors as {@code {"type": "error", "error": {"type", "message"}}}.
 *
 * <p>What it reads: {@code model}, {@code max_tokens} (required, as Anthropic requires it), {@code system} (text or
 * text blocks), {@code messages} with user content (text, image, tool_result blocks) and assistant content (text,
 * tool_use blocks; thinking blocks are dropped: their signatures belong to one provider), {@code tools} (custom tools
 * with {@code input_schema}), {@code tool_choice}, {@code stop_sequences}, {@code temperature}, {@code top_p},
 * {@code top_k}, {@code stream}. Other fields ({@code metadata}, {@code thinking}, {@code cache_control} marks...) are
 * ignored; server tools and document blocks are refused.
 */
final class AnthropicMessagesFormat implements ChatFormat {
    static final int MAX_STOP_SEQUENCES = 64;
    static final int MAX_TOOLS = 128;

    private final ObjectMapper json;

    AnthropicMessagesFormat(ObjectMapper json) {
        this.json = Objects.requireNonNull(json, "json");
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public ParsedCall parse(JsonNode body) {
        Fields.requireObject(body, "body");
        String model = Fields.reqString(body, "model", "");
        if (model.isBlank()) {
            throw EndpointError.invalid("model", "invalid_value", "model: a model name or alias is required, got an"
                    + " empty string");
        }
        OptionalLong maxTokens = Fields.optInt(body, "max_tokens", "", 1, Integer.MAX_VALUE);
        if (maxTokens.isEmpty()) {
            throw EndpointError.invalid("max_tokens", "missing_required_parameter", "max_tokens: Field required");
        }
        JsonNode messagesNode = Fields.optArray(body, "messages", "");
        if (messagesNode == null) {
            throw EndpointError.invalid("messages", "missing_required_parameter", "messages: Field required");
        }
        if (messagesNode.isEmpty()) {
            throw EndpointError.invalid("messages", "empty_array", "messages: at least one message is required");
        }
        List<ChatMessage> messages = new ArrayList<>();
        String system = system(body);
        if (!system.isBlank()) {
            messages.add(SystemMessage.from(system));
        }
        messages.addAll(messages(messagesNode));

        DefaultChatRequestParameters.Builder<?> p = DefaultChatRequestParameters.builder();
        p.maxOutputTokens((int) maxTokens.getAsLong());
        Fields.optNumber(body, "temperature", "", 0, 1).ifPresent(p::temperature);
        Fields.optNumber(body, "top_p", "", 0, 1).ifPresent(p::topP);
        OptionalLong topK = Fields.optInt(body, "top_k", "", 0, Integer.MAX_VALUE);
        topK.ifPresent(k -> p.topK((int) k));
        JsonNode stop = Fields.optArray(body, "stop_sequences", "");
        if (stop != null && !stop.isEmpty()) {
            p.stopSequences(Fields.strings(stop, "stop_sequences", MAX_STOP_SEQUENCES));
        }
        tools(body, p);
        boolean stream = Fields.optBool(body, "stream", "").orElse(false);

        ChatRequest chat;
        try {
            chat = ChatRequest.builder().messages(messages).parameters(p.build()).build();
        } catch (RuntimeException e) {
            throw EndpointError.invalid(null, "invalid_request", "invalid request: " + e.getMessage());
        }
        return new ParsedCall(model, chat, maxTokens, stream, true);
    }

    private static String system(JsonNode body) {
        return textBlocks(body.get("system"), "system", "system blocks are text blocks");
    }

    /**
     * A field that holds text: absent, a string, or an array of text blocks joined by line breaks; another block is
     * refused with {@code onlyText} and the type it had.
     */
    private static String textBlocks(JsonNode c, String cp, String onlyText) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (!c.isArray()) {
            throw Fields.wrongType(cp, "a string or an array of text blocks", c);
        }
        List<String> parts = new ArrayList<>();
        for (int k = 0; k < c.size(); k++) {
            String tp = Fields.index(cp, k);
            JsonNode t = Fields.requireObject(c.get(k), tp);
            String type = Fields.reqString(t, "type", tp);
            if (!type.equals("text")) {
                throw Fields.unsupported(Fields.path(tp, "type"), onlyText + ", got '" + Schemas.clip(type) + "'");
            }
            parts.add(Fields.reqString(t, "text", tp));
        }
        return String.join("\n", parts);
    }

    private List<ChatMessage> messages(JsonNode array) {
        List<ChatMessage> out = new ArrayList<>();
        Map<String, String> toolNames = new HashMap<>();
        for (int i = 0; i < array.size(); i++) {
            String p = Fields.index("messages", i);
            JsonNode m = Fields.requireObject(array.get(i), p);
            String role = Fields.reqString(m, "role", p);
            JsonNode content = m.get("content");
            String cp = Fields.path(p, "content");
            if (content == null || content.isNull()) {
                throw EndpointError.invalid(cp, "missing_required_parameter", cp + ": Field required");
            }
            if (!content.isTextual() && !content.isArray()) {
                throw Fields.wrongType(cp, "a string or an array of content blocks", content);
            }
            try {
                switch (role) {
                    case "user" -> user(content, cp, toolNames, out);
                    case "assistant" -> out.add(assistant(content, cp, toolNames));
                    default -> throw EndpointError.invalid(Fields.path(p, "role"), "invalid_value", Fields.path(p,
                            "role") + ": Input should be 'user' or 'assistant' (a system prompt goes in 'system')");
                }
            } catch (EndpointError e) {
                throw e;
            } catch (RuntimeException e) {
                throw EndpointError.invalid(p, "invalid_value", p + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static void user(JsonNode content, String cp, Map<String, String> toolNames, List<ChatMessage> out) {
        if (content.isTextual()) {
            out.add(UserMessage.from(nonEmpty(content.asText(), cp)));
            return;
        }
        List<Content> contents = new ArrayList<>();
        for (int j = 0; j < content.size(); j++) {
            String bp = Fields.index(cp, j);
            JsonNode block = Fields.requireObject(content.get(j), bp);
            String type = Fields.reqString(block, "type", bp);
            switch (type) {
                case "text" -> contents.add(TextContent.from(Fields.reqString(block, "text", bp)));
                case "image" -> contents.add(image(block, bp));
                case "tool_result" -> {
                    String id = Fields.reqString(block, "tool_use_id", bp);
                    String name = toolNames.get(id);
                    if (name == null) {
                        throw EndpointError.invalid(Fields.path(bp, "tool_use_id"), "invalid_value", bp
                                + ": a tool_result answers a tool_use block of an earlier assistant message; none"
                                + " has id \"" + Schemas.clip(id) + "\"");
                    }
                    ToolExecutionResultMessage.Builder r = ToolExecutionResultMessage.builder().id(id).toolName(name)
                            .text(toolResultText(block, bp));
                    Fields.optBool(block, "is_error", bp).ifPresent(r::isError);
                    out.add(r.build());
                }
                default -> throw Fields.unsupported(Fields.path(bp, "type"), "user content blocks are text, image"
                        + " and tool_result, got '" + Schemas.clip(type) + "'");
            }
        }
        if (!contents.isEmpty()) {
            out.add(UserMessage.from(contents));
        }
    }

    private static String toolResultText(JsonNode block, String bp) {
        return textBlocks(block.get("content"), Fields.path(bp, "content"),
                "a tool result's content is text blocks here");
    }

    private static ImageContent image(JsonNode block, String bp) {
        JsonNode source = Fields.optObject(block, "source", bp);
        String sp = Fields.path(bp, "source");
        if (source == null) {
            throw EndpointError.invalid(sp, "missing_required_parameter", sp + ": Field required");
        }
        String type = Fields.reqString(source, "type", sp);
        return switch (type) {
            case "base64" -> ImageContent.from(Fields.reqString(source, "data", sp),
                    Fields.reqString(source, "media_type", sp));
            case "url" -> OpenAiChatFormat.image(Fields.reqString(source, "url", sp), ImageContent.DetailLevel.AUTO,
                    Fields.path(sp, "url"));
            default -> throw Fields.unsupported(Fields.path(sp, "type"), "an image source is base64 or url, got '"
                    + Schemas.clip(type) + "'");
        };
    }

    private static String nonEmpty(String text, String p) {
        if (text.isBlank()) {
            throw EndpointError.invalid(p, "invalid_value", p + ": the text is empty");
        }
        return text;
    }

    private static AiMessage assistant(JsonNode content, String cp, Map<String, String> toolNames) {
        if (content.isTextual()) {
            return AiMessage.from(content.asText());
        }
        List<String> texts = new ArrayList<>();
        List<ToolExecutionRequest> calls = new ArrayList<>();
        for (int j = 0; j < content.size(); j++) {
            String bp = Fields.index(cp, j);
            JsonNode block = Fields.requireObject(content.get(j), bp);
            String type = Fields.reqString(block, "type", bp);
            switch (type) {
                case "text" -> texts.add(Fields.reqString(block, "text", bp));
                case "tool_use" -> {
                    String id = Fields.reqString(block, "id", bp);
                    String name = Fields.reqString(block, "name", bp);
                    JsonNode input = Fields.optObject(block, "input", bp);
                    toolNames.put(id, name);
                    calls.add(ToolExecutionRequest.builder().id(id).name(name)
                            .arguments(input == null ? "{}" : input.toString()).build());
                }
                case "thinking", "redacted_thinking" -> {
                    // A thinking block's signature is one provider's: the call may go to another.
                }
                default -> throw Fields.unsupported(Fields.path(bp, "type"), "assistant content blocks are text and"
                        + " tool_use, got '" + Schemas.clip(type) + "'");
            }
        }
        String text = String.join("", texts);
        if (calls.isEmpty()) {
            return AiMessage.from(text);
        }
        return text.isEmpty() ? AiMessage.from(calls) : AiMessage.from(text, calls);
    }

    private static void tools(JsonNode body, DefaultChatRequestParameters.Builder<?> p) {
        JsonNode toolsNode = Fields.optArray(body, "tools", "");
        List<ToolSpecification> tools = new ArrayList<>();
        if (toolsNode != null) {
            if (toolsNode.size() > MAX_TOOLS) {
                throw EndpointError.invalid("tools", "array_above_max_length", "tools: at most " + MAX_TOOLS
                        + " tools, got " + toolsNode.size());
            }
            for (int i = 0; i < toolsNode.size(); i++) {
                String tp = Fields.index("tools", i);
                JsonNode tool = Fields.requireObject(toolsNode.get(i), tp);
                String type = Fields.optString(tool, "type", tp).orElse("custom");
                if (!type.equals("custom")) {
                    throw Fields.unsupported(Fields.path(tp, "type"), "only custom tools (with input_schema) are"
                            + " served, got '" + Schemas.clip(type) + "'");
                }
                JsonNode schema = tool.get("input_schema");
                if (schema == null || schema.isNull()) {
                    throw EndpointError.invalid(Fields.path(tp, "input_schema"), "missing_required_parameter",
                            Fields.path(tp, "input_schema") + ": Field required");
                }
                ToolSpecification.Builder spec = ToolSpecification.builder()
                        .name(Schemas.toolName(Fields.reqString(tool, "name", tp), Fields.path(tp, "name")))
                        .parameters(Schemas.toolParameters(schema, Fields.path(tp, "input_schema")));
                Fields.optString(tool, "description", tp).ifPresent(spec::description);
                tools.add(spec.build());
            }
        }
        JsonNode choice = Fields.optObject(body, "tool_choice", "");
        if (tools.isEmpty()) {
            if (choice != null && !"none".equals(choice.path("type").asText("")) &&
                    !"auto".equals(choice.path("type").asText(""))) {
                throw EndpointError.invalid("tool_choice", "invalid_value", "tool_choice: forcing a tool needs"
                        + " 'tools'");
            }
            return;
        }
        if (choice == null) {
            p.toolSpecifications(tools);
            return;
        }
        String type = Fields.reqString(choice, "type", "tool_choice");
        switch (type) {
            case "auto" -> p.toolSpecifications(tools).toolChoice(ToolChoice.AUTO);
            case "any" -> p.toolSpecifications(tools).toolChoice(ToolChoice.REQUIRED);
            case "none" -> p.toolSpecifications(tools).toolChoice(ToolChoice.NONE);
            case "tool" -> {
                String name = Fields.reqString(choice, "name", "tool_choice");
                // One named tool: offered alone and required, which is what "use this tool" means to both providers.
                List<ToolSpecification> only = tools.stream().filter(t -> t.name().equals(name)).toList();
                if (only.isEmpty()) {
                    throw EndpointError.invalid("tool_choice.name", "invalid_value", "tool_choice.name: no tool"
                            + " named \"" + Schemas.clip(name) + "\" in 'tools'");
                }
                p.toolSpecifications(only).toolChoice(ToolChoice.REQUIRED);
            }
            default -> throw EndpointError.invalid("tool_choice.type", "invalid_value", "tool_choice.type: expected"
                    + " auto, any, tool or none");
        }
    }

    // ---- answers ----

    static String messageId(String callId) {
        return "msg_" + callId;
    }

    @Override
    public ObjectNode answer(String callId, ParsedCall call, CallResult.Answered answered, long createdSeconds) {
        Answer a = Answer.of(answered);
        ObjectNode out = json.createObjectNode();
        out.put("id", messageId(callId));
        out.put("type", "message");
        out.put("role", "assistant");
        out.put("model", a.model());
        ArrayNode content = out.putArray("content");
        if (!a.text().isEmpty()) {
            content.addObject().put("type", "text").put("text", a.text());
        }
        for (ToolExecutionRequest t : a.toolCalls()) {
            ObjectNode block = content.addObject();
            block.put("type", "tool_use");
            block.put("id", t.id());
            block.put("name", t.name());
            block.set("input", input(t));
        }
        out.put("stop_reason", a.finish().anthropic);
        out.putNull("stop_sequence");
        out.set("usage", usage(a.usage()));
        out.set("agentmesh", a.extension(json, callId));
        return out;
    }

    /**
     * A tool call's arguments as the object Anthropic's {@code input} is. A model of another provider may have
     * written arguments that are not a JSON object; they are passed on whole under {@code "arguments"} rather than
     * dropped.
     */
    private JsonNode input(ToolExecutionRequest t) {
        String args = Answer.arguments(t);
        try {
            JsonNode node = json.readTree(args);
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (Exception e) {
            // not JSON: passed on as text below
        }
        return json.createObjectNode().put("arguments", args);
    }

    private ObjectNode usage(Usage u) {
        ObjectNode usage = json.createObjectNode();
        usage.put("input_tokens", u.inputTokens());
        usage.put("cache_creation_input_tokens", u.cacheWriteTokens());
        usage.put("cache_read_input_tokens", u.cachedInputTokens());
        usage.put("output_tokens", u.outputTokens());
        return usage;
    }

    @Override
    public StreamRenderer stream(String callId, ParsedCall call, long createdSeconds) {
        return new Events(callId, call);
    }

    /** The events of one streamed message. */
    private final class Events implements StreamRenderer {
        private final String callId;
        private final ParsedCall call;
        private boolean textOpen;
        private int nextIndex;

        Events(String callId, ParsedCall call) {
            this.callId = callId;
            this.call = call;
        }

        private SseEvent event(String name, ObjectNode data) {
            data.put("type", name);
            return new SseEvent(name, data.toString());
        }

        private ObjectNode node() {
            // "type" first, as Anthropic writes it.
            return json.createObjectNode().put("type", "");
        }

        @Override
        public List<SseEvent> start() {
            ObjectNode data = node();
            ObjectNode message = data.putObject("message");
            message.put("id", messageId(callId));
            message.put("type", "message");
            message.put("role", "assistant");
            message.put("model", call.modelOrAlias());
            message.putArray("content");
            message.putNull("stop_reason");
            message.putNull("stop_sequence");
            message.set("usage", usage(Usage.NONE));
            return List.of(event("message_start", data));
        }

        @Override
        public List<SseEvent> text(String delta) {
            List<SseEvent> out = new ArrayList<>(2);
            if (!textOpen) {
                out.add(openText());
            }
            ObjectNode data = node();
            data.put("index", 0);
            data.putObject("delta").put("type", "text_delta").put("text", delta);
            out.add(event("content_block_delta", data));
            return out;
        }

        private SseEvent openText() {
            textOpen = true;
            nextIndex = 1;
            ObjectNode data = node();
            data.put("index", 0);
            data.putObject("content_block").put("type", "text").put("text", "");
            return event("content_block_start", data);
        }

        private SseEvent stop(int index) {
            ObjectNode data = node();
            data.put("index", index);
            return event("content_block_stop", data);
        }

        @Override
        public List<SseEvent> end(CallResult.Answered answered) {
            Answer a = Answer.of(answered);
            List<SseEvent> out = new ArrayList<>();
            if (!textOpen && !a.text().isEmpty()) {
                // An answer whose text did not come as deltas: sent whole.
                out.addAll(text(a.text()));
            }
            if (textOpen) {
                out.add(stop(0));
            }
            for (ToolExecutionRequest t : a.toolCalls()) {
                int index = nextIndex++;
                ObjectNode start = node();
                start.put("index", index);
                start.putObject("content_block").put("type", "tool_use").put("id", t.id()).put("name", t.name())
                        .putObject("input");
                out.add(event("content_block_start", start));
                ObjectNode delta = node();
                delta.put("index", index);
                delta.putObject("delta").put("type", "input_json_delta").put("partial_json", input(t).toString());
                out.add(event("content_block_delta", delta));
                out.add(stop(index));
            }
            ObjectNode messageDelta = node();
            messageDelta.putObject("delta").put("stop_reason", a.finish().anthropic).putNull("stop_sequence");
            messageDelta.set("usage", usage(a.usage()));
            messageDelta.set("agentmesh", a.extension(json, callId));
            out.add(event("message_delta", messageDelta));
            out.add(event("message_stop", node()));
            return out;
        }

        @Override
        public List<SseEvent> error(EndpointError error) {
            return List.of(new SseEvent("error", AnthropicMessagesFormat.this.error(error).toString()));
        }
    }

    @Override
    public ObjectNode error(EndpointError error) {
        ObjectNode out = json.createObjectNode();
        out.put("type", "error");
        out.putObject("error").put("type", error.kind.anthropicType).put("message", error.getMessage());
        return out;
    }

    @Override
    public ObjectNode models(LlmModels models) {
        ObjectNode out = json.createObjectNode();
        ArrayNode data = out.putArray("data");
        for (LlmModels.Entry e : models.models()) {
            data.addObject().put("type", "model").put("id", e.name()).put("display_name", e.name())
                    .put("created_at", "1970-01-01T00:00:00Z");
        }
        out.put("has_more", false);
        List<LlmModels.Entry> all = models.models();
        if (all.isEmpty()) {
            out.putNull("first_id");
            out.putNull("last_id");
        } else {
            out.put("first_id", all.getFirst().name());
            out.put("last_id", all.getLast().name());
        }
        return out;
    }
}
