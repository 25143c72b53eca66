package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.SigningKey;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The two age identities a backup is encrypted to (docs/backup.md, "Keys and recipients"), each derived with
 * HKDF-SHA256 from a 32-byte seed under a label of its own, so neither can be confused with the Ed25519 key the seed
 * also makes:
 * <ul>
 *   <li>the <b>phrase identity</b>, from the agent root key's seed, which is the recovery phrase's entropy
 *       ({@link RecoveryPhrase}): the 24 words alone re-derive it on a bare machine;</li>
 *   <li>a node's <b>operational identity</b>, from the seed in its identity directory's {@code backup.key}
 *       ({@code IdentityDirectory.createBackupKey}): the daily drill opens backups with it, without the phrase.</li>
 * </ul>
 * <pre>
 *   secret = HKDF-SHA256(ikm = seed, salt = "agentmesh/backup/v1", info = label, 32 bytes)
 *   label  = "phrase-x25519/epoch=0" | "ops-x25519"
 * </pre>
 * The agentmesh phrase encodes the root seed directly (no BIP39 PBKDF2 stretching: 256 bits of entropy need none), so
 * whoever holds the root key file can derive the phrase identity too. The epoch is in the label so a rotated phrase
 * key (a later format) does not collide with epoch 0.
 */
public final class BackupKeys {
    static final byte[] SALT = "agentmesh/backup/v1".getBytes(StandardCharsets.US_ASCII);
    static final String PHRASE_LABEL = "phrase-x25519/epoch=0";
    static final String OPS_LABEL = "ops-x25519";

    private BackupKeys() {
    }

    /** The phrase identity of the agent whose root key this phrase encodes. */
    public static AgeIdentity phraseIdentity(RecoveryPhrase phrase) {
        return derive(phrase.seed(), PHRASE_LABEL);
    }

    /** The same identity, from the agent root key (where the root key file is, the phrase is too). */
    public static AgeIdentity phraseIdentity(SigningKey agentRoot) {
        return derive(agentRoot.seed(), PHRASE_LABEL);
    }

    /** A node's operational identity, from the key in its identity directory's {@code backup.key}. */
    public static AgeIdentity operationalIdentity(SigningKey backupKey) {
        return derive(backupKey.seed(), OPS_LABEL);
    }

    private static AgeIdentity derive(byte[] seed, String label) {
        byte[] out = new byte[32];
        try {
            HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
            hkdf.init(new HKDFParameters(seed, SALT, label.getBytes(StandardCharsets.US_ASCII)));
            hkdf.generateBytes(out, 0, out.length);
            return new AgeIdentity(out);
        } finally {
            Arrays.fill(out, (byte) 0);
            Arrays.fill(seed, (byte) 0);
        }
    }
}
