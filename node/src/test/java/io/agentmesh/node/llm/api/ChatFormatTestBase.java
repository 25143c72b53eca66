package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** What a test of one {@link ChatFormat} reads request bodies with: JSON written with single quotes, and refusals. */
abstract class ChatFormatTestBase<F extends ChatFormat> {
    final ObjectMapper json = new ObjectMapper();
    final F format;

    ChatFormatTestBase(Function<ObjectMapper, F> format) {
        this.format = format.apply(json);
    }

    /** {@code text} with every ' as ", read as JSON. */
    JsonNode body(String text) throws Exception {
        return json.readTree(text.replace('\'', '"'));
    }

    /** The error parsing {@code text} as a request body throws. */
    EndpointError refused(String text) throws Exception {
        JsonNode b = body(text);
        return assertThrows(EndpointError.class, () -> format.parse(b));
    }
}
