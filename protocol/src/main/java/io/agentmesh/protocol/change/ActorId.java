package io.agentmesh.protocol.change;

import io.agentmesh.protocol.bytes.BoundedWriter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The Automerge actor id a node writes under: 16 bytes derived from the node's public key and its incarnation
 * number (DESIGN.md invariant 5). A node whose store is lost or restored from a backup takes a new incarnation,
 * so it never reuses a sequence number that peers have already seen under an older actor.
 */
public record ActorId(byte[] bytes) implements Comparable<ActorId> {
    public static final int LENGTH = 16;
    private static final byte[] DOMAIN = "agentmesh/actor/v1".getBytes(StandardCharsets.US_ASCII);

    public ActorId {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("an actor id is " + LENGTH + " bytes, got "
                    + (bytes == null ? "none" : bytes.length));
        }
        bytes = bytes.clone();
    }

    /** The actor of {@code nodePublicKey} in its {@code incarnation} (>= 1). */
    public static ActorId derive(byte[] nodePublicKey, long incarnation) {
        if (incarnation < 1) {
            throw new IllegalArgumentException("incarnation starts at 1, got " + incarnation);
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(DOMAIN);
            sha.update(nodePublicKey);
            sha.update(new BoundedWriter(Long.BYTES).i64(incarnation).toByteArray());
            return new ActorId(Arrays.copyOf(sha.digest(), LENGTH));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public static ActorId fromHex(String hex) {
        return new ActorId(HexFormat.of().parseHex(hex));
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActorId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(ActorId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
