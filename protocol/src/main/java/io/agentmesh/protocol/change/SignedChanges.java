package io.agentmesh.protocol.change;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.Ed25519;
import io.agentmesh.protocol.identity.SigningKey;

/**
 * Signing and checking {@link SignedChange}s (DESIGN.md invariants 4 and 5).
 *
 * <p>{@link #verify} answers "did the holder of {@code signerKey} make exactly these bytes under this actor, for this
 * agent". It does not answer whether that signer is an enrolled node of the agent (the caller checks the signer key
 * against the node certificates it trusts), nor whether the actor and seq inside the Automerge bytes equal the
 * envelope's (that needs the Automerge decoder, in crdt-state).
 */
public final class SignedChanges {

    private SignedChanges() {
    }

    /**
     * Signs {@code changeBytes} as change {@code seq} of {@code nodeKey}'s incarnation {@code incarnation}, for the
     * agent {@code agentId}; the actor is {@link ActorId#derive}d from the node key and incarnation.
     */
    public static SignedChange sign(byte[] agentId, SigningKey nodeKey, long incarnation, long seq,
                                    byte[] changeBytes) {
        byte[] signer = nodeKey.verifyingKey().bytes();
        ActorId actor = ActorId.derive(signer, incarnation);
        // Validate the shape first (the record's constructor) so nothing invalid gets signed.
        byte[] placeholder = new byte[Ed25519.SIGNATURE_LENGTH];
        SignedChange unsigned = new SignedChange(signer, incarnation, actor, seq, changeBytes, placeholder);
        byte[] signature = nodeKey.sign(unsigned.signingPayload(agentId));
        return new SignedChange(signer, incarnation, actor, seq, changeBytes, signature);
    }

    public static SignedChange sign(AgentId agentId, SigningKey nodeKey, long incarnation, long seq,
                                    byte[] changeBytes) {
        return sign(agentId.bytes(), nodeKey, incarnation, seq, changeBytes);
    }

    /**
     * Whether {@code change} is signed by its {@code signerKey} for agent {@code agentId} and its actor is the one
     * derived from that key and incarnation. Never throws; null or malformed input gives false.
     */
    public static boolean verify(byte[] agentId, SignedChange change) {
        if (agentId == null || change == null) {
            return false;
        }
        byte[] signer = change.signerKey();
        if (!ActorId.derive(signer, change.incarnation()).equals(change.actor())) {
            return false;
        }
        return Ed25519.verify(signer, change.signingPayload(agentId), change.signature());
    }

    public static boolean verify(AgentId agentId, SignedChange change) {
        return agentId != null && verify(agentId.bytes(), change);
    }
}
