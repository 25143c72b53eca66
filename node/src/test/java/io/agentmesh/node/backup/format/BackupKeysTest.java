package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.KdfParams;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackupKeysTest {
    private final SigningKey root = SigningKey.fromSeed(BackupFixture.filled(3));

    @Test
    void thePhraseAndTheRootKeyDeriveTheSameIdentity() {
        RecoveryPhrase phrase = RecoveryPhrase.parse(RecoveryPhrase.of(root).words());
        assertEquals(BackupKeys.phraseIdentity(root), BackupKeys.phraseIdentity(phrase));
        assertTrue(BackupKeys.phraseIdentity(root).recipient().text().startsWith("age1"));
    }

    @Test
    void theOperationalIdentityIsAnotherKeyThanThePhrasesFromTheSameSeed() {
        assertNotEquals(BackupKeys.phraseIdentity(root).recipient(), BackupKeys.operationalIdentity(root).recipient());
    }

    @Test
    void anIdentityReadsBackFromItsAgeText() {
        AgeIdentity id = BackupKeys.phraseIdentity(root);
        String text = id.secretKeyText();
        assertTrue(text.startsWith("AGE-SECRET-KEY-1"), text);
        assertEquals(id, AgeIdentity.parse(text));
        assertFalse(id.toString().contains(text.substring(16)), "toString hides the secret");
        assertThrows(IllegalArgumentException.class, () -> new AgeRecipient("age1notarecipient"));
        assertThrows(IllegalArgumentException.class, () -> new AgeRecipient(text));
    }

    @Test
    void encryptionToTwoRecipientsOpensWithEitherAndNotWithAThird() {
        AgeIdentity a = BackupKeys.phraseIdentity(root);
        AgeIdentity b = BackupKeys.operationalIdentity(root);
        AgeIdentity c = BackupKeys.phraseIdentity(SigningKey.fromSeed(BackupFixture.filled(4)));
        byte[] plain = "hello backups".getBytes();
        byte[] ct = AgeCrypto.encrypt(plain, List.of(a.recipient(), b.recipient()));
        assertArrayEquals(plain, AgeCrypto.decrypt("x", ct, List.of(a), 1000));
        assertArrayEquals(plain, AgeCrypto.decrypt("x", ct, List.of(b), 1000));
        assertEquals(BackupFormatException.Problem.WRONG_KEY, assertThrows(BackupFormatException.class,
                () -> AgeCrypto.decrypt("x", ct, List.of(c), 1000)).problem());
    }

    @Test
    void theOperationalKeyIsKeptEncryptedInTheIdentityDirectory(@TempDir Path dir) throws Exception {
        IdentityDirectory ids = IdentityDirectory.of(dir.resolve("id")).withKdf(new KdfParams(8, 1, 1));
        char[] pass = "correct horse".toCharArray();
        SigningKey key = ids.createBackupKey(new SecureRandom(), Optional.of(pass));
        assertTrue(ids.hasBackupKey());
        assertFalse(Files.readString(ids.backupKeyFile()).contains(java.util.HexFormat.of().formatHex(key.seed())));
        assertEquals(BackupKeys.operationalIdentity(key),
                BackupKeys.operationalIdentity(ids.readBackupKey(Optional.of(pass))));
        assertEquals(IdentityException.Reason.WRONG_PASSPHRASE, assertThrows(IdentityException.class,
                () -> ids.readBackupKey(Optional.of("wrong".toCharArray()))).reason());
        assertEquals(IdentityException.Reason.ALREADY_EXISTS, assertThrows(IdentityException.class,
                () -> ids.createBackupKey(new SecureRandom(), Optional.empty())).reason());
    }
}
