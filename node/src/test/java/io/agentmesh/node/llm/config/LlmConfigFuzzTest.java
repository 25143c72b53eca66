package io.agentmesh.node.llm.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.agentmesh.node.llm.cost.PriceTable;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of {@code llm.json} (docs/fuzzing.md) through {@link LlmConfig#parse}, the reader
 * {@link LlmConfig#load} uses after reading the file: anything must give a config or an IllegalArgumentException
 * naming the file and the place.
 */
class LlmConfigFuzzTest {
    private static final PriceTable PRICES = PriceTable.shipped();

    @FuzzTest(maxDuration = "10s")
    void anyBytesGiveAConfigOrAnIllegalArgument(byte[] json) {
        try {
            LlmConfig.parse(json, Path.of("llm.json"), PRICES);
        } catch (IllegalArgumentException refused) {
            // the documented refusal
        }
    }
}
