package io.agentmesh.node.wallet.chain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeystoreTest {
    @TempDir
    Path dir;

    /**
     * A light-scrypt file written by web3j core 6.0.0's {@code WalletUtils.generateWalletFile} for anvil's second
     * account (password "web3j-fixture-pass"): our reader opens the files other wallets write.
     */
    @Test
    void opensAKeystoreWrittenByWeb3j() throws Exception {
        Path f = dir.resolve("web3j.json");
        try (var in = KeystoreTest.class.getResourceAsStream("/wallet/web3j-light-keystore.json")) {
            Files.write(f, in.readAllBytes());
        }
        assertEquals(Anvil.ADDRESS1, Keystore.address(f));
        assertEquals(Anvil.ADDRESS1, Keystore.unlock(f, "web3j-fixture-pass".toCharArray()).address());
        var e = assertThrows(Keystore.KeystoreException.class,
                () -> Keystore.unlock(f, "web3j-fixture-pasS".toCharArray()));
        assertTrue(e.getMessage().contains("wrong passphrase"), e.getMessage());
    }

    @Test
    void importedKeyUnlocksToItsAddressAndTheFileIsOwnerOnly() throws Exception {
        Path f = dir.resolve("wallet/keystore.json");
        EthAddress a = Keystore.importKey(f, Anvil.KEY0, "pass".toCharArray(), new SecureRandom(),
                Keystore.Scrypt.LIGHT);
        assertEquals(Anvil.ADDRESS0, a);
        assertEquals(Anvil.ADDRESS0, Keystore.address(f));
        assertEquals(Anvil.ADDRESS0, Keystore.unlock(f, "pass".toCharArray()).address());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        String text = Files.readString(f);
        assertFalse(text.contains(Anvil.KEY0.substring(2)), "the key must not be in the file in clear");
        try (var files = Files.list(f.getParent())) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void wrongPassphraseIsToldApartAndChangesNothing() throws Exception {
        Path f = dir.resolve("k.json");
        Keystore.create(f, "right".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT);
        byte[] before = Files.readAllBytes(f);
        var e = assertThrows(Keystore.KeystoreException.class, () -> Keystore.unlock(f, "wrong".toCharArray()));
        assertTrue(e.getMessage().startsWith("wrong passphrase"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
    }

    @Test
    void anExistingKeystoreIsNeverOverwritten() throws Exception {
        Path f = dir.resolve("k.json");
        EthAddress first = Keystore.create(f, "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT);
        var e = assertThrows(Keystore.KeystoreException.class,
                () -> Keystore.importKey(f, Anvil.KEY1, "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT));
        assertTrue(e.getMessage().contains("never overwritten"), e.getMessage());
        assertEquals(first, Keystore.unlock(f, "p".toCharArray()).address());
    }

    @Test
    void noPassphraseMalformedKeysAndDamagedFilesAreRefusedWithClearErrors() throws Exception {
        Path f = dir.resolve("k.json");
        var noPass = assertThrows(Keystore.KeystoreException.class,
                () -> Keystore.create(f, new char[0], new SecureRandom(), Keystore.Scrypt.LIGHT));
        assertTrue(noPass.getMessage().contains("AGENTMESH_PASSPHRASE"), noPass.getMessage());
        assertFalse(Files.exists(f));
        assertThrows(Keystore.KeystoreException.class,
                () -> Keystore.importKey(f, "0x1234", "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT));
        assertThrows(Keystore.KeystoreException.class, () -> Keystore.importKey(f, "0x" + "0".repeat(64),
                "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT));
        assertThrows(Keystore.KeystoreException.class, () -> Keystore.importKey(f, "0x" + "f".repeat(64),
                "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT));
        assertFalse(Files.exists(f));
        var missing = assertThrows(Keystore.KeystoreException.class, () -> Keystore.unlock(f, "p".toCharArray()));
        assertTrue(missing.getMessage().contains("wallet keygen"), missing.getMessage());

        Keystore.importKey(f, Anvil.KEY0, "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT);
        String text = Files.readString(f);
        Files.writeString(f, text.replace("\"n\" : 4096", "\"n\" : 1073741824"));
        var huge = assertThrows(Keystore.KeystoreException.class, () -> Keystore.unlock(f, "p".toCharArray()));
        assertTrue(huge.getMessage().contains("scrypt parameters out of bounds"), huge.getMessage());
        Files.writeString(f, text.replace(Anvil.ADDRESS0.hex().substring(2), Anvil.ADDRESS1.hex().substring(2)));
        var swapped = assertThrows(Keystore.KeystoreException.class, () -> Keystore.unlock(f, "p".toCharArray()));
        assertTrue(swapped.getMessage().contains("not for the address it names"), swapped.getMessage());
        Files.writeString(f, "{not json");
        assertThrows(Keystore.KeystoreException.class, () -> Keystore.unlock(f, "p".toCharArray()));
    }
}
