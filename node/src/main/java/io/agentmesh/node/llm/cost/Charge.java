package io.agentmesh.node.llm.cost;

import java.util.Objects;

/**
 * The cost of one attempt (or the most it can cost), by kind of token, in nano-USD. Each part is rounded up to a
 * whole nano-USD, so a charge is never below the exact cost and at most 5 nano-USD above it.
 *
 * @param longContextRates whether the long-context tier's rates applied
 * @param source           where the price came from
 */
public record Charge(long inputNanoUsd, long cachedInputNanoUsd, long cacheWriteNanoUsd, long outputNanoUsd,
                     long reasoningNanoUsd, boolean longContextRates, PriceSource source) {
    public Charge {
        Objects.requireNonNull(source, "source");
        if (inputNanoUsd < 0 || cachedInputNanoUsd < 0 || cacheWriteNanoUsd < 0 || outputNanoUsd < 0
                || reasoningNanoUsd < 0) {
            throw new IllegalArgumentException("a charge is never negative");
        }
    }

    public long totalNanoUsd() {
        return Math.addExact(Math.addExact(Math.addExact(inputNanoUsd, cachedInputNanoUsd),
                Math.addExact(cacheWriteNanoUsd, outputNanoUsd)), reasoningNanoUsd);
    }

    /** One line for logs and the journal: {@code $0.0123 (input $0.01, cached $0.0003, ..., price table ...)}. */
    public String describe() {
        return NanoUsd.format(totalNanoUsd()) + " (input " + NanoUsd.format(inputNanoUsd) + ", cached input "
                + NanoUsd.format(cachedInputNanoUsd) + ", cache write " + NanoUsd.format(cacheWriteNanoUsd)
                + ", output " + NanoUsd.format(outputNanoUsd) + ", reasoning " + NanoUsd.format(reasoningNanoUsd)
                + (longContextRates ? ", long-context rates" : "") + "; " + source.description() + ")";
    }
}
