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
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmModels;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * OpenAI's chat completions ({@code POST /llm/openai/v1/chat/completions}): the request body read into a call, the
 * answer written as a {@code chat.completion}, a stream as {@code chat.completion.chunk} events ending with
 * {@code data: [DONE]}, errors as {@code {"error": {"message", "type", "param", "code"}}}.
 *
 * <p>What it reads: {@code model}; {@code messages} with the roles system, developer (as system), user (text and
 * image parts), assistant (text and {@code tool_calls}) and tool; {@code tools} (functions) and {@code tool_choice};
 * {@code max_completion_tokens} or {@code max_tokens}; {@code temperature}, {@code top_p}, {@code frequency_penalty},
 * {@code presence_penalty}, {@code stop}; {@code stream}, {@code stream_options.include_usage};
 * {@code response_format} (text, json_object, json_schema). Other fields are ignored, as OpenAI ignores what it does
 * not know, except those whose answer it cannot give: {@code n} above 1, {@code logprobs}, audio and file parts, the
 * deprecated {@code functions}; these are refused rather than answered wrongly.
 */
final class OpenAiChatFormat implements ChatFormat {
    static final int MAX_STOP_SEQUENCES = 4;
    static final int MAX_TOOLS = 128;
    private static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool");

    private final ObjectMapper json;

    OpenAiChatFormat(ObjectMapper json) {
        this.json = Objects.requireNonNull(json, "json");
    }

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public ParsedCall parse(JsonNode body) {
        Fields.requireObject(body, "body");
        String model = Fields.reqString(body, "model", "");
        if (model.isBlank()) {
            throw EndpointError.invalid("model", "invalid_value", "Invalid 'model': a model name or alias is"
                    + " required, got an empty string.");
        }
        JsonNode messagesNode = Fields.optArray(body, "messages", "");
        if (messagesNode == null) {
            throw Fields.missing("messages");
        }
        if (messagesNode.isEmpty()) {
            throw EndpointError.invalid("messages", "empty_array", "Invalid 'messages': empty array. Expected an"
                    + " array with minimum length 1, but got an empty array instead.");
        }
        List<ChatMessage> messages = messages(messagesNode);

        if (Fields.present(body, "functions") || Fields.present(body, "function_call")) {
            throw Fields.unsupported("functions", "the deprecated 'functions' and 'function_call' are not served;"
                    + " use 'tools' and 'tool_choice'.");
        }
        OptionalLong n = Fields.optInt(body, "n", "", 1, 128);
        if (n.isPresent() && n.getAsLong() > 1) {
            throw Fields.unsupported("n", "one choice per call (n = 1); make several calls for several answers.");
        }
        if (Fields.optBool(body, "logprobs", "").orElse(false)) {
            throw Fields.unsupported("logprobs", "log probabilities are not served through agentmesh.");
        }

        DefaultChatRequestParameters.Builder<?> p = DefaultChatRequestParameters.builder();
        OptionalLong maxTokens = Fields.optInt(body, "max_completion_tokens", "", 1, Integer.MAX_VALUE);
        if (maxTokens.isEmpty()) {
            maxTokens = Fields.optInt(body, "max_tokens", "", 1, Integer.MAX_VALUE);
        }
        maxTokens.ifPresent(m -> p.maxOutputTokens((int) m));
        Fields.optNumber(body, "temperature", "", 0, 2).ifPresent(p::temperature);
        Fields.optNumber(body, "top_p", "", 0, 1).ifPresent(p::topP);
        Fields.optNumber(body, "frequency_penalty", "", -2, 2).ifPresent(p::frequencyPenalty);
        Fields.optNumber(body, "presence_penalty", "", -2, 2).ifPresent(p::presencePenalty);
        List<String> stop = Fields.stringOrStrings(body, "stop", "", MAX_STOP_SEQUENCES);
        if (!stop.isEmpty()) {
            p.stopSequences(stop);
        }
        tools(body, p);
        responseFormat(body, p);

        boolean stream = Fields.optBool(body, "stream", "").orElse(false);
        JsonNode streamOptions = Fields.optObject(body, "stream_options", "");
        boolean includeUsage = streamOptions != null
                && Fields.optBool(streamOptions, "include_usage", "stream_options").orElse(false);

        ChatRequest chat;
        try {
            chat = ChatRequest.builder().messages(messages).parameters(p.build()).build();
        } catch (RuntimeException e) {
            throw EndpointError.invalid(null, "invalid_request", "Invalid request: " + e.getMessage());
        }
        return new ParsedCall(model, chat, maxTokens, stream, includeUsage);
    }

