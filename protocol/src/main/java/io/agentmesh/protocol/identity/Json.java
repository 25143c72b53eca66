package io.agentmesh.protocol.identity;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reading of the small JSON documents of this package (certificates, key files): every field is checked for
 * presence and type, unknown fields and duplicate keys are rejected, and each error names the document and the field.
 * A tree model rather than data binding, because the errors are the point.
 */
final class Json {
    /** Configured once here and never changed: safe to share. */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private final String what;
    private final IdentityException.Reason reason;
    private final String hint;
    private final JsonNode root;

    private Json(String what, IdentityException.Reason reason, String hint, JsonNode root) {
        this.what = what;
        this.reason = reason;
        this.hint = hint;
        this.root = root;
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serializes", e);
        }
    }

    /**
     * Parses {@code text} as one JSON object.
     *
     * @param what   names the document in messages, e.g. "node certificate /x/node-cert.json"
     * @param reason reason for every error this reader raises (MALFORMED for data, CORRUPT_FILE for files)
     * @param hint   what the user should do, appended to every structural error
     */
    static Json parse(String what, IdentityException.Reason reason, String hint, String text) {
        JsonNode node;
        try {
            node = MAPPER.readTree(text == null ? "" : text);
        } catch (JsonProcessingException e) {
            throw new IdentityException(reason, what + " is not valid JSON (" + e.getOriginalMessage()
                    + "; it may be truncated)" + hint, e);
        }
        if (node == null || node.isMissingNode() || !node.isObject()) {
            throw new IdentityException(reason, what + " is empty or not a JSON object" + hint);
        }
        return new Json(what, reason, hint, node);
    }

    /** Rejects fields outside {@code allowed}: a misspelled or foreign field should not pass silently. */
    Json onlyFields(Set<String> allowed) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw fail("has unknown field(s) " + unknown + "; expected only " + new TreeSet<>(allowed));
        }
        return this;
    }

    Json object(String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.isObject()) {
            throw fail(n == null ? "has no field '" + field + "'" : "field '" + field + "' must be an object");
        }
        return new Json(what + " field '" + field + "'", reason, hint, n);
    }

    /** The objects of the array {@code field}, at most {@code max}; each names its position in errors. */
    List<Json> objects(String field, int max) {
        JsonNode n = root.get(field);
        if (n == null || !n.isArray()) {
            throw fail(n == null ? "has no field '" + field + "'" : "field '" + field + "' must be an array");
        }
        if (n.size() > max) {
            throw fail("field '" + field + "' has " + n.size() + " items, at most " + max);
        }
        List<Json> items = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode item = n.get(i);
            if (!item.isObject()) {
                throw fail("field '" + field + "' item " + i + " must be an object");
            }
            items.add(new Json(what + " field '" + field + "' item " + i, reason, hint, item));
        }
        return items;
    }

    String text(String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.isTextual()) {
            throw fail(n == null ? "has no field '" + field + "'" : "field '" + field + "' must be a string");
        }
        return n.textValue();
    }

    boolean has(String field) {
        return root.has(field);
    }

    long integer(String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            throw fail(n == null ? "has no field '" + field + "'" : "field '" + field + "' must be a whole number");
        }
        return n.longValue();
    }

    int smallInt(String field, int min, int max) {
        long v = integer(field);
        if (v < min || v > max) {
            throw fail("field '" + field + "' is " + v + ", expected " + min + ".." + max);
        }
        return (int) v;
    }

    byte[] hex(String field, int length) {
        String s = text(field);
        byte[] b;
        try {
            b = HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw fail("field '" + field + "' must be hex digits");
        }
        if (b.length != length) {
            throw fail("field '" + field + "' must be " + length + " bytes (" + 2 * length + " hex digits), got "
                    + b.length);
        }
        return b;
    }

    IdentityException fail(String problem) {
        return new IdentityException(reason, what + " " + problem + hint);
    }
}
