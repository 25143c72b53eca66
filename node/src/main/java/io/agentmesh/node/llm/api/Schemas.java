package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A client's JSON Schema as LangChain4j's request model holds it. A tool's parameters must be an object schema there
 * ({@link ToolSpecification#parameters()}); each property is kept as the client wrote it ({@link JsonRawSchema}), so
 * nothing of an {@code enum}, a {@code format} or a nested {@code anyOf} is lost on the way to either provider.
 */
final class Schemas {
    /** OpenAI's and Anthropic's rule for a tool's name. */
    static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    private Schemas() {
    }

    /** A tool's input schema; absent means a tool without parameters. */
    static JsonObjectSchema toolParameters(JsonNode schema, String path) {
        JsonObjectSchema.Builder b = JsonObjectSchema.builder();
        if (schema == null || schema.isNull()) {
            return b.build();
        }
        Fields.requireObject(schema, path);
        JsonNode type = schema.get("type");
        if (type != null && !(type.isTextual() && type.asText().equals("object"))) {
            throw EndpointError.invalid(path, "invalid_value", "Invalid schema at '" + path + "': a tool's parameters"
                    + " are an object schema (\"type\": \"object\"), got type " + type + ".");
        }
        Fields.optString(schema, "description", path).ifPresent(b::description);
        JsonNode props = Fields.optObject(schema, "properties", path);
        if (props != null) {
            Map<String, JsonSchemaElement> properties = new LinkedHashMap<>();
            props.properties().forEach(e -> properties.put(e.getKey(), raw(e.getValue(),
                    Fields.path(Fields.path(path, "properties"), e.getKey()))));
            b.addProperties(properties);
        }
        JsonNode required = Fields.optArray(schema, "required", path);
        if (required != null) {
            b.required(Fields.strings(required, Fields.path(path, "required"), 10_000));
        }
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null && additional.isBoolean()) {
            b.additionalProperties(additional.asBoolean());
        }
        JsonNode defs = schema.has("$defs") ? schema.get("$defs") : schema.get("definitions");
        if (defs != null && !defs.isNull()) {
            Fields.requireObject(defs, Fields.path(path, "$defs"));
            Map<String, JsonSchemaElement> definitions = new LinkedHashMap<>();
            defs.properties().forEach(e -> definitions.put(e.getKey(), raw(e.getValue(),
                    Fields.path(Fields.path(path, "$defs"), e.getKey()))));
            b.definitions(definitions);
        }
        return b.build();
    }

    /** A schema kept exactly as written. */
    static JsonRawSchema raw(JsonNode schema, String path) {
        if (schema == null || !(schema.isObject() || schema.isBoolean())) {
            throw Fields.wrongType(path, "a JSON Schema (an object)", schema);
        }
        return JsonRawSchema.from(schema.toString());
    }

    static String toolName(String name, String path) {
        if (!TOOL_NAME.matcher(name).matches()) {
            throw EndpointError.invalid(path, "invalid_value", "Invalid '" + path + "': a tool's name is 1-128 of"
                    + " a-z, A-Z, 0-9, _ and -, got \"" + clip(name) + "\".");
        }
        return name;
    }

    static String clip(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
