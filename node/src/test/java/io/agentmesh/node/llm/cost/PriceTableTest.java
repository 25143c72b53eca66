package io.agentmesh.node.llm.cost;

import io.agentmesh.node.llm.ProviderKind;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped price table: what it holds, how names are found, and that a broken table is refused. */
class PriceTableTest {
    private static final PriceTable TABLE = PriceTable.shipped();

    @Test
    void theShippedTablePricesTheCommonModelsOfEachPaidKindWithSourceAndDate() {
        for (String m : new String[]{"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3", "gpt-5", "gpt-5-mini", "gpt-5.5"}) {
            assertTrue(TABLE.find(ProviderKind.OPENAI, m).isPresent(), m);
        }
        for (String m : new String[]{"claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-sonnet-4"}) {
            assertTrue(TABLE.find(ProviderKind.ANTHROPIC, m).isPresent(), m);
        }
        for (String m : new String[]{"deepseek-v4-flash", "deepseek-v4-pro", "deepseek-chat", "deepseek-reasoner"}) {
            assertTrue(TABLE.find(ProviderKind.DEEPSEEK, m).isPresent(), m);
        }
        TABLE.entries().values().forEach(names -> names.values().forEach(e -> {
            assertEquals("https", e.source().getScheme(), e.model());
            assertTrue(e.checkedAt().isAfter(LocalDate.of(2025, 1, 1)), e.model());
            assertTrue(e.price().base().inputNanoUsdPerMTok() > 0 && e.price().base().outputNanoUsdPerMTok() > 0,
                    "no paid model is priced at $0: " + e.model());
        }));
        Rates sonnet = TABLE.find(ProviderKind.ANTHROPIC, "claude-sonnet-4-5").orElseThrow().price().base();
        assertEquals(3 * NanoUsd.PER_USD, sonnet.inputNanoUsdPerMTok());
        assertEquals(300_000_000, sonnet.cachedInputNanoUsdPerMTok());
        assertEquals(3_750_000_000L, sonnet.cacheWriteNanoUsdPerMTok());
        assertEquals(15 * NanoUsd.PER_USD, sonnet.outputNanoUsdPerMTok());
        assertEquals(15 * NanoUsd.PER_USD, sonnet.reasoningNanoUsdPerMTok(), "reasoning as output unless given");
    }

    @Test
    void datedSnapshotsAndAliasesAreFoundButNoPrefixMatchIs() {
        PriceEntry haiku = TABLE.find(ProviderKind.ANTHROPIC, "claude-haiku-4-5").orElseThrow();
        assertEquals(Optional.of(haiku), TABLE.find(ProviderKind.ANTHROPIC, "claude-haiku-4-5-20251001"));
        PriceEntry gpt4o = TABLE.find(ProviderKind.OPENAI, "gpt-4o").orElseThrow();
        assertEquals(Optional.of(gpt4o), TABLE.find(ProviderKind.OPENAI, "gpt-4o-2024-08-06"));
        assertEquals("claude-sonnet-4-0", TABLE.find(ProviderKind.ANTHROPIC, "claude-sonnet-4").orElseThrow().model());
        assertEquals(Optional.empty(), TABLE.find(ProviderKind.OPENAI, "gpt-5.4-turbo"),
                "a name that merely starts like a priced one is not priced like it");
        assertEquals(Optional.empty(), TABLE.find(ProviderKind.OPENAI, "claude-haiku-4-5"), "sections are per kind");
    }

    @Test
    void azureOpenAiUsesOpenAisPricesAndOpenAiCompatibleServersHaveNone() {
        assertEquals(TABLE.find(ProviderKind.OPENAI, "gpt-4o"), TABLE.find(ProviderKind.AZURE_OPENAI, "gpt-4o"));
        assertEquals(Optional.empty(), TABLE.find(ProviderKind.OPENAI_COMPATIBLE, "gpt-4o"));
    }

    private static String refusal(String json) {
        return assertThrows(IllegalArgumentException.class,
                () -> PriceTable.parse(json.getBytes(StandardCharsets.UTF_8), "test table")).getMessage();
    }

    @Test
    void aBrokenTableIsRefusedWithThePlace() {
        String entry = "{\"model\": \"m\", \"inputPerMTok\": 1, \"outputPerMTok\": 2, \"source\": \"https://x.test\","
                + " \"checkedAt\": \"2026-01-01\"}";
        assertEquals(1, PriceTable.parse(("{\"prices\": {\"OPENAI\": [" + entry + "]}}")
                .getBytes(StandardCharsets.UTF_8), "t").entries().get(ProviderKind.OPENAI).size());
        assertTrue(refusal("{\"prices\": {\"OPENAI\": [" + entry + ", " + entry + "]}}")
                .contains("prices.OPENAI[1]: the name \"m\" is priced twice"));
        assertTrue(refusal("{\"prices\": {\"MISTRAL\": []}}").contains("sections are named after provider kinds"));
        assertTrue(refusal("{\"prices\": {\"OPENAI\": [" + entry.replace("https://x.test", "http://x.test") + "]}}")
                .contains("source must be an https URL"));
        assertTrue(refusal("{\"prices\": {\"OPENAI\": [" + entry.replace("2026-01-01", "Jan 1") + "]}}")
                .contains("checkedAt must be a date"));
        assertTrue(refusal("{\"prices\": {\"OPENAI\": [" + entry.replace("\"outputPerMTok\": 2", "\"outPerMTok\": 2")
                + "]}}").contains("unknown key \"outPerMTok\""));
        assertTrue(refusal("{\"prices\": {\"OPENAI\": [" + entry.replace("\"inputPerMTok\": 1", "\"inputPerMTok\": -1")
                + "]}}").contains("inputPerMTok must be a number of USD per million tokens from 0 to 10000"));
        assertTrue(refusal("{\"prices\": {\"OPENAI\": [" + entry.replace("\"inputPerMTok\": 1",
                "\"inputPerMTok\": 0.0000000001") + "]}}").contains("at most 9 decimals"));
        assertTrue(refusal("{\"prices\": {\"OPENAI\": [" + entry.replace("\"outputPerMTok\": 2,",
                "\"outputPerMTok\": 2, \"longContext\": {\"aboveInputTokens\": 10, \"inputPerMTok\": 0.5,"
                        + " \"outputPerMTok\": 2},") + "]}}").contains("never below the base rates"));
        assertTrue(refusal("{\"prices\": ").contains("not valid JSON"));
    }
}
