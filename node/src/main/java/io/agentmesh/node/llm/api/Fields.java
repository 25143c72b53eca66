package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Typed reads of a request's JSON fields, in OpenAI's manner: an unknown field is ignored, a JSON {@code null} is an
 * absent field, and a field of the wrong type or out of range is refused naming the field's path
 * ({@code messages[2].content}).
 */
final class Fields {
    private Fields() {
    }

    static String path(String parent, String field) {
        return parent.isEmpty() ? field : parent + "." + field;
    }

    static String index(String parent, int i) {
        return parent + "[" + i + "]";
    }

    static boolean present(JsonNode obj, String field) {
        JsonNode v = obj.get(field);
        return v != null && !v.isNull();
    }

    static JsonNode requireObject(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw wrongType(path, "an object", node);
        }
        return node;
    }

    static Optional<String> optString(JsonNode obj, String field, String parent) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw wrongType(path(parent, field), "a string", v);
        }
        return Optional.of(v.asText());
    }

    static String reqString(JsonNode obj, String field, String parent) {
        return optString(obj, field, parent).orElseThrow(() -> missing(path(parent, field)));
    }

    static Optional<Boolean> optBool(JsonNode obj, String field, String parent) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isBoolean()) {
            throw wrongType(path(parent, field), "a boolean", v);
        }
        return Optional.of(v.asBoolean());
    }

    static OptionalDouble optNumber(JsonNode obj, String field, String parent, double min, double max) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return OptionalDouble.empty();
        }
        if (!v.isNumber()) {
            throw wrongType(path(parent, field), "a number", v);
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw EndpointError.invalid(path(parent, field), "invalid_value", "Invalid '" + path(parent, field)
                    + "': expected a number from " + plain(min) + " to " + plain(max) + ", but got " + v + " instead.");
        }
        return OptionalDouble.of(d);
    }

    static OptionalLong optInt(JsonNode obj, String field, String parent, long min, long max) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return OptionalLong.empty();
        }
        // 5.0 is accepted as 5, as OpenAI does; 5.5 is not an integer.
        if (!v.isNumber() || (!v.isIntegralNumber() && v.asDouble() != Math.rint(v.asDouble()))
                || !v.canConvertToLong()) {
            throw wrongType(path(parent, field), "an integer", v);
        }
        long n = v.asLong();
        if (n < min || n > max) {
            throw EndpointError.invalid(path(parent, field), "invalid_value", "Invalid '" + path(parent, field)
                    + "': expected an integer from " + min + " to " + max + ", but got " + n + " instead.");
        }
        return OptionalLong.of(n);
    }

    /** A string, or an array of strings, as a list; empty when absent. */
    static List<String> stringOrStrings(JsonNode obj, String field, String parent, int maxItems) {
        JsonNode v = obj.get(field);
        String p = path(parent, field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (v.isTextual()) {
            return List.of(v.asText());
        }
        if (!v.isArray()) {
            throw wrongType(p, "a string or an array of strings", v);
        }
        return strings(v, p, maxItems);
    }

    static List<String> strings(JsonNode array, String p, int maxItems) {
        if (array.size() > maxItems) {
            throw EndpointError.invalid(p, "array_above_max_length", "Invalid '" + p + "': expected at most "
                    + maxItems + " items, but got " + array.size() + " instead.");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode s = array.get(i);
            if (!s.isTextual()) {
                throw wrongType(index(p, i), "a string", s);
            }
            out.add(s.asText());
        }
        return out;
    }

    static JsonNode optArray(JsonNode obj, String field, String parent) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw wrongType(path(parent, field), "an array", v);
        }
        return v;
    }

    static JsonNode optObject(JsonNode obj, String field, String parent) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw wrongType(path(parent, field), "an object", v);
        }
        return v;
    }

    static EndpointError missing(String path) {
        return EndpointError.invalid(path, "missing_required_parameter", "Missing required parameter: '" + path
                + "'.");
    }

    static EndpointError wrongType(String path, String expected, JsonNode got) {
        return EndpointError.invalid(path, "invalid_type", "Invalid type for '" + path + "': expected " + expected
                + ", but got " + typeName(got) + " instead.");
    }

    static EndpointError unsupported(String path, String what) {
        return EndpointError.invalid(path, "unsupported_value", "Unsupported value for '" + path + "': " + what);
    }

    static String typeName(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> v.isIntegralNumber() ? "an integer" : "a decimal";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> "a value of another type";
        };
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
