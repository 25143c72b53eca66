package io.agentmesh.node.llm.cost;

import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.Usage;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Costs against hand-computed values, from the shipped table's prices. */
class CostTest {
    private static final PriceTable TABLE = PriceTable.shipped();

    private static ModelPrice priced(ProviderKind kind, String model) {
        PriceEntry e = TABLE.find(kind, model).orElseThrow();
        return new ModelPrice("p", model, e.price(), e.asSource());
    }

    private static long usd(String usd) {
        return NanoUsd.fromUsd(new java.math.BigDecimal(usd));
    }

    @Test
    void openAiCachedTokensArePartOfThePromptAndAreCountedOnce() {
        // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
        // prompt_tokens 10000 of which cached_tokens 8000; completion_tokens 1000.
        // Normalised by the provider layer's UsageReader (UsageReaderTest): uncached input = prompt - cached.
        Usage u = new Usage(2_000, 8_000, 0, 1_000, 0);
        Charge c = Cost.of(priced(ProviderKind.OPENAI, "gpt-4o"), u);
        assertEquals(usd("0.005"), c.inputNanoUsd(), "2000 uncached x $2.50/M");
        assertEquals(usd("0.01"), c.cachedInputNanoUsd(), "8000 cached x $1.25/M");
        assertEquals(usd("0.01"), c.outputNanoUsd(), "1000 x $10/M");
        assertEquals(usd("0.025"), c.totalNanoUsd());
        // Pricing prompt_tokens as uncached and the cached ones again would say $0.045 (the double count).
        assertNotEquals(usd("0.045"), c.totalNanoUsd());
    }

    @Test
    void anthropicInputExcludesCacheReadsAndWritesWhichArePricedOnTheirOwn() {
        // claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write (5 min), $15 output per million.
        // input_tokens 2000 (uncached only), cache_read_input_tokens 8000, cache_creation_input_tokens 1000.
        Usage u = new Usage(2_000, 8_000, 1_000, 500, 0);
        Charge c = Cost.of(priced(ProviderKind.ANTHROPIC, "claude-sonnet-4-5"), u);
        assertEquals(usd("0.006"), c.inputNanoUsd());
        assertEquals(usd("0.0024"), c.cachedInputNanoUsd());
        assertEquals(usd("0.00375"), c.cacheWriteNanoUsd());
        assertEquals(usd("0.0075"), c.outputNanoUsd());
        assertEquals(usd("0.01965"), c.totalNanoUsd());
        assertFalse(c.longContextRates());
    }

    @Test
    void aRequestAboveTheLongContextThresholdPaysTheTierRatesOnEveryToken() {
        ModelPrice sonnet = priced(ProviderKind.ANTHROPIC, "claude-sonnet-4-5");
        // 150000 uncached + 60000 cached = 210000 input tokens, above 200000: $6, $0.60, $22.50 per million.
        Charge c = Cost.of(sonnet, new Usage(150_000, 60_000, 0, 1_000, 0));
        assertTrue(c.longContextRates());
        assertEquals(usd("0.9"), c.inputNanoUsd());
        assertEquals(usd("0.036"), c.cachedInputNanoUsd());
        assertEquals(usd("0.0225"), c.outputNanoUsd());
        assertEquals(usd("0.9585"), c.totalNanoUsd());
        // Exactly at the threshold: base rates ($3, $15).
        Charge at = Cost.of(sonnet, new Usage(200_000, 0, 0, 1_000, 0));
        assertFalse(at.longContextRates());
        assertEquals(usd("0.6") + usd("0.015"), at.totalNanoUsd());
    }

    @Test
    void reasoningTokensArePricedAsOutputUnlessThePriceSaysOtherwise() {
        // o3: $2 input, $8 output. 5000 output tokens of which 4000 reasoning.
        Usage u = new Usage(1_000, 0, 0, 5_000, 4_000);
        Charge c = Cost.of(priced(ProviderKind.OPENAI, "o3"), u);
        assertEquals(usd("0.002"), c.inputNanoUsd());
        assertEquals(usd("0.008"), c.outputNanoUsd(), "the 1000 answer tokens");
        assertEquals(usd("0.032"), c.reasoningNanoUsd(), "the 4000 reasoning tokens at the output price");
        assertEquals(usd("0.042"), c.totalNanoUsd());
        Price cheaperThinking = Price.flat(new Rates(usd("2"), usd("0.5"), usd("2"), usd("8"), usd("4")));
        Charge own = Cost.of(new ModelPrice("p", "m", cheaperThinking, c.source()), u);
        assertEquals(usd("0.016"), own.reasoningNanoUsd());
    }

