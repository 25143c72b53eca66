package io.agentmesh.protocol.identity;

import java.util.Locale;

/**
 * The text form shared by {@link NodeId} and {@link AgentId}: Bech32m (BIP-350), e.g.
 * {@code node1x5f3...q7zk}. A human-readable prefix, the separator {@code 1}, the 20 id bytes as 32 characters of
 * the Bech32 alphabet, then 6 check characters.
 *
 * <p>Why Bech32m rather than base32 plus a CRC: its BCH checksum is designed for exactly this job and guarantees
 * that any error touching at most 4 characters is detected (so every single substitution and every adjacent
 * transposition), it covers the prefix too (a node id cannot pass as an agent id), its alphabet leaves out the
 * look-alikes 1, b, i and o, and it is a published standard with test vectors that other tools can check
 * against. No grouping with dashes: a double click then selects the whole id, which keeps copy and paste safe.
 *
 * <p>Lowercase is canonical; all-uppercase is accepted (QR codes), mixed case is rejected as the standard says.
 */
final class IdText {
    static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    static final int ID_BYTES = 20;
    static final int DATA_CHARS = 32; // 20 bytes * 8 / 5
    static final int CHECK_CHARS = 6;
    private static final int BECH32M_CONST = 0x2bc830a3;
    private static final int[] GEN = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};

    private IdText() {
    }

    /** {@code hrp + "1" + data + checksum} for {@link #ID_BYTES} bytes. */
    static String encode(String hrp, byte[] id) {
        if (id.length != ID_BYTES) {
            throw new IllegalArgumentException("an id is " + ID_BYTES + " bytes, got " + id.length);
        }
        int[] data = toFiveBit(id);
        int[] check = checksum(hrp, data);
        StringBuilder sb = new StringBuilder(hrp.length() + 1 + DATA_CHARS + CHECK_CHARS).append(hrp).append('1');
        for (int v : data) {
            sb.append(CHARSET.charAt(v));
        }
        for (int v : check) {
            sb.append(CHARSET.charAt(v));
        }
        return sb.toString();
    }

    /**
     * The 20 id bytes of {@code text}.
     *
     * @param what     "node id" or "agent id", for messages
     * @param hrp      the expected prefix without the separator
     * @param otherHrp the prefix of the other kind of id, to name the likely mix-up
     */
    static byte[] decode(String what, String hrp, String otherHrp, String otherWhat, String text) {
        if (text == null || text.isBlank()) {
            throw malformed(what + " is empty; expected something like " + hrp + "1... (" + expectedLength(hrp)
                    + " characters)");
        }
        String s = text.strip();
        boolean hasLower = !s.equals(s.toUpperCase(Locale.ROOT));
        boolean hasUpper = !s.equals(s.toLowerCase(Locale.ROOT));
        if (hasLower && hasUpper) {
            throw malformed(what + " '" + s + "' mixes upper and lower case; write it all in lower case");
        }
        s = s.toLowerCase(Locale.ROOT);
        String prefix = hrp + "1";
        if (!s.startsWith(prefix)) {
            if (s.startsWith(otherHrp + "1")) {
                throw malformed("'" + s + "' is " + withArticle(otherWhat) + ", not " + withArticle(what));
            }
            throw malformed(what + " '" + s + "' must start with '" + prefix + "'");
        }
        if (s.length() != expectedLength(hrp)) {
            throw malformed(what + " '" + s + "' is " + s.length() + " characters long, expected "
                    + expectedLength(hrp) + (s.length() < expectedLength(hrp)
                    ? "; it may have been cut off when copied" : "; it may have extra characters"));
        }
        int[] values = new int[DATA_CHARS + CHECK_CHARS];
        for (int i = 0; i < values.length; i++) {
            char c = s.charAt(prefix.length() + i);
            int v = CHARSET.indexOf(c);
            if (v < 0) {
                throw malformed(what + " '" + s + "' has a typo: '" + c + "' at position " + (prefix.length() + i + 1)
                        + " never appears in ids (they use only " + CHARSET + ")");
            }
            values[i] = v;
        }
        if (polymod(hrp, values) != BECH32M_CONST) {
            throw new IdentityException(IdentityException.Reason.TYPO, what + " '" + s
                    + "' has a typo: check characters do not match; copy it again from its source");
        }
        int[] data = new int[DATA_CHARS];
        System.arraycopy(values, 0, data, 0, DATA_CHARS);
        return fromFiveBit(data);
    }

    static int expectedLength(String hrp) {
        return hrp.length() + 1 + DATA_CHARS + CHECK_CHARS;
    }

    private static String withArticle(String what) {
        return (what.startsWith("a") ? "an " : "a ") + what;
    }

    private static IdentityException malformed(String message) {
        return new IdentityException(IdentityException.Reason.MALFORMED, message);
    }

    static int[] checksum(String hrp, int[] data) {
        int[] values = new int[data.length + CHECK_CHARS];
        System.arraycopy(data, 0, values, 0, data.length);
        int mod = polymod(hrp, values) ^ BECH32M_CONST;
        int[] out = new int[CHECK_CHARS];
        for (int i = 0; i < CHECK_CHARS; i++) {
            out[i] = (mod >>> (5 * (5 - i))) & 31;
        }
        return out;
    }

    /** BIP-173 polymod over the expanded prefix followed by {@code values}. */
    static int polymod(String hrp, int[] values) {
        int chk = 1;
        for (int i = 0; i < hrp.length(); i++) {
            chk = step(chk, hrp.charAt(i) >>> 5);
        }
        chk = step(chk, 0);
        for (int i = 0; i < hrp.length(); i++) {
            chk = step(chk, hrp.charAt(i) & 31);
        }
        for (int v : values) {
            chk = step(chk, v);
        }
        return chk;
    }

    private static int step(int chk, int value) {
        int top = chk >>> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ value;
        for (int i = 0; i < 5; i++) {
            if (((top >>> i) & 1) != 0) {
                chk ^= GEN[i];
            }
        }
        return chk;
    }

    private static int[] toFiveBit(byte[] bytes) {
        int[] out = new int[bytes.length * 8 / 5];
        int acc = 0;
        int bits = 0;
        int o = 0;
        for (byte b : bytes) {
            acc = (acc << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out[o++] = (acc >>> bits) & 31;
            }
        }
        return out;
    }

    private static byte[] fromFiveBit(int[] values) {
        byte[] out = new byte[values.length * 5 / 8];
        int acc = 0;
        int bits = 0;
        int o = 0;
        for (int v : values) {
            acc = (acc << 5) | v;
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                out[o++] = (byte) (acc >>> bits);
            }
        }
        return out;
    }
}
