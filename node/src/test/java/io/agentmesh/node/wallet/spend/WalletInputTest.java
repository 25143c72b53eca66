package io.agentmesh.node.wallet.spend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.wallet.chain.Anvil;
import io.agentmesh.node.wallet.chain.Keystore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input to the wallet (requests, amounts, wallet.json) gets a clear error, before anything is claimed. */
class WalletInputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path home;

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    private static String refusal(String body) {
        return assertThrows(IllegalArgumentException.class, () -> WalletService.parse(json(body), 30)).getMessage();
    }

    @Test
    void spendRequestsAreCheckedFieldByField() throws Exception {
        var ok = WalletService.parse(json("{\"idempotencyKey\":\"k\",\"to\":\"" + Anvil.ADDRESS1.checksummed()
                + "\",\"valueEther\":\"0.25\",\"data\":\"0xabcd\"}"), 30);
        assertEquals(new BigInteger("250000000000000000"), ok.valueWei());
        assertEquals(2, ok.data().length);
        assertEquals(30_000, ok.waitMs());
        String to = "\"to\":\"" + Anvil.ADDRESS1.hex() + "\"";
        assertTrue(refusal("{\"idempotencyKey\":\"k\",\"to\":\"0x1234\",\"valueWei\":\"1\"}")
                .contains("malformed address"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\",\"to\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79c8\","
                + "\"valueWei\":\"1\"}").contains("checksum"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueWei\":\"-1\"}").contains("negative"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueWei\":-1}").contains("negative"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueWei\":\"" + BigInteger.TWO.pow(256)
                + "\"}").contains("2^256-1"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueEther\":\"1e9999\"}").contains("decimal"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueEther\":\"0.0000000000000000001\"}")
                .contains("whole number of wei"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueEther\":\"1\",\"valueWei\":\"1\"}")
                .contains("exactly one"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + "}").contains("exactly one"));
        assertTrue(refusal("{" + to + ",\"valueWei\":\"1\"}").contains("idempotencyKey is required"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueWei\":\"1\",\"gas\":1}")
                .contains("unknown field \"gas\""));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueWei\":\"1\",\"data\":\"0xabc\"}")
                .contains("even number"));
        assertTrue(refusal("{\"idempotencyKey\":\"k\"," + to + ",\"valueWei\":\"1\",\"waitSeconds\":301}")
                .contains("waitSeconds"));
    }

    @Test
    void amountsAreExact() {
        assertEquals(Amounts.WEI_PER_ETHER, Amounts.ether("1", "v"));
        assertEquals(BigInteger.valueOf(1_500_000_000L), Amounts.gwei("1.5", "v"));
        assertEquals("0.25", Amounts.toEther(new BigInteger("250000000000000000")));
        assertEquals("2", Amounts.toEther(BigInteger.TWO.multiply(Amounts.WEI_PER_ETHER)));
        assertThrows(IllegalArgumentException.class, () -> Amounts.wei("1.0", "v"));
        assertThrows(IllegalArgumentException.class, () -> Amounts.ether(" ", "v"));
        assertThrows(IllegalArgumentException.class, () -> Amounts.ether("1".repeat(101), "v"));
    }

    private WalletConfig config(String text) throws Exception {
        Path f = home.resolve("wallet.json");
        Files.writeString(f, text);
        return WalletConfig.read(f, home);
    }

    private String configRefusal(String text) {
        return assertThrows(IllegalArgumentException.class, () -> config(text)).getMessage();
    }

    @Test
    void walletJsonIsReadStrictly() throws Exception {
        Keystore.importKey(home.resolve(WalletConfig.DEFAULT_KEYSTORE), Anvil.KEY0, "p".toCharArray(),
                new SecureRandom(), Keystore.Scrypt.LIGHT);
        String policy = "\"policy\":{\"perTxCapEther\":\"0.5\",\"dailyBudgetEther\":\"2\",\"approvalAboveEther\":0.1}";
        WalletConfig c = config("{\"rpcUrl\":\"http://127.0.0.1:8545\",\"chainId\":31337," + policy + "}");
        assertEquals(Anvil.ADDRESS0, c.address(), "the default keystore names the address");
        assertEquals(new BigInteger("500000000000000000"), c.policy().perTxCapWei());
        assertEquals(new BigInteger("100000000000000000"), c.policy().approvalAboveWei().orElseThrow());
        assertEquals(1, c.confirmations().getAsInt());
        String base = "{\"rpcUrl\":\"http://127.0.0.1:8545\",\"chainId\":31337,";
        assertTrue(configRefusal(base + policy + ",\"confirmation\":2}").contains("unknown key \"confirmation\""));
        assertTrue(configRefusal(base + policy + ",\"confirmations\":0}").contains("confirmations"));
        assertTrue(configRefusal("{\"rpcUrl\":\"ftp://x\",\"chainId\":1," + policy + "}").contains("rpcUrl"));
        assertTrue(configRefusal("{\"rpcUrl\":\"http://x\"," + policy + "}").contains("chainId is required"));
        assertTrue(configRefusal(base + "\"policy\":{\"perTxCapEther\":\"-1\",\"dailyBudgetEther\":\"2\"}}")
                .contains("negative"));
        assertTrue(configRefusal(base + "\"address\":\"" + Anvil.ADDRESS1.hex() + "\"," + policy + "}")
                .contains("not the keystore's"));
        assertTrue(configRefusal(base + "\"keystore\":\"nowhere.json\"," + policy + "}").contains("does not exist"));
        assertTrue(configRefusal(base + policy + ",\"chainId\":5}").contains("duplicate")
                || configRefusal(base + policy + ",\"chainId\":5}").contains("Duplicate"));
        Files.delete(home.resolve(WalletConfig.DEFAULT_KEYSTORE));
        assertTrue(configRefusal(base + policy + "}").contains("\"address\""));
    }
}
