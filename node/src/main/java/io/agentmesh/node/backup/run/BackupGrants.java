package io.agentmesh.node.backup.run;

import io.agentmesh.node.backup.format.RecipientGrant;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.BackupTargetException;
import io.agentmesh.node.backup.target.PutOutcome;
import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.VerifyingKey;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where recipient grants live so that every writer finds them (docs/backup.md, "Backing up"): the phrase grant in the
 * identity directory of the machine that signed it ({@value #PHRASE_GRANT_FILE}, public), and every grant as an object
 * under {@value #PREFIX} on each target, where nodes that never saw the root key pick the phrase grant up. Grants are
 * public material; a grant read from a target is only used after it verifies against the agent root.
 */
public final class BackupGrants {
    public static final String PHRASE_GRANT_FILE = "backup-phrase.grant";
    public static final String PREFIX = "grants/";
    /** More grants than this on one target is not ours (one phrase grant and one per node). */
    public static final int MAX_GRANTS = 4096;

    private BackupGrants() {
    }

    /** The object name of a grant: its kind and the hash of its encoding, so two writers never conflict. */
    public static String objectName(RecipientGrant grant) {
        String kind = grant.kind() == RecipientGrant.Kind.PHRASE ? "phrase" : "ops";
        return PREFIX + kind + "-" + sha256Hex(grant.toBytes()) + ".grant";
    }

    public static void writePhraseGrant(Path identityDir, RecipientGrant grant) throws IOException {
        if (grant.kind() != RecipientGrant.Kind.PHRASE) {
            throw new IllegalArgumentException("not a phrase grant: " + grant);
        }
        Path file = identityDir.resolve(PHRASE_GRANT_FILE);
        Path tmp = identityDir.resolve(PHRASE_GRANT_FILE + ".tmp");
        Files.write(tmp, grant.toBytes());
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public static Optional<RecipientGrant> readPhraseGrant(Path identityDir) throws IOException {
        Path file = identityDir.resolve(PHRASE_GRANT_FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length > RecipientGrant.MAX_ENCODED_BYTES) {
            throw new IllegalArgumentException(file + " is not a recipient grant (too large)");
        }
        return Optional.of(RecipientGrant.fromBytes(bytes));
    }

    /** Puts {@code grant} on {@code target} (if absent). */
    public static PutOutcome publish(BackupTarget target, RecipientGrant grant) throws BackupTargetException {
        return target.put(objectName(grant), grant.toBytes());
    }

    /** The grants on {@code target} that verify for this agent and its live nodes; the others are reported. */
    public static List<RecipientGrant> readVerified(BackupTarget target, VerifyingKey agentRoot,
                                                    List<NodeCertificate> live, List<String> refused)
            throws BackupTargetException {
        List<RecipientGrant> out = new ArrayList<>();
        for (String name : target.list(PREFIX, MAX_GRANTS)) {
            Optional<byte[]> bytes = target.get(name);
            if (bytes.isEmpty()) {
                continue; // deleted between list and get (prune)
            }
            try {
                if (bytes.get().length > RecipientGrant.MAX_ENCODED_BYTES) {
                    throw new IllegalArgumentException("too large for a grant");
                }
                RecipientGrant g = RecipientGrant.fromBytes(bytes.get());
                g.verify(agentRoot, live);
                out.add(g);
            } catch (RuntimeException e) {
                refused.add(name + ": " + e.getMessage());
            }
        }
        return out;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return Bytes.copyOf(MessageDigest.getInstance("SHA-256").digest(bytes)).hex();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
