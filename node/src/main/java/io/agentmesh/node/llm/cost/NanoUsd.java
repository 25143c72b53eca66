package io.agentmesh.node.llm.cost;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money as a whole number of nano-USD (10^-9 USD) in a {@code long}: exact sums, no floating point, and room for
 * about nine billion dollars. Prices and budgets are read from JSON as exact decimals and converted here.
 */
public final class NanoUsd {
    public static final long PER_USD = 1_000_000_000L;
    private static final BigDecimal PER_USD_DECIMAL = BigDecimal.valueOf(PER_USD);

    private NanoUsd() {
    }

    /**
     * The exact nano-USD of a decimal USD amount. Throws ArithmeticException when it has more than nine decimals
     * (it would have to be rounded) or does not fit a long.
     */
    public static long fromUsd(BigDecimal usd) {
        return usd.multiply(PER_USD_DECIMAL).stripTrailingZeros().longValueExact();
    }

    /** For people: {@code $0.000123}, {@code $12.50}, {@code -$1.00}; exact, never rounded. */
    public static String format(long nanoUsd) {
        BigDecimal usd = BigDecimal.valueOf(nanoUsd).divide(PER_USD_DECIMAL).stripTrailingZeros();
        if (usd.scale() < 2) {
            usd = usd.setScale(2, RoundingMode.UNNECESSARY);
        }
        String digits = usd.abs().toPlainString();
        return (nanoUsd < 0 ? "-$" : "$") + digits;
    }
}
