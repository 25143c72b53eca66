package io.agentmesh.node.llm.cost;

import io.agentmesh.node.llm.Usage;

import java.math.BigInteger;

/**
 * The arithmetic of LLM costs: pure functions of a model's price and token counts, exact in integers. Usage must be
 * normalised first (the provider layer's {@code UsageReader}), so cached tokens are counted once (LiteLLM #9812).
 */
public final class Cost {
    /**
     * An actual charge's five parts each round up by less than a nano-USD, so it can exceed the exact cost by up to
     * 4; the worst case adds that much, so it is never below a charge it reserved for.
     */
    public static final long ROUNDING_MARGIN_NANO_USD = 4;
    private static final BigInteger PER_MTOK = BigInteger.valueOf(1_000_000);

    private Cost() {
    }

    /**
     * What an attempt cost: uncached input, cached input, cache writes, output and reasoning, each at its rate; all at
     * the long-context rates when the request's input was above the model's threshold.
     */
    public static Charge of(ModelPrice model, Usage usage) {
        long totalInput = usage.totalInputTokens();
        Rates r = model.price().ratesFor(totalInput);
        long answerTokens = usage.outputTokens() - usage.reasoningTokens();
        return new Charge(
                part(usage.inputTokens(), r.inputNanoUsdPerMTok()),
                part(usage.cachedInputTokens(), r.cachedInputNanoUsdPerMTok()),
                part(usage.cacheWriteTokens(), r.cacheWriteNanoUsdPerMTok()),
                part(answerTokens, r.outputNanoUsdPerMTok()),
                part(usage.reasoningTokens(), r.reasoningNanoUsdPerMTok()),
                model.price().isLongContext(totalInput), model.source());
    }

    /**
     * The most an attempt can cost, reserved against the budgets before it is sent: every input token at the dearest
     * input rate (uncached, cached or cache write: Anthropic's cache writes cost more than plain input) and every
     * output token, up to {@code maxOutputTokens}, at the dearest output rate. The long-context rates apply when the
     * estimate is above the threshold; the estimate must therefore not be low. The input part includes
     * {@link #ROUNDING_MARGIN_NANO_USD}.
     */
    public static Charge worstCase(ModelPrice model, long estimatedInputTokens, long maxOutputTokens) {
        if (estimatedInputTokens < 0 || maxOutputTokens < 0) {
            throw new IllegalArgumentException("token counts are never negative: " + estimatedInputTokens + ", "
                    + maxOutputTokens);
        }
        Rates r = model.price().ratesFor(estimatedInputTokens);
        return new Charge(Math.addExact(part(estimatedInputTokens, r.dearestInputNanoUsdPerMTok()),
                ROUNDING_MARGIN_NANO_USD), 0, 0,
                part(maxOutputTokens, r.dearestOutputNanoUsdPerMTok()), 0,
                model.price().isLongContext(estimatedInputTokens), model.source());
    }

    /** tokens x rate / 10^6, rounded up to a whole nano-USD. Throws ArithmeticException past a long. */
    static long part(long tokens, long nanoUsdPerMTok) {
        BigInteger[] qr = BigInteger.valueOf(tokens).multiply(BigInteger.valueOf(nanoUsdPerMTok))
                .divideAndRemainder(PER_MTOK);
        BigInteger rounded = qr[1].signum() > 0 ? qr[0].add(BigInteger.ONE) : qr[0];
        return rounded.longValueExact();
    }
}
