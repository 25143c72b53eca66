package io.agentmesh.protocol.identity;

import io.agentmesh.protocol.bytes.Bytes;

/**
 * Names an agent: the first 20 bytes of SHA-256 of its root public key, written {@code agent1...} (44 characters,
 * Bech32m, see {@link IdText}). The root public key itself travels in node certificates and in the identity
 * directory's {@code agent.json}; this id is what people compare and paste, and what signed changes are bound to
 * ({@link #bytes()} is the {@code agentId} of {@code SignedChange.signingPayload}).
 */
public record AgentId(Bytes value) implements Comparable<AgentId> {
    public static final int LENGTH = IdText.ID_BYTES;
    static final String PREFIX = "agent";

    public AgentId {
        Bytes.requireLength(value, LENGTH, "an agent id");
    }

    public AgentId(byte[] bytes) {
        this(Bytes.copyOf(bytes));
    }

    public static AgentId of(VerifyingKey agentRootKey) {
        return new AgentId(NodeId.truncatedSha256(agentRootKey.bytes()));
    }

    /**
     * Reads the text form.
     *
     * @throws IdentityException with reason TYPO when the check characters do not match, MALFORMED otherwise
     */
    public static AgentId parse(String text) {
        return new AgentId(IdText.decode("agent id", PREFIX, NodeId.PREFIX, "node id", text));
    }

    public byte[] bytes() {
        return value.toByteArray();
    }

    /** The first 8 characters after {@code agent1}: for logs and tables, not for naming an agent in input. */
    public String shortForm() {
        return toString().substring(0, PREFIX.length() + 1 + 8);
    }

    @Override
    public int compareTo(AgentId o) {
        return value.compareTo(o.value);
    }

    /** The canonical text form, {@code agent1...}. */
    @Override
    public String toString() {
        return IdText.encode(PREFIX, value.toByteArray());
    }
}
