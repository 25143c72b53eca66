package io.agentmesh.node.cli;

import io.agentmesh.node.wallet.chain.EthAddress;
import io.agentmesh.node.wallet.chain.Keystore;
import io.agentmesh.node.wallet.spend.WalletConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The offline wallet commands find the keystore under --home unless --keystore names it, and ask for the passphrase. */
class WalletKeyCommandsTest {
    private static String run(String... args) {
        PrintStream before = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, new CommandLine(new WalletCommand()).execute(args));
        } finally {
            System.setOut(before);
        }
        return out.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void addressReadsTheHomesKeystoreOrTheOneNamed(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        char[] pass = "correct horse".toCharArray();
        EthAddress inHome = Keystore.create(home.resolve(WalletConfig.DEFAULT_KEYSTORE), pass, new SecureRandom(),
                Keystore.Scrypt.LIGHT);
        EthAddress elsewhere = Keystore.create(dir.resolve("other.json"), pass, new SecureRandom(),
                Keystore.Scrypt.LIGHT);
        assertNotEquals(inHome, elsewhere);
        assertEquals(inHome.checksummed(), run("address", "--home", home.toString()));
        assertEquals(elsewhere.checksummed(), run("address", "--home", home.toString(), "--keystore",
                dir.resolve("other.json").toString()));
    }

    @Test
    void keygenWithAnEmptyPassphraseFileIsRefusedAndWritesNothing(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        Path empty = Files.writeString(dir.resolve("passphrase"), "\n");
        int code = new CommandLine(new WalletCommand()).execute("keygen", "--home", home.toString(),
                "--passphrase-file", empty.toString());
        assertEquals(1, code, "refused while running (2 would be an option picocli does not know)");
        assertFalse(Files.exists(home.resolve(WalletConfig.DEFAULT_KEYSTORE)));
    }
}
