package io.agentmesh.node.llm.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the POST bodies of the agent's LLM endpoints (docs/fuzzing.md): the body read as
 * {@link LlmHttp} reads it, then the format's own parser ({@link OpenAiChatFormat}, {@link AnthropicMessagesFormat})
 * into a call. The first byte picks the format. Bad bodies must give an {@link EndpointError} (a 4xx in the
 * format's shape) and nothing else.
 */
class LlmRequestBodyFuzzTest {
    private final ObjectMapper json = new ObjectMapper();
    private final ChatFormat openAi = new OpenAiChatFormat(json);
    private final ChatFormat anthropic = new AnthropicMessagesFormat(json);

    @FuzzTest(maxDuration = "10s")
    void anyBodyGivesACallOrAnEndpointError(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        JsonNode body;
        try {
            body = json.readTree(Arrays.copyOfRange(input, 1, input.length));
        } catch (JacksonException notJson) {
            return; // LlmHttp answers these 400 before any format sees them
        }
        if (body == null || !body.isObject()) {
            return; // likewise
        }
        try {
            ((input[0] & 1) == 0 ? openAi : anthropic).parse(body);
        } catch (EndpointError refused) {
            // the documented refusal
        }
    }
}
