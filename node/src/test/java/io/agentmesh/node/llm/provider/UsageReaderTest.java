package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.cost.Cost;
import io.agentmesh.node.llm.cost.ModelPrice;
import io.agentmesh.node.llm.cost.NanoUsd;
import io.agentmesh.node.llm.cost.PriceEntry;
import io.agentmesh.node.llm.cost.PriceTable;
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

    @Test
    void theSameCallReportedInEitherProvidersShapeNormalisesToTheSameUsageAndCost() throws Exception {
        // 11000 prompt tokens in all: 8000 read from the cache, 1000 written to it, 2000 plain; 500 output.
        Usage openAi = UsageReader.openAi(node("{\"prompt_tokens\":11000,\"completion_tokens\":500,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":8000,\"cache_write_tokens\":1000}}"), false);
        UsageReader.Anthropic anthropic = new UsageReader.Anthropic();
        anthropic.add(node("{\"input_tokens\":2000,\"cache_read_input_tokens\":8000,"
                + "\"cache_creation_input_tokens\":1000,\"output_tokens\":500}"));

        assertEquals(anthropic.complete(), openAi);
        PriceEntry sonnet = PriceTable.shipped().find(ProviderKind.ANTHROPIC, "claude-sonnet-4-5").orElseThrow();
        ModelPrice price = new ModelPrice("anthropic", "claude-sonnet-4-5", sonnet.price(), sonnet.asSource());
        // $3 x 2000 + $0.30 x 8000 + $3.75 x 1000 + $15 x 500, per million tokens.
        assertEquals(NanoUsd.fromUsd(new java.math.BigDecimal("0.01965")), Cost.of(price, openAi).totalNanoUsd());

        // DeepSeek reports hits and misses, which add up to the prompt.
        assertEquals(UsageReader.openAi(node("{\"prompt_tokens\":10000,\"completion_tokens\":700,"
                        + "\"prompt_tokens_details\":{\"cached_tokens\":8000},"
                        + "\"completion_tokens_details\":{\"reasoning_tokens\":300}}"), false),
                UsageReader.openAi(node("{\"prompt_tokens\":10000,\"completion_tokens\":700,"
                        + "\"prompt_cache_hit_tokens\":8000,\"prompt_cache_miss_tokens\":2000,"
                        + "\"completion_tokens_details\":{\"reasoning_tokens\":300}}"), true));
    }

    @Test
    void inconsistentCacheCountsAreRefusedRatherThanGuessed() throws Exception {
        for (String bad : new String[]{
                "{\"prompt_tokens\":100,\"completion_tokens\":10,\"prompt_tokens_details\":{\"cached_tokens\":60,"
                        + "\"cache_write_tokens\":50}}",
                "{\"prompt_tokens\":100,\"completion_tokens\":10,\"prompt_cache_hit_tokens\":101}"}) {
            assertThrows(BadAnswer.class, () -> UsageReader.openAi(node(bad), true), bad);
        }
        UsageReader.Anthropic anthropic = new UsageReader.Anthropic();
        assertThrows(BadAnswer.class, () -> anthropic.add(node("{\"input_tokens\":-1,\"output_tokens\":10}")));
    }
}
