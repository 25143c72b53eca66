package io.agentmesh.node.wallet.ledger;

import org.bouncycastle.crypto.digests.KeccakDigest;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The fields of a signed EIP-1559 (type 2) transaction, read from its raw bytes, so the ledger can check that the
 * bytes a leader commits do what the spend says (recipient, value, data, nonce, fees, chain) before anyone may
 * broadcast them: {@code 0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data,
 * accessList, yParity, r, s])}. Strict: canonical RLP only (minimal lengths, no leading zeros in integers), exactly
 * twelve fields, nothing after them, a 20-byte recipient (no contract creation). The signature is not verified here
 * (its sender is the chain's business; a wrong one is never mined for our nonce). Public for the simulator's chain.
 *
 * @param to   lower-case address
 * @param data {@code 0x} hex
 */
public record SignedTransaction(BigInteger chainId, BigInteger nonce, BigInteger maxPriorityFeePerGasWei,
                         BigInteger maxFeePerGasWei, BigInteger gasLimit, String to, BigInteger valueWei,
                         String data) {
    private static final HexFormat HEX = HexFormat.of();
    private static final int TYPE_EIP1559 = 0x02;
    private static final int FIELDS = 12;

    /** keccak-256 of the bytes, {@code 0x} hex: the transaction's hash. */
    public static String hash(byte[] raw) {
        KeccakDigest k = new KeccakDigest(256);
        k.update(raw, 0, raw.length);
        byte[] out = new byte[32];
        k.doFinal(out, 0);
        return "0x" + HEX.formatHex(out);
    }

    /** The bytes of {@code 0x} hex. */
    public static byte[] bytes(String hex) {
        return HEX.parseHex(hex, 2, hex.length());
    }

    /**
     * Reads a signed type-2 transaction.
     *
     * @throws IllegalArgumentException saying what is wrong with the bytes
     */
    public static SignedTransaction decode(byte[] raw) {
        if (raw.length < 2 || (raw[0] & 0xff) != TYPE_EIP1559) {
            throw new IllegalArgumentException("not an EIP-1559 transaction (type 0x02)");
        }
        Rlp rlp = new Rlp(raw, 1);
        int[] list = rlp.list();
        if (list[1] != raw.length) {
            throw new IllegalArgumentException("bytes after the transaction's list");
        }
        List<byte[]> fields = new ArrayList<>(FIELDS);
        while (rlp.pos < list[1]) {
            if (fields.size() == FIELDS) {
                throw new IllegalArgumentException("more than " + FIELDS + " fields");
            }
            if (fields.size() == 8) {
                int[] accessList = rlp.list(); // skipped: it only warms storage slots
                rlp.pos = accessList[1];
                fields.add(new byte[0]);
            } else {
                fields.add(rlp.string());
            }
        }
        if (rlp.pos != list[1] || fields.size() != FIELDS) {
            throw new IllegalArgumentException("a type-2 transaction has " + FIELDS + " fields, got " + fields.size());
        }
        byte[] to = fields.get(5);
        if (to.length != 20) {
            throw new IllegalArgumentException("the recipient is 20 bytes (no contract creation), got " + to.length);
        }
        return new SignedTransaction(integer(fields.get(0), "chainId"), integer(fields.get(1), "nonce"),
                integer(fields.get(2), "maxPriorityFeePerGas"), integer(fields.get(3), "maxFeePerGas"),
                integer(fields.get(4), "gasLimit"), "0x" + HEX.formatHex(to), integer(fields.get(6), "value"),
                "0x" + HEX.formatHex(fields.get(7)));
    }

    private static BigInteger integer(byte[] b, String name) {
        if (b.length > 32) {
            throw new IllegalArgumentException(name + " is longer than 32 bytes");
        }
        if (b.length > 0 && b[0] == 0) {
            throw new IllegalArgumentException(name + " has a leading zero byte");
        }
        return new BigInteger(1, b);
    }

    /** A canonical RLP reader over one byte array. */
    private static final class Rlp {
        private final byte[] b;
        private int pos;

        Rlp(byte[] b, int pos) {
            this.b = b;
            this.pos = pos;
        }

        /** Reads a list header; returns {start of payload, end of payload}. */
        int[] list() {
            int p = u8();
            int len;
            if (p >= 0xc0 && p <= 0xf7) {
                len = p - 0xc0;
            } else if (p >= 0xf8) {
                len = longLength(p - 0xf7);
            } else {
                throw new IllegalArgumentException("expected a list at byte " + (pos - 1));
            }
            return span(len);
        }

        byte[] string() {
            int p = u8();
            if (p < 0x80) {
                return new byte[] {(byte) p};
            }
            int len;
            if (p <= 0xb7) {
                len = p - 0x80;
            } else if (p <= 0xbf) {
                len = longLength(p - 0xb7);
            } else {
                throw new IllegalArgumentException("expected a string at byte " + (pos - 1) + ", found a list");
            }
            int[] s = span(len);
            if (len == 1 && (b[s[0]] & 0xff) < 0x80) {
                throw new IllegalArgumentException("a single byte below 0x80 is encoded as itself");
            }
            pos = s[1];
            byte[] out = new byte[len];
            System.arraycopy(b, s[0], out, 0, len);
            return out;
        }

        private int longLength(int lengthBytes) {
            if (lengthBytes > 4) {
                throw new IllegalArgumentException("an RLP length of " + lengthBytes + " bytes");
            }
            if (pos + lengthBytes > b.length) {
                throw new IllegalArgumentException("truncated");
            }
            if (b[pos] == 0) {
                throw new IllegalArgumentException("an RLP length with a leading zero");
            }
            long len = 0;
            for (int i = 0; i < lengthBytes; i++) {
                len = (len << 8) | (b[pos++] & 0xff);
            }
            if (len <= 55 || len > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a non-canonical RLP length " + len);
            }
            return (int) len;
        }

        private int[] span(int len) {
            if (len > b.length - pos) {
                throw new IllegalArgumentException("truncated: " + len + " bytes announced, " + (b.length - pos)
                        + " left");
            }
            // The position stays at the payload's start: a list's items are read one by one from there.
            return new int[] {pos, pos + len};
        }

        private int u8() {
            if (pos >= b.length) {
                throw new IllegalArgumentException("truncated");
            }
            return b[pos++] & 0xff;
        }
    }
}
