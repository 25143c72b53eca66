package io.agentmesh.protocol.identity;

import io.agentmesh.protocol.bytes.Bytes;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Names a node: the first 20 bytes of SHA-256 of its Ed25519 public key, written {@code node1...} (43 characters,
 * Bech32m, see {@link IdText}) so that a typo in a pasted id is caught instead of naming some other node.
 * 160 bits: finding a second key with the same id takes about 2^160 work; ids of keys made by one honest agent
 * collide with probability about n^2 / 2^161.
 */
public record NodeId(Bytes value) implements Comparable<NodeId> {
    public static final int LENGTH = IdText.ID_BYTES;
    static final String PREFIX = "node";

    public NodeId {
        Bytes.requireLength(value, LENGTH, "a node id");
    }

    public NodeId(byte[] bytes) {
        this(Bytes.copyOf(bytes));
    }

    public static NodeId of(VerifyingKey nodeKey) {
        return new NodeId(truncatedSha256(nodeKey.bytes()));
    }

    /**
     * Reads the text form.
     *
     * @throws IdentityException with reason TYPO when the check characters do not match, MALFORMED otherwise
     */
    public static NodeId parse(String text) {
        return new NodeId(IdText.decode("node id", PREFIX, AgentId.PREFIX, "agent id", text));
    }

    static byte[] truncatedSha256(byte[] data) {
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(data), LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public byte[] bytes() {
        return value.toByteArray();
    }

    /** The first 8 characters after {@code node1}: for logs and tables, not for naming a node in input. */
    public String shortForm() {
        return toString().substring(0, PREFIX.length() + 1 + 8);
    }

    @Override
    public int compareTo(NodeId o) {
        return value.compareTo(o.value);
    }

    /** The canonical text form, {@code node1...}. */
    @Override
    public String toString() {
        return IdText.encode(PREFIX, value.toByteArray());
    }
}
