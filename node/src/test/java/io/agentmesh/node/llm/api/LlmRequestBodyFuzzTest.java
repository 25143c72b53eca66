package io.agentmesh.node.llm.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Coverage-guided fuzzing of the POST bodies of the agent's LLM endpoints (docs/fuzzing.md): the body read as
 * {@link LlmHttp} reads it ({@link LlmHttp#parseBody}), then the format's own parser ({@link OpenAiChatFormat},
 * {@link AnthropicMessagesFormat}) into a call. The first byte picks the format. Bad bodies must give an
 * {@link EndpointError} (a 4xx in the format's shape) and nothing else: anything else is answered 500, or, for an
 * IOException, not at all.
 */
class LlmRequestBodyFuzzTest {
    private final ObjectMapper json = new ObjectMapper();
    private final ChatFormat openAi = new OpenAiChatFormat(json);
    private final ChatFormat anthropic = new AnthropicMessagesFormat(json);

    @FuzzTest(maxDuration = "10s")
    void anyBodyGivesACallOrAnEndpointError(byte[] input) {
        if (input.length == 0) {
            return;
        }
        try {
            JsonNode body = LlmHttp.parseBody(json, Arrays.copyOfRange(input, 1, input.length));
            ((input[0] & 1) == 0 ? openAi : anthropic).parse(body);
        } catch (EndpointError refused) {
            // the documented refusal
        }
    }

    /** Fuzzing found it: Jackson reads these bytes as UTF-32 and fails with a CharConversionException. */
    @org.junit.jupiter.api.Test
    void aBodyJacksonTakesForUtf32WithAnImpossibleCharacterIsInvalidJson() {
        byte[] body = {0, 0, 0, 0, 0, 0, 0, 0x0f, '{', '"', 'm', 'e', '-', 's'};
        EndpointError e = assertThrows(EndpointError.class, () -> LlmHttp.parseBody(json, body));
        assertEquals("invalid_json", e.code);
    }
}
