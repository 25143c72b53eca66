package io.agentmesh.protocol.identity;

import io.agentmesh.protocol.bytes.Bytes;

import java.util.HexFormat;

/**
 * An Ed25519 public key (32 bytes) that is known to be a proper key: its encoding is canonical, it lies on the curve
 * and it generates the prime-order subgroup (no small-order or mixed-order point, which would let signatures be
 * forged or be valid for several keys). The check costs about one signature verification and happens once, when a
 * key is read from a file or a certificate; {@link Ed25519#verify} on raw bytes stays available for hot paths.
 */
public record VerifyingKey(Bytes value) implements Comparable<VerifyingKey> {
    public static final int LENGTH = Ed25519.PUBLIC_KEY_LENGTH;

    public VerifyingKey {
        if (value == null || value.length() != LENGTH) {
            throw new IdentityException(IdentityException.Reason.MALFORMED,
                    "an Ed25519 public key is " + LENGTH + " bytes, got " + (value == null ? "none" : value.length()));
        }
        if (!org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFull(value.toByteArray(), 0)) {
            throw new IdentityException(IdentityException.Reason.MALFORMED, "not a valid Ed25519 public key: " + value
                    + " (not a canonical encoding of a point of prime order); check that it was copied whole");
        }
    }

    public VerifyingKey(byte[] bytes) {
        this(Bytes.copyOf(bytes));
    }

    public static VerifyingKey fromHex(String hex) {
        byte[] raw;
        try {
            raw = HexFormat.of().parseHex(hex == null ? "" : hex.strip());
        } catch (IllegalArgumentException e) {
            throw new IdentityException(IdentityException.Reason.MALFORMED,
                    "an Ed25519 public key is written as 64 hex digits, got '" + hex + "'");
        }
        return new VerifyingKey(raw);
    }

    /** Whether {@code signature} is this key's signature of {@code message}; never throws. */
    public boolean verify(byte[] message, byte[] signature) {
        return Ed25519.verify(value.toByteArray(), message, signature);
    }

    public byte[] bytes() {
        return value.toByteArray();
    }

    public String hex() {
        return value.hex();
    }

    /** Whether {@code other} holds exactly these 32 bytes, without copying. */
    public boolean sameBytes(byte[] other) {
        return value.contentEquals(other);
    }

    @Override
    public int compareTo(VerifyingKey o) {
        return value.compareTo(o.value);
    }

    /** The hex form. */
    @Override
    public String toString() {
        return hex();
    }
}
