package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;

/**
 * Field checks shared by the wallet's operations and read-side records, so a decoded or constructed value is always
 * well formed (invariant 8): addresses, hashes and byte strings are lower-case {@code 0x} hex of a bounded length,
 * amounts are unsigned 256-bit integers (the EVM's word), counts and times are never negative.
 */
final class WalletChecks {
    /** An EVM word: no amount, fee or gas price in a transaction can be larger. */
    static final BigInteger MAX_UINT256 = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

    private WalletChecks() {
    }

    /** {@code 0x} and 40 hex digits, returned in lower case (the ledger compares addresses as text). */
    static String address(String value, String name) {
        Objects.requireNonNull(value, name);
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.length() != 42 || !lower.startsWith("0x") || !isHex(lower, 2)) {
            throw new IllegalArgumentException(name + " is an address: 0x and 40 hex digits, got \""
                    + shorten(value) + "\"");
        }
        return lower;
    }

    /** A 32-byte hash as {@code 0x} and 64 hex digits, returned in lower case. */
    static String hash(String value, String name) {
        Objects.requireNonNull(value, name);
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.length() != 66 || !lower.startsWith("0x") || !isHex(lower, 2)) {
            throw new IllegalArgumentException(name + " is a 32-byte hash: 0x and 64 hex digits, got \""
                    + shorten(value) + "\"");
        }
        return lower;
    }

    /** A byte string as {@code 0x} and an even number of hex digits (at most {@code maxBytes} bytes), lower case. */
    static String bytes(String value, String name, int maxBytes) {
        Objects.requireNonNull(value, name);
        String lower = value.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("0x") || lower.length() % 2 != 0 || !isHex(lower, 2)) {
            throw new IllegalArgumentException(name + " is 0x and an even number of hex digits, got \""
                    + shorten(value) + "\"");
        }
        int n = (lower.length() - 2) / 2;
        if (n > maxBytes) {
            throw new IllegalArgumentException(name + " has at most " + maxBytes + " bytes, got " + n);
        }
        return lower;
    }

    /** An amount in wei: 0 to 2^256 - 1. */
    static BigInteger wei(BigInteger value, String name) {
        Objects.requireNonNull(value, name);
        if (value.signum() < 0 || value.compareTo(MAX_UINT256) > 0) {
            throw new IllegalArgumentException(name + " is 0 to 2^256-1 wei, got " + shorten(value.toString()));
        }
        return value;
    }

    static String text(String value, String name, int maxChars) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty() || value.length() > maxChars) {
            throw new IllegalArgumentException(name + " has 1 to " + maxChars + " characters, got " + value.length());
        }
        return value;
    }

    /** Text that may be empty (a reason not given), bounded. */
    static String note(String value, String name, int maxChars) {
        Objects.requireNonNull(value, name);
        if (value.length() > maxChars) {
            throw new IllegalArgumentException(name + " has at most " + maxChars + " characters, got "
                    + value.length());
        }
        return value;
    }

    static long nonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
        return value;
    }

    private static boolean isHex(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
