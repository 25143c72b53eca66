package io.agentmesh.node.wallet.chain;

import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.util.Arrays;
import java.util.Locale;

/** Signed transaction bytes as the chain takes them, and their hash (keccak-256 of the bytes, {@code 0x} hex). */
public record SignedTx(byte[] raw, String hash) {
    public SignedTx {
        raw = raw.clone();
        String expected = hashOf(raw);
        if (!expected.equals(hash)) {
            throw new IllegalArgumentException("hash " + hash + " is not the hash of these bytes (" + expected + ")");
        }
    }

    /** The bytes with their hash computed. */
    public static SignedTx of(byte[] raw) {
        return new SignedTx(raw, hashOf(raw));
    }

    /** keccak-256 of {@code raw} as lower-case {@code 0x} hex: the transaction hash. */
    public static String hashOf(byte[] raw) {
        return Numeric.toHexString(Hash.sha3(raw)).toLowerCase(Locale.ROOT);
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedTx s && Arrays.equals(raw, s.raw);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
        return "SignedTx[" + hash + ", " + raw.length + " bytes]";
    }
}
