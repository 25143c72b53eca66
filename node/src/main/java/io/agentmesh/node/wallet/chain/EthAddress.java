package io.agentmesh.node.wallet.chain;

import org.web3j.crypto.Keys;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A 20-byte account address, held in lower case. Parsing accepts {@code 0x} and 40 hex digits; a mixed-case address
 * must carry a correct EIP-55 checksum, so a mistyped character in a copied address is refused rather than paid.
 */
public record EthAddress(String hex) {
    private static final Pattern SHAPE = Pattern.compile("0x[0-9a-fA-F]{40}");

    public EthAddress {
        if (hex == null || !SHAPE.matcher(hex).matches() || !hex.equals(hex.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("not a lower-case address: " + hex);
        }
    }

    /** Parses user input; throws IllegalArgumentException saying what is wrong with it. */
    public static EthAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an address is required (0x and 40 hex digits)");
        }
        String s = text.strip();
        if (!SHAPE.matcher(s).matches()) {
            throw new IllegalArgumentException("malformed address \"" + abbreviate(s) + "\": expected 0x and 40 hex"
                    + " digits");
        }
        String lower = s.toLowerCase(Locale.ROOT);
        String digits = s.substring(2);
        boolean mixed = !digits.equals(digits.toLowerCase(Locale.ROOT)) && !digits.equals(digits.toUpperCase(Locale.ROOT));
        if (mixed && !Keys.toChecksumAddress(lower).equals(s)) {
            throw new IllegalArgumentException("address " + s + " fails its EIP-55 checksum (a mistyped character?)");
        }
        return new EthAddress(lower);
    }

    /** The EIP-55 mixed-case form, for display. */
    public String checksummed() {
        return Keys.toChecksumAddress(hex);
    }

    @Override
    public String toString() {
        return hex;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