    @Test
    void fractionsOfANanoDollarRoundUpSoACostIsNeverUnderstated() {
        // deepseek-v4-flash cache hits: $0.0028 per million = 2.8 nano-USD per token.
        assertEquals(3, Cost.part(1, usd("0.0028")));
        assertEquals(28, Cost.part(10, usd("0.0028")));
        assertEquals(980, Cost.part(7, usd("0.14")));
        assertEquals(0, Cost.part(0, usd("0.14")));
        Charge c = Cost.of(priced(ProviderKind.DEEPSEEK, "deepseek-v4-flash"), new Usage(1, 1, 0, 1, 0));
        assertEquals(140 + 3 + 280, c.totalNanoUsd());
    }

    @Test
    void theWorstCasePricesEveryInputTokenAtTheDearestInputRate() {
        // gpt-4o: 10000 tokens x $2.50 + 2000 x $10.
        Charge openai = Cost.worstCase(priced(ProviderKind.OPENAI, "gpt-4o"), 10_000, 2_000);
        assertEquals(usd("0.045") + Cost.ROUNDING_MARGIN_NANO_USD, openai.totalNanoUsd());
        // claude-sonnet-4-5: a cache write ($3.75) costs more than plain input ($3).
        Charge anthropic = Cost.worstCase(priced(ProviderKind.ANTHROPIC, "claude-sonnet-4-5"), 10_000, 1_000);
        assertEquals(usd("0.0375") + usd("0.015") + Cost.ROUNDING_MARGIN_NANO_USD, anthropic.totalNanoUsd());
        assertThrows(IllegalArgumentException.class,
                () -> Cost.worstCase(priced(ProviderKind.OPENAI, "gpt-4o"), -1, 10));
    }

    @Test
    void noActualCostExceedsTheWorstCaseReservedForIt() {
        Random random = new Random(20261203);
        for (PriceEntry e : TABLE.entries().values().stream().flatMap(m -> m.values().stream()).distinct().toList()) {
            ModelPrice m = new ModelPrice("p", e.model(), e.price(), e.asSource());
            for (int i = 0; i < 200; i++) {
                long estimate = random.nextInt(400_000);
                long maxOut = 1 + random.nextInt(64_000);
                long cached = estimate == 0 ? 0 : random.nextLong(estimate + 1);
                long written = random.nextLong(estimate - cached + 1);
                long out = random.nextLong(maxOut + 1);
                Usage u = new Usage(estimate - cached - written, cached, written, out, random.nextLong(out + 1));
                assertTrue(Cost.of(m, u).totalNanoUsd() <= Cost.worstCase(m, estimate, maxOut).totalNanoUsd(),
                        e.model() + " " + u);
            }
        }
    }

    @Test
    void absurdTokenCountsFailLoudlyInsteadOfWrappingAround() {
        ModelPrice m = new ModelPrice("p", "m", Price.flat(new Rates(Rates.MAX_NANO_USD_PER_MTOK, 0, 0, 0, 0)),
                new PriceSource(PriceSource.Kind.OVERRIDE, "test"));
        assertThrows(ArithmeticException.class, () -> Cost.of(m, new Usage(Long.MAX_VALUE / 2, 0, 0, 0, 0)));
    }

    @Test
    void moneyIsFormattedExactly() {
        assertEquals("$0.025", NanoUsd.format(usd("0.025")));
        assertEquals("$12.50", NanoUsd.format(usd("12.5")));
        assertEquals("$0.000000003", NanoUsd.format(3));
        assertEquals("$0.00", NanoUsd.format(0));
        assertThrows(ArithmeticException.class, () -> NanoUsd.fromUsd(new java.math.BigDecimal("0.0000000001")));
    }
}
