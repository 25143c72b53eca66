package io.agentmesh.protocol.identity;

import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * An Ed25519 private key: the 32-byte seed of RFC 8032 and its public key. {@link #toString()} never shows the seed,
 * so a key that ends up in a log line or an exception message does not leak.
 *
 * <p>The canonical constructor checks that the public key belongs to the seed; a mismatched pair would produce
 * signatures that no one accepts, and would be found only much later.
 */
public record SigningKey(byte[] seed, VerifyingKey verifyingKey) {

    public SigningKey {
        if (seed == null || seed.length != Ed25519.SEED_LENGTH) {
            throw new IllegalArgumentException("an Ed25519 private key seed is " + Ed25519.SEED_LENGTH
                    + " bytes, got " + (seed == null ? "none" : seed.length));
        }
        seed = seed.clone();
        if (verifyingKey == null || !verifyingKey.sameBytes(Ed25519.publicKeyOf(seed))) {
            throw new IllegalArgumentException("the public key does not belong to this private key");
        }
    }

    public static SigningKey fromSeed(byte[] seed) {
        return new SigningKey(seed, new VerifyingKey(Ed25519.publicKeyOf(seed)));
    }

    public static SigningKey generate(SecureRandom random) {
        return Ed25519.generate(random);
    }

    /** A copy of the secret seed; callers that persist or display it are responsible for it. */
    @Override
    public byte[] seed() {
        return seed.clone();
    }

    /** Deterministic Ed25519 signature (64 bytes) of {@code message}. */
    public byte[] sign(byte[] message) {
        return Ed25519.sign(seed, verifyingKey.bytes(), message);
    }

    @Override
    public boolean equals(Object o) {
        // Constant time, as a habit for secrets.
        return o instanceof SigningKey k && MessageDigest.isEqual(seed, k.seed);
    }

    @Override
    public int hashCode() {
        return verifyingKey.hashCode();
    }

    @Override
    public String toString() {
        return "SigningKey[public=" + verifyingKey.hex() + ", seed hidden]";
    }
}
