package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.Ed25519;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A signed statement "backups of this agent are encrypted to this recipient", so a recipient can travel through
 * untrusted hands (the replicated document, a file, a peer) and every node checks it before encrypting to it:
 * <ul>
 *   <li>{@link Kind#PHRASE}: signed by the <b>agent root key</b>. Whoever can derive the phrase recipient holds the
 *       root seed (the phrase is that seed), so signing costs nothing, and no node or peer can swap in a key the
 *       phrase does not open.</li>
 *   <li>{@link Kind#OPERATIONAL}: signed by the <b>node key</b> whose identity directory holds the operational
 *       {@code backup.key}; it counts while that node has a certificate of the agent and is not revoked.</li>
 * </ul>
 * <pre>
 *   "agentmesh/backup-recipient/v1" signed over:
 *   u8  version = 1
 *   u8  kind: 1 phrase, 2 operational
 *   32  agent root public key
 *   32  signer public key (the root key for a phrase grant, the node key for an operational one)
 *   u16 recipient length, then the age1... text
 *   64  Ed25519 signature (not part of what is signed)
 * </pre>
 */
public record RecipientGrant(Kind kind, VerifyingKey agentRootKey, VerifyingKey signer, AgeRecipient recipient,
                             byte[] signature) {
    public static final int VERSION = 1;
    public static final int MAX_ENCODED_BYTES = 2 + 64 + 2 + 128 + Ed25519.SIGNATURE_LENGTH;
    private static final byte[] DOMAIN = "agentmesh/backup-recipient/v1".getBytes(StandardCharsets.US_ASCII);

    public enum Kind {
        PHRASE(1), OPERATIONAL(2);
        final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    public RecipientGrant {
        if (kind == null || agentRootKey == null || signer == null || recipient == null || signature == null
                || signature.length != Ed25519.SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("a recipient grant needs a kind, keys, a recipient and a 64-byte"
                    + " signature");
        }
        if (kind == Kind.PHRASE && !signer.equals(agentRootKey)) {
            throw new IllegalArgumentException("a phrase recipient is granted by the agent root key itself");
        }
        signature = signature.clone();
    }

    /** The phrase recipient of the agent {@code agentRoot}, granted by it. */
    public static RecipientGrant phrase(SigningKey agentRoot) {
        return sign(Kind.PHRASE, agentRoot.verifyingKey(), agentRoot,
                BackupKeys.phraseIdentity(agentRoot).recipient());
    }

    /** A node's operational recipient (from its {@code backup.key}), granted by its node key. */
    public static RecipientGrant operational(VerifyingKey agentRoot, SigningKey nodeKey, SigningKey backupKey) {
        return sign(Kind.OPERATIONAL, agentRoot, nodeKey, BackupKeys.operationalIdentity(backupKey).recipient());
    }

    /** A grant of any recipient (tests: another agent granting our recipient, to prove the agent checks hold). */
    static RecipientGrant sign(Kind kind, VerifyingKey root, SigningKey signer, AgeRecipient recipient) {
        byte[] sig = signer.sign(signingPayload(kind, root, signer.verifyingKey(), recipient));
        return new RecipientGrant(kind, root, signer.verifyingKey(), recipient, sig);
    }

    private static byte[] signingPayload(Kind kind, VerifyingKey root, VerifyingKey signer, AgeRecipient r) {
        return body(new BoundedWriter(DOMAIN.length + MAX_ENCODED_BYTES).fixed(DOMAIN), kind, root, signer, r)
                .toByteArray();
    }

    private static BoundedWriter body(BoundedWriter w, Kind kind, VerifyingKey root, VerifyingKey signer,
                                      AgeRecipient r) {
        return w.u8(VERSION).u8(kind.code).fixed(root.bytes()).fixed(signer.bytes()).text16(r.text());
    }

    /**
     * Checks the grant for the agent {@code expectedRoot}: right agent, a signature that holds, and for an
     * operational grant a certificate of the signing node among {@code certificates} (signature checked, not
     * revoked: the caller passes only live ones). Returns the recipient.
     *
     * @throws IdentityException WRONG_AGENT or BAD_SIGNATURE, saying which
     */
    public AgeRecipient verify(VerifyingKey expectedRoot, List<NodeCertificate> certificates) {
        if (!agentRootKey.equals(expectedRoot)) {
            throw new IdentityException(IdentityException.Reason.WRONG_AGENT, "the backup recipient " + recipient
                    + " is granted for agent " + AgentId.of(agentRootKey) + ", not " + AgentId.of(expectedRoot));
        }
        if (!signer.verify(signingPayload(kind, agentRootKey, signer, recipient), signature)) {
            throw new IdentityException(IdentityException.Reason.BAD_SIGNATURE, "the grant of backup recipient "
                    + recipient + " has an invalid signature");
        }
        if (kind == Kind.OPERATIONAL && certificates.stream().noneMatch(c -> c.nodeKey().equals(signer)
                && c.agentRootKey().equals(expectedRoot) && c.signatureValid())) {
            throw new IdentityException(IdentityException.Reason.BAD_SIGNATURE, "the operational backup recipient "
                    + recipient + " is granted by a node key with no certificate of agent " + AgentId.of(expectedRoot));
        }
        return recipient;
    }

    public byte[] toBytes() {
        return body(new BoundedWriter(MAX_ENCODED_BYTES), kind, agentRootKey, signer, recipient).fixed(signature)
                .toByteArray();
    }

    /** Decodes {@link #toBytes()}; checks shape, not the signature ({@link #verify}'s job). */
    public static RecipientGrant fromBytes(byte[] encoded) {
        try {
            BoundedReader in = new BoundedReader(encoded);
            int version = in.u8("version");
            if (version != VERSION) {
                throw new IdentityException(IdentityException.Reason.UNSUPPORTED_VERSION, "backup recipient grant"
                        + " version " + version + "; this agentmesh reads version " + VERSION);
            }
            int code = in.u8("kind");
            Kind kind = Arrays.stream(Kind.values()).filter(k -> k.code == code).findFirst().orElseThrow(
                    () -> new MalformedException("kind", "unknown recipient kind " + code));
            VerifyingKey root = new VerifyingKey(in.fixed("agent root key", VerifyingKey.LENGTH));
            VerifyingKey signer = new VerifyingKey(in.fixed("signer key", VerifyingKey.LENGTH));
            AgeRecipient r = new AgeRecipient(in.text16("recipient", 128));
            byte[] sig = in.fixed("signature", Ed25519.SIGNATURE_LENGTH);
            in.end();
            return new RecipientGrant(kind, root, signer, r, sig);
        } catch (MalformedException | IllegalArgumentException e) {
            throw new IdentityException(IdentityException.Reason.MALFORMED, "backup recipient grant: "
                    + e.getMessage());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecipientGrant g && kind == g.kind && agentRootKey.equals(g.agentRootKey)
                && signer.equals(g.signer) && recipient.equals(g.recipient) && Arrays.equals(signature, g.signature);
    }

    @Override
    public int hashCode() {
        return recipient.hashCode();
    }

    @Override
    public String toString() {
        return "RecipientGrant[" + kind + " " + recipient + "]";
    }
}