    private List<ChatMessage> messages(JsonNode array) {
        List<ChatMessage> out = new ArrayList<>();
        Map<String, String> toolNames = new HashMap<>();
        for (int i = 0; i < array.size(); i++) {
            String p = Fields.index("messages", i);
            JsonNode m = Fields.requireObject(array.get(i), p);
            String role = Fields.reqString(m, "role", p);
            try {
                switch (role) {
                    case "system", "developer" -> out.add(SystemMessage.from(nonEmpty(text(m, p, false), p)));
                    case "user" -> out.add(user(m, p));
                    case "assistant" -> out.add(assistant(m, p, toolNames));
                    case "tool" -> {
                        String id = Fields.reqString(m, "tool_call_id", p);
                        String name = toolNames.get(id);
                        if (name == null) {
                            throw EndpointError.invalid(Fields.path(p, "tool_call_id"), "invalid_value", "Invalid '"
                                    + Fields.path(p, "tool_call_id") + "': a message with role 'tool' must answer a"
                                    + " tool call of an earlier assistant message; no tool call has id \""
                                    + Schemas.clip(id) + "\".");
                        }
                        out.add(ToolExecutionResultMessage.from(id, name, text(m, p, false)));
                    }
                    default -> throw EndpointError.invalid(Fields.path(p, "role"), "invalid_value", "Invalid value: '"
                            + Schemas.clip(role) + "'. Supported values are: " + String.join(", ", ROLES) + ".");
                }
            } catch (EndpointError e) {
                throw e;
            } catch (RuntimeException e) {
                // LangChain4j's own checks (a blank text...), with the message's place.
                throw EndpointError.invalid(p, "invalid_value", "Invalid '" + p + "': " + e.getMessage());
            }
        }
        return out;
    }

    private static String nonEmpty(String text, String p) {
        if (text.isBlank()) {
            throw EndpointError.invalid(Fields.path(p, "content"), "invalid_value", "Invalid '"
                    + Fields.path(p, "content") + "': the text is empty.");
        }
        return text;
    }

