package io.agentmesh.node.llm.cost;

/**
 * What a million tokens of each kind cost, in nano-USD. Reasoning tokens are output tokens the provider bills at
 * {@code reasoningNanoUsdPerMTok}, which is the output price unless a price says otherwise.
 */
public record Rates(long inputNanoUsdPerMTok, long cachedInputNanoUsdPerMTok, long cacheWriteNanoUsdPerMTok,
                    long outputNanoUsdPerMTok, long reasoningNanoUsdPerMTok) {
    /** $10,000 per million tokens: far above any real price, and low enough that no product overflows a long. */
    public static final long MAX_NANO_USD_PER_MTOK = 10_000 * NanoUsd.PER_USD;

    public Rates {
        check("input", inputNanoUsdPerMTok);
        check("cached input", cachedInputNanoUsdPerMTok);
        check("cache write", cacheWriteNanoUsdPerMTok);
        check("output", outputNanoUsdPerMTok);
        check("reasoning", reasoningNanoUsdPerMTok);
    }

    private static void check(String what, long nanoUsdPerMTok) {
        if (nanoUsdPerMTok < 0 || nanoUsdPerMTok > MAX_NANO_USD_PER_MTOK) {
            throw new IllegalArgumentException("the " + what + " price must be 0 to $10000 per million tokens, got "
                    + NanoUsd.format(nanoUsdPerMTok));
        }
    }

    /** The dearest price an input token can have (uncached, read from or written to the cache). */
    long dearestInputNanoUsdPerMTok() {
        return Math.max(inputNanoUsdPerMTok, Math.max(cachedInputNanoUsdPerMTok, cacheWriteNanoUsdPerMTok));
    }

    /** The dearest price an output token can have (answer or reasoning). */
    long dearestOutputNanoUsdPerMTok() {
        return Math.max(outputNanoUsdPerMTok, reasoningNanoUsdPerMTok);
    }
}
