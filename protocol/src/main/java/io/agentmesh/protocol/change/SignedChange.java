package io.agentmesh.protocol.change;

import io.agentmesh.protocol.bytes.BoundedWriter;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One Automerge change as it is stored and replicated: the raw change bytes, who made them and the author's
 * Ed25519 signature (DESIGN.md invariant 4). {@code (actor, seq)} identifies the change; an honest author never
 * signs two different byte strings for the same pair.
 *
 * @param signerKey   the Ed25519 public key (32 bytes) of the node that made the change
 * @param incarnation the signer's incarnation; {@code actor == ActorId.derive(signerKey, incarnation)}
 * @param actor       the Automerge actor id inside the change bytes
 * @param seq         the Automerge sequence number inside the change bytes, from 1
 * @param bytes       the encoded Automerge change
 * @param signature   Ed25519 signature by {@code signerKey} over {@link #signingPayload}
 */
public record SignedChange(byte[] signerKey, long incarnation, ActorId actor, long seq, byte[] bytes,
                           byte[] signature) {
    public static final int MAX_CHANGE_BYTES = 4 * 1024 * 1024;
    private static final byte[] DOMAIN = "agentmesh/change/v1".getBytes(StandardCharsets.US_ASCII);

    public SignedChange {
        if (signerKey == null || signerKey.length != 32) {
            throw new IllegalArgumentException("signer key must be a 32-byte Ed25519 public key");
        }
        if (incarnation < 1) {
            throw new IllegalArgumentException("incarnation starts at 1, got " + incarnation);
        }
        if (actor == null) {
            throw new IllegalArgumentException("actor is required");
        }
        if (seq < 1) {
            throw new IllegalArgumentException("seq starts at 1, got " + seq);
        }
        if (bytes == null || bytes.length == 0 || bytes.length > MAX_CHANGE_BYTES) {
            throw new IllegalArgumentException("change bytes must be 1.." + MAX_CHANGE_BYTES + " bytes, got "
                    + (bytes == null ? "none" : bytes.length));
        }
        if (signature == null || signature.length != 64) {
            throw new IllegalArgumentException("signature must be 64 bytes");
        }
        signerKey = signerKey.clone();
        bytes = bytes.clone();
        signature = signature.clone();
    }

    /**
     * The exact bytes the author signs: a domain tag, the agent the change belongs to (so a change cannot be
     * replayed into another agent's mesh), then every field but the signature.
     */
    public static byte[] signingPayload(byte[] agentId, byte[] signerKey, long incarnation, ActorId actor, long seq,
                                        byte[] changeBytes) {
        int length = DOMAIN.length + Short.BYTES + agentId.length + signerKey.length + Long.BYTES + ActorId.LENGTH
                + Long.BYTES + Integer.BYTES + changeBytes.length;
        return new BoundedWriter(length).fixed(DOMAIN).bytes16(agentId).fixed(signerKey).i64(incarnation)
                .fixed(actor.bytes()).i64(seq).bytes32(changeBytes).toByteArray();
    }

    public byte[] signingPayload(byte[] agentId) {
        return signingPayload(agentId, signerKey, incarnation, actor, seq, bytes);
    }

    @Override
    public byte[] signerKey() {
        return signerKey.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** Size of the change bytes without copying them. */
    public int size() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedChange c && incarnation == c.incarnation && seq == c.seq && actor.equals(c.actor)
                && Arrays.equals(signerKey, c.signerKey) && Arrays.equals(bytes, c.bytes)
                && Arrays.equals(signature, c.signature);
    }

    @Override
    public int hashCode() {
        return 31 * actor.hashCode() + Long.hashCode(seq);
    }

    @Override
    public String toString() {
        return "SignedChange[actor=" + actor + ", seq=" + seq + ", " + bytes.length + " bytes]";
    }
}
