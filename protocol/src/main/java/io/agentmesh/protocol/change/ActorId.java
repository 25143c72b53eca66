package io.agentmesh.protocol.change;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.Bytes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The Automerge actor id a node writes under: 16 bytes derived from the node's public key and its incarnation
 * number (DESIGN.md invariant 5). A node whose store is lost or restored from a backup takes a new incarnation,
 * so it never reuses a sequence number that peers have already seen under an older actor.
 *
 * <p>It travels inside {@code SignedChange} as CBOR, where its one field has always been named {@code bytes}.
 */
public record ActorId(@JsonProperty("bytes") Bytes value) implements Comparable<ActorId> {
    public static final int LENGTH = 16;
    private static final byte[] DOMAIN = "agentmesh/actor/v1".getBytes(StandardCharsets.US_ASCII);

    public ActorId {
        Bytes.requireLength(value, LENGTH, "an actor id");
    }

    public ActorId(byte[] bytes) {
        this(Bytes.copyOf(bytes));
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

    public byte[] bytes() {
        return value.toByteArray();
    }

    public String hex() {
        return value.hex();
    }

    @Override
    public int compareTo(ActorId o) {
        return value.compareTo(o.value);
    }

    /** The hex form. */
    @Override
    public String toString() {
        return hex();
    }
}
