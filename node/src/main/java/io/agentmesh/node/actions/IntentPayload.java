package io.agentmesh.node.actions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Iterator;
import java.util.Set;

/**
 * An intent's payload as an executor first reads it: a JSON object holding no key the executor does not know. What
 * is not is refused (IllegalArgumentException) with a message saying what the payload should be.
 */
public final class IntentPayload {
    private static final ObjectMapper JSON = new ObjectMapper();

    private IntentPayload() {
    }

    /**
     * @param shape what a payload of this kind is, for the refusal ("an exec payload is a JSON object {...}")
     * @param where how the refusal of an unknown key names the payload ("the exec payload")
     * @param known the keys this kind of payload may hold
     */
    public static JsonNode object(String payloadJson, String shape, String where, Set<String> known) {
        JsonNode payload;
        try {
            payload = JSON.readTree(payloadJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the payload is not valid JSON");
        }
        if (payload == null || !payload.isObject()) {
            throw new IllegalArgumentException(shape);
        }
        unknownKeys(payload, known, where);
        return payload;
    }

    /** Refuses a key of {@code object} that is not {@code known}, naming the known ones in order. */
    public static void unknownKeys(JsonNode object, Set<String> known, String where) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new IllegalArgumentException("unknown key \"" + k + "\" in " + where + " (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }
}
