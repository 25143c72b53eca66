package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.Usage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UsageReaderTest {
    private final ObjectMapper json = new ObjectMapper();

    private JsonNode node(String text) throws Exception {
        return json.readTree(text);
    }

    @Test
    void openAiCachedTokensAreTakenOutOfThePromptAndReasoningStaysInTheOutput() throws Exception {
        Usage usage = UsageReader.openAi(node("{\"prompt_tokens\":1000,\"completion_tokens\":300,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":600},"
                + "\"completion_tokens_details\":{\"reasoning_tokens\":200}}"), false);

        assertEquals(new Usage(400, 600, 0, 300, 200), usage);
        assertEquals(1000, usage.totalInputTokens());
    }

    @Test
    void deepSeekCacheHitsAreReadWhereOpenAiHasNone() throws Exception {
        JsonNode usage = node("{\"prompt_tokens\":50,\"completion_tokens\":10,\"prompt_cache_hit_tokens\":40,"
                + "\"prompt_cache_miss_tokens\":10}");

        assertEquals(new Usage(10, 40, 0, 10, 0), UsageReader.openAi(usage, true));
        assertEquals(new Usage(50, 0, 0, 10, 0), UsageReader.openAi(usage, false));
    }

    @Test
    void anthropicStreamUsageCombinesMessageStartAndMessageDelta() throws Exception {
        UsageReader.Anthropic usage = new UsageReader.Anthropic();
        usage.add(node("{\"input_tokens\":12,\"output_tokens\":1,\"cache_read_input_tokens\":3000,"
                + "\"cache_creation_input_tokens\":40}"));
        usage.add(node("{\"output_tokens\":250}"));

        assertEquals(new Usage(12, 3000, 40, 250, 0), usage.complete());
    }

    @Test
    void anthropicUsageWithoutOutputIsIncomplete() throws Exception {
        UsageReader.Anthropic usage = new UsageReader.Anthropic();
        usage.add(node("{\"input_tokens\":12}"));

        assertThrows(BadAnswer.class, usage::complete);
        assertEquals(new Usage(12, 0, 0, 0, 0), usage.soFar());
    }

    @Test
    void impossibleCountsAreMalformed() throws Exception {
        for (String bad : new String[]{"{\"prompt_tokens\":-1,\"completion_tokens\":1}",
                "{\"prompt_tokens\":1.5,\"completion_tokens\":1}", "{\"prompt_tokens\":\"7\",\"completion_tokens\":1}",
                "{\"completion_tokens\":1}",
                "{\"prompt_tokens\":5,\"completion_tokens\":1,\"completion_tokens_details\":{\"reasoning_tokens\":2}}",
                "{\"prompt_tokens\":5,\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":6}}"}) {
            assertThrows(BadAnswer.class, () -> UsageReader.openAi(node(bad), false), bad);
        }
    }
}
