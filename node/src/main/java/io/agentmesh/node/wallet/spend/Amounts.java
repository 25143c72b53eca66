package io.agentmesh.node.wallet.spend;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Amounts as people write them: wei as a whole number, or ether (gwei) as an exact decimal. Every conversion is exact:
 * a fraction of a wei is refused, never rounded, and so is anything negative or beyond 2^256 - 1 wei (the EVM's word).
 */
public final class Amounts {
    public static final BigInteger WEI_PER_ETHER = BigInteger.TEN.pow(18);
    public static final BigInteger WEI_PER_GWEI = BigInteger.TEN.pow(9);
    public static final BigInteger MAX_WEI = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
    /** Longer input is no amount (78 digits hold 2^256). */
    private static final int MAX_CHARS = 100;

    private Amounts() {
    }

    /** A whole number of wei ("1000000000000000000"). */
    public static BigInteger wei(String text, String name) {
        String s = trimmed(text, name);
        if (!s.matches("[0-9]+")) {
            throw new IllegalArgumentException(name + " is a whole number of wei (digits only), got \"" + s + "\"");
        }
        return bounded(new BigInteger(s), name);
    }

    /** A decimal number of ether ("0.25"): exact to the wei. */
    public static BigInteger ether(String text, String name) {
        return decimal(text, name, WEI_PER_ETHER, "ether");
    }

    /** A decimal number of gwei ("1.5"): exact to the wei. */
    public static BigInteger gwei(String text, String name) {
        return decimal(text, name, WEI_PER_GWEI, "gwei");
    }

    /** {@code wei} as ether, without trailing zeros ("0.25"), for people. */
    public static String toEther(BigInteger wei) {
        BigDecimal e = new BigDecimal(wei).divide(new BigDecimal(WEI_PER_ETHER)).stripTrailingZeros();
        return e.scale() < 0 ? e.setScale(0).toPlainString() : e.toPlainString();
    }

    private static BigInteger decimal(String text, String name, BigInteger unit, String unitName) {
        String s = trimmed(text, name);
        if (!s.matches("[0-9]+(\\.[0-9]+)?")) {
            throw new IllegalArgumentException(name + " is a non-negative decimal number of " + unitName
                    + " (e.g. 0.25), got \"" + s + "\"");
        }
        BigDecimal wei = new BigDecimal(s).multiply(new BigDecimal(unit));
        try {
            return bounded(wei.toBigIntegerExact(), name);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(name + " " + s + " " + unitName + " is not a whole number of wei");
        }
    }

    private static String trimmed(String text, String name) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        String s = text.strip();
        if (s.length() > MAX_CHARS) {
            throw new IllegalArgumentException(name + " is longer than any amount (" + s.length() + " characters)");
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException(name + " must not be negative, got " + s);
        }
        return s;
    }

    private static BigInteger bounded(BigInteger v, String name) {
        if (v.compareTo(MAX_WEI) > 0) {
            throw new IllegalArgumentException(name + " is more than 2^256-1 wei, which no transaction can carry");
        }
        return v;
    }
}