    /** A content that may only hold text: a string, or an array of text parts joined by line breaks. */
    private static String text(JsonNode m, String p, boolean allowAbsent) {
        JsonNode c = m.get("content");
        String cp = Fields.path(p, "content");
        if (c == null || c.isNull()) {
            if (allowAbsent) {
                return "";
            }
            throw Fields.missing(cp);
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (!c.isArray()) {
            throw Fields.wrongType(cp, "a string or an array of text parts", c);
        }
        List<String> parts = new ArrayList<>();
        for (int j = 0; j < c.size(); j++) {
            String pp = Fields.index(cp, j);
            JsonNode part = Fields.requireObject(c.get(j), pp);
            String type = Fields.reqString(part, "type", pp);
            switch (type) {
                case "text" -> parts.add(Fields.reqString(part, "text", pp));
                case "refusal" -> parts.add(Fields.reqString(part, "refusal", pp));
                default -> throw Fields.unsupported(Fields.path(pp, "type"), "only text parts here, got '"
                        + Schemas.clip(type) + "'.");
            }
        }
        return String.join("\n", parts);
    }

    private static UserMessage user(JsonNode m, String p) {
        Optional<String> name = Fields.optString(m, "name", p);
        JsonNode c = m.get("content");
        String cp = Fields.path(p, "content");
        if (c == null || c.isNull()) {
            throw Fields.missing(cp);
        }
        if (c.isTextual()) {
            String text = nonEmpty(c.asText(), p);
            return name.map(n -> UserMessage.from(n, text)).orElseGet(() -> UserMessage.from(text));
        }
        if (!c.isArray()) {
            throw Fields.wrongType(cp, "a string or an array of content parts", c);
        }
        if (c.isEmpty()) {
            throw EndpointError.invalid(cp, "empty_array", "Invalid '" + cp + "': empty array. Expected at least one"
                    + " content part.");
        }
        List<Content> contents = new ArrayList<>();
        for (int j = 0; j < c.size(); j++) {
            String pp = Fields.index(cp, j);
            JsonNode part = Fields.requireObject(c.get(j), pp);
            String type = Fields.reqString(part, "type", pp);
            switch (type) {
                case "text" -> contents.add(TextContent.from(Fields.reqString(part, "text", pp)));
                case "image_url" -> {
                    JsonNode image = Fields.optObject(part, "image_url", pp);
                    if (image == null) {
                        throw Fields.missing(Fields.path(pp, "image_url"));
                    }
                    String ip = Fields.path(pp, "image_url");
                    String url = Fields.reqString(image, "url", ip);
                    ImageContent.DetailLevel detail = switch (Fields.optString(image, "detail", ip).orElse("auto")) {
                        case "low" -> ImageContent.DetailLevel.LOW;
                        case "high" -> ImageContent.DetailLevel.HIGH;
                        case "auto" -> ImageContent.DetailLevel.AUTO;
                        default -> throw EndpointError.invalid(Fields.path(ip, "detail"), "invalid_value",
                                "Invalid '" + Fields.path(ip, "detail") + "': expected low, high or auto.");
                    };
                    contents.add(image(url, detail, Fields.path(ip, "url")));
                }
                default -> throw Fields.unsupported(Fields.path(pp, "type"), "text and image_url parts are served,"
                        + " got '" + Schemas.clip(type) + "'.");
            }
        }
        return name.map(n -> UserMessage.from(n, contents)).orElseGet(() -> UserMessage.from(contents));
    }

    /** An image by URL: a {@code data:} URL carries it (base64), an https one points at it. */
    static ImageContent image(String url, ImageContent.DetailLevel detail, String p) {
        if (url.startsWith("data:")) {
            int comma = url.indexOf(',');
            String header = comma < 0 ? "" : url.substring(5, comma);
            if (comma < 0 || !header.endsWith(";base64") || header.length() == ";base64".length()) {
                throw EndpointError.invalid(p, "invalid_value", "Invalid '" + p + "': a data URL is"
                        + " data:<media type>;base64,<data>.");
            }
            String mime = header.substring(0, header.length() - ";base64".length());
            return ImageContent.from(url.substring(comma + 1), mime, detail);
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw EndpointError.invalid(p, "invalid_value", "Invalid '" + p + "': not a URL.");
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw EndpointError.invalid(p, "invalid_value", "Invalid '" + p + "': an image URL is https, http or"
                    + " data.");
        }
        return ImageContent.from(uri, detail);
    }

    private static AiMessage assistant(JsonNode m, String p, Map<String, String> toolNames) {
        String text = text(m, p, true);
        JsonNode calls = Fields.optArray(m, "tool_calls", p);
        List<ToolExecutionRequest> requests = new ArrayList<>();
        if (calls != null) {
            for (int j = 0; j < calls.size(); j++) {
                String cp = Fields.index(Fields.path(p, "tool_calls"), j);
                JsonNode call = Fields.requireObject(calls.get(j), cp);
                String id = Fields.reqString(call, "id", cp);
                String type = Fields.optString(call, "type", cp).orElse("function");
                if (!type.equals("function")) {
                    throw Fields.unsupported(Fields.path(cp, "type"), "only function tool calls are served.");
                }
                JsonNode fn = Fields.optObject(call, "function", cp);
                if (fn == null) {
                    throw Fields.missing(Fields.path(cp, "function"));
                }
                String fp = Fields.path(cp, "function");
                String name = Fields.reqString(fn, "name", fp);
                String arguments = Fields.optString(fn, "arguments", fp).orElse("{}");
                toolNames.put(id, name);
                requests.add(ToolExecutionRequest.builder().id(id).name(name).arguments(arguments).build());
            }
        }
        if (requests.isEmpty()) {
            if (!Fields.present(m, "content")) {
                throw Fields.missing(Fields.path(p, "content"));
            }
            return AiMessage.from(text);
        }
        return text.isEmpty() ? AiMessage.from(requests) : AiMessage.from(text, requests);
    }

    private static void tools(JsonNode body, DefaultChatRequestParameters.Builder<?> p) {
        JsonNode toolsNode = Fields.optArray(body, "tools", "");
        List<ToolSpecification> tools = new ArrayList<>();
        if (toolsNode != null) {
            if (toolsNode.size() > MAX_TOOLS) {
                throw EndpointError.invalid("tools", "array_above_max_length", "Invalid 'tools': expected at most "
                        + MAX_TOOLS + " tools, but got " + toolsNode.size() + " instead.");
            }
            for (int i = 0; i < toolsNode.size(); i++) {
                String tp = Fields.index("tools", i);
                JsonNode tool = Fields.requireObject(toolsNode.get(i), tp);
                String type = Fields.reqString(tool, "type", tp);
                if (!type.equals("function")) {
                    throw Fields.unsupported(Fields.path(tp, "type"), "only function tools are served, got '"
                            + Schemas.clip(type) + "'.");
                }
                JsonNode fn = Fields.optObject(tool, "function", tp);
                if (fn == null) {
                    throw Fields.missing(Fields.path(tp, "function"));
                }
                String fp = Fields.path(tp, "function");
                ToolSpecification.Builder spec = ToolSpecification.builder()
                        .name(Schemas.toolName(Fields.reqString(fn, "name", fp), Fields.path(fp, "name")))
                        .parameters(Schemas.toolParameters(fn.get("parameters"), Fields.path(fp, "parameters")));
                Fields.optString(fn, "description", fp).ifPresent(spec::description);
                Fields.optBool(fn, "strict", fp).ifPresent(spec::strict);
                tools.add(spec.build());
            }
        }
        JsonNode choice = body.get("tool_choice");
        if (choice == null || choice.isNull()) {
            if (!tools.isEmpty()) {
                p.toolSpecifications(tools);
            }
            return;
        }
        if (choice.isTextual()) {
            ToolChoice c = switch (choice.asText()) {
                case "auto" -> ToolChoice.AUTO;
                case "required" -> ToolChoice.REQUIRED;
                case "none" -> ToolChoice.NONE;
                default -> throw EndpointError.invalid("tool_choice", "invalid_value", "Invalid 'tool_choice': expected"
                        + " none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}.");
            };
            if (tools.isEmpty()) {
                if (c == ToolChoice.REQUIRED) {
                    throw EndpointError.invalid("tool_choice", "invalid_value", "Invalid 'tool_choice': 'required'"
                            + " needs 'tools'.");
                }
                return;
            }
            p.toolSpecifications(tools).toolChoice(c);
            return;
        }
        JsonNode chosen = Fields.requireObject(choice, "tool_choice");
        JsonNode fn = Fields.optObject(chosen, "function", "tool_choice");
        if (fn == null) {
            throw Fields.missing("tool_choice.function");
        }
        String name = Fields.reqString(fn, "name", "tool_choice.function");
        // One named tool: offered alone and required, which is what "call this function" means to both providers.
        List<ToolSpecification> only = tools.stream().filter(t -> t.name().equals(name)).toList();
        if (only.isEmpty()) {
            throw EndpointError.invalid("tool_choice.function.name", "invalid_value", "Invalid"
                    + " 'tool_choice.function.name': no tool named \"" + Schemas.clip(name) + "\" in 'tools'.");
        }
        p.toolSpecifications(only).toolChoice(ToolChoice.REQUIRED);
    }

    private static void responseFormat(JsonNode body, DefaultChatRequestParameters.Builder<?> p) {
        JsonNode rf = Fields.optObject(body, "response_format", "");
        if (rf == null) {
            return;
        }
        String type = Fields.reqString(rf, "type", "response_format");
        switch (type) {
            case "text" -> p.responseFormat(ResponseFormat.TEXT);
            case "json_object" -> p.responseFormat(ResponseFormat.JSON);
            case "json_schema" -> {
                JsonNode js = Fields.optObject(rf, "json_schema", "response_format");
                if (js == null) {
                    throw Fields.missing("response_format.json_schema");
                }
                String name = Fields.reqString(js, "name", "response_format.json_schema");
                JsonNode schema = Fields.optObject(js, "schema", "response_format.json_schema");
                if (schema == null) {
                    throw Fields.missing("response_format.json_schema.schema");
                }
                p.responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON)
                        .jsonSchema(JsonSchema.builder().name(name)
                                .rootElement(Schemas.raw(schema, "response_format.json_schema.schema")).build())
                        .build());
            }
            default -> throw EndpointError.invalid("response_format.type", "invalid_value", "Invalid"
                    + " 'response_format.type': expected text, json_object or json_schema.");
        }
    }

    // ---- answers ----

    @Override
    public ObjectNode answer(String callId, ParsedCall call, CallResult.Answered answered, long createdSeconds) {
        Answer a = Answer.of(answered);
        ObjectNode out = json.createObjectNode();
        out.put("id", completionId(callId));
        out.put("object", "chat.completion");
        out.put("created", createdSeconds);
        out.put("model", a.model());
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (a.text().isEmpty() && !a.toolCalls().isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", a.text());
        }
        message.putNull("refusal");
        if (!a.toolCalls().isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolExecutionRequest t : a.toolCalls()) {
                ObjectNode c = calls.addObject();
                c.put("id", t.id());
                c.put("type", "function");
                c.putObject("function").put("name", t.name()).put("arguments", Answer.arguments(t));
            }
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", a.finish().openAi);
        out.set("usage", usage(a.usage()));
        out.set("agentmesh", a.extension(json, callId));
        return out;
    }

    static String completionId(String callId) {
        return "chatcmpl-" + callId;
    }

    private ObjectNode usage(Usage u) {
        ObjectNode usage = json.createObjectNode();
        usage.put("prompt_tokens", u.totalInputTokens());
        usage.put("completion_tokens", u.outputTokens());
        usage.put("total_tokens", u.totalInputTokens() + u.outputTokens());
        usage.putObject("prompt_tokens_details").put("cached_tokens", u.cachedInputTokens());
        usage.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        return usage;
    }

    @Override
    public StreamRenderer stream(String callId, ParsedCall call, long createdSeconds) {
        return new Chunks(callId, call, createdSeconds);
    }

    /** chat.completion.chunk events. */
    private final class Chunks implements StreamRenderer {
        private final String id;
        private final String callId;
        private final ParsedCall call;
        private final long created;
        private boolean textSent;

        Chunks(String callId, ParsedCall call, long created) {
            this.id = completionId(callId);
            this.callId = callId;
            this.call = call;
            this.created = created;
        }

        /** A chunk; until the answer names its model, the model asked for. */
        private ObjectNode chunk(String model) {
            ObjectNode c = json.createObjectNode();
            c.put("id", id);
            c.put("object", "chat.completion.chunk");
            c.put("created", created);
            c.put("model", model);
            if (call.includeUsage()) {
                c.putNull("usage");
            }
            return c;
        }

        private SseEvent choiceChunk(String model, ObjectNode delta, String finishReason) {
            ObjectNode c = chunk(model);
            ObjectNode choice = c.putArray("choices").addObject();
            choice.put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            return SseEvent.data(c.toString());
        }

        @Override
        public List<SseEvent> start() {
            ObjectNode delta = json.createObjectNode().put("role", "assistant").put("content", "");
            return List.of(choiceChunk(call.modelOrAlias(), delta, null));
        }

        @Override
        public List<SseEvent> text(String text) {
            textSent = true;
            return List.of(choiceChunk(call.modelOrAlias(), json.createObjectNode().put("content", text), null));
        }

        @Override
        public List<SseEvent> end(CallResult.Answered answered) {
            Answer a = Answer.of(answered);
            List<SseEvent> out = new ArrayList<>();
            if (!textSent && !a.text().isEmpty()) {
                // An answer whose text did not come as deltas: sent whole.
                out.addAll(text(a.text()));
            }
            if (!a.toolCalls().isEmpty()) {
                ObjectNode delta = json.createObjectNode();
                ArrayNode calls = delta.putArray("tool_calls");
                for (int i = 0; i < a.toolCalls().size(); i++) {
                    ToolExecutionRequest t = a.toolCalls().get(i);
                    ObjectNode c = calls.addObject();
                    c.put("index", i);
                    c.put("id", t.id());
                    c.put("type", "function");
                    c.putObject("function").put("name", t.name()).put("arguments", Answer.arguments(t));
                }
                out.add(choiceChunk(a.model(), delta, null));
            }
            out.add(choiceChunk(a.model(), json.createObjectNode(), a.finish().openAi));
            if (call.includeUsage()) {
                ObjectNode c = chunk(a.model());
                c.putArray("choices");
                c.set("usage", usage(a.usage()));
                c.set("agentmesh", a.extension(json, callId));
                out.add(SseEvent.data(c.toString()));
            }
            out.add(SseEvent.data("[DONE]"));
            return out;
        }

        @Override
        public List<SseEvent> error(EndpointError error) {
            return List.of(SseEvent.data(OpenAiChatFormat.this.error(error).toString()));
        }
    }

    @Override
    public ObjectNode error(EndpointError error) {
        ObjectNode out = json.createObjectNode();
        ObjectNode e = out.putObject("error");
        e.put("message", error.getMessage());
        e.put("type", error.kind.openAiType);
        if (error.param == null) {
            e.putNull("param");
        } else {
            e.put("param", error.param);
        }
        if (error.code == null) {
            e.putNull("code");
        } else {
            e.put("code", error.code);
        }
        return out;
    }

    @Override
    public ObjectNode models(LlmModels models) {
        ObjectNode out = json.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        for (LlmModels.Entry e : models.models()) {
            ObjectNode m = data.addObject();
            m.put("id", e.name());
            m.put("object", "model");
            m.put("created", 0);
            m.put("owned_by", String.join(",", e.providers()));
        }
        return out;
    }
}
