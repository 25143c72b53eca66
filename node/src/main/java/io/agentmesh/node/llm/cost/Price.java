package io.agentmesh.node.llm.cost;

import java.util.Objects;
import java.util.Optional;

/**
 * The price of one model: its rates, and optionally the dearer rates of its long-context tier.
 *
 * @param base        the rates up to the long-context threshold (or always, without a tier)
 * @param longContext the tier's rates, which apply to every token of a request whose input (cached or not) is above
 *                    the threshold (the "cliff" Anthropic and OpenAI bill by; genai-prices' TieredPrices)
 */
public record Price(Rates base, Optional<LongContext> longContext) {
    /**
     * @param aboveInputTokens a request with more input tokens than this pays {@code rates} for all its tokens
     */
    public record LongContext(long aboveInputTokens, Rates rates) {
        public LongContext {
            Objects.requireNonNull(rates, "rates");
            if (aboveInputTokens < 1) {
                throw new IllegalArgumentException("a long-context tier starts above at least 1 input token, got "
                        + aboveInputTokens);
            }
        }
    }

    public Price {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(longContext, "longContext");
        // A cheaper tier would let a request whose estimate is above the threshold cost more than its worst case.
        longContext.ifPresent(t -> {
            Rates r = t.rates();
            if (r.inputNanoUsdPerMTok() < base.inputNanoUsdPerMTok()
                    || r.cachedInputNanoUsdPerMTok() < base.cachedInputNanoUsdPerMTok()
                    || r.cacheWriteNanoUsdPerMTok() < base.cacheWriteNanoUsdPerMTok()
                    || r.outputNanoUsdPerMTok() < base.outputNanoUsdPerMTok()
                    || r.reasoningNanoUsdPerMTok() < base.reasoningNanoUsdPerMTok()) {
                throw new IllegalArgumentException("a long-context tier's rates are never below the base rates");
            }
        });
    }

    public static Price flat(Rates rates) {
        return new Price(rates, Optional.empty());
    }

    /** The rates a request with this many input tokens (cached or not) pays. */
    public Rates ratesFor(long totalInputTokens) {
        return longContext.filter(t -> totalInputTokens > t.aboveInputTokens()).map(LongContext::rates).orElse(base);
    }

    /** Whether a request with this many input tokens pays the long-context rates. */
    public boolean isLongContext(long totalInputTokens) {
        return longContext.isPresent() && totalInputTokens > longContext.get().aboveInputTokens();
    }
}
