package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.wallet.chain.Anvil;
import io.agentmesh.node.wallet.chain.ChainClient;
import io.agentmesh.node.wallet.chain.Keystore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wallet across kill -9 of the leader's node process, with three real {@code node run} processes (each with the
 * same keystore, encrypted with its node passphrase, and a wallet.json for a local anvil chain): the leader is killed
 * after the claim, after the broadcast and before the completion. Each spend completes exactly once: the chain's whole
 * history (every transaction from the wallet, block by block) has one transaction per nonce, no gap, one per
 * idempotency key, and each spend's final hash is the one mined.
 */
class WalletFailoverTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    static Anvil anvil;

    @TempDir
    Path dir;

    @BeforeAll
    static void chain() throws Exception {
        anvil = Anvil.start();
    }

    @AfterAll
    static void stopChain() throws Exception {
        if (anvil != null) {
            anvil.close();
        }
    }

    private LiveCluster cluster(int confirmations) throws Exception {
        Path clusterDir = dir.resolve("cluster");
        Path pass = dir.resolve("passphrase");
        Files.writeString(pass, "wallet-test-passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        String config = JSON.writeValueAsString(Map.of("rpcUrl", anvil.url().toString(), "chainId", 31337,
                "confirmations", confirmations, "pollMs", 100, "requestTimeoutMs", 5_000,
                "policy", Map.of("perTxCapEther", "5", "dailyBudgetEther", "100", "approvalAboveEther", "2",
                        "approvalTimeoutMs", 600_000)));
        for (int i = 1; i <= 3; i++) {
            Path home = clusterDir.resolve("n" + i);
            Files.createDirectories(home);
            // Light scrypt keeps each node's start fast; production keys use the standard parameters.
            Keystore.importKey(home.resolve("wallet/keystore.json"), Anvil.KEY0, "wallet-test-passphrase".toCharArray(),
                    new SecureRandom(), Keystore.Scrypt.LIGHT);
            Files.writeString(home.resolve("wallet.json"), config);
        }
        return LiveCluster.start(LiveCluster.Options.of(3, 0).withDir(clusterDir, false)
                .withNodeArgs(List.of("--passphrase-file", pass.toString())));
    }

    private static LiveCluster.Node leader(LiveCluster c) {
        AtomicReference<LiveCluster.Node> found = new AtomicReference<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (LiveCluster.Node n : c.nodes()) {
                if (!n.alive()) {
                    continue;
                }
                try {
                    JsonNode w = n.client().get("/v1/wallet", Duration.ofSeconds(5)).body();
                    if (w.path("driver").path("leader").asBoolean()
                            && w.path("driver").path("reconciled").asBoolean()) {
                        found.set(n);
                        return true;
                    }
                } catch (IOException e) {
                    // not answering now
                }
            }
            return false;
        });
        return found.get();
    }

    private static JsonNode spend(LiveCluster.Node at, String key, String ether) throws Exception {
        NodeClient.Response r = at.client().post("/v1/wallet/spend", Map.of("idempotencyKey", key,
                "to", Anvil.ADDRESS2.hex(), "valueEther", ether, "waitSeconds", 0), Duration.ofSeconds(30));
        assertTrue(r.status() == 200 || r.status() == 202, r.status() + " " + r.body());
        return r.body();
    }

    private static JsonNode spendOn(LiveCluster c, String key) {
        for (LiveCluster.Node n : c.nodes()) {
            if (n.alive()) {
                try {
                    NodeClient.Response r = n.client().get("/v1/wallet/spend?idempotencyKey=" + key,
                            Duration.ofSeconds(5));
                    if (r.status() == 200) {
                        return r.body();
                    }
                } catch (IOException e) {
                    // ask another
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        return JSON.createObjectNode();
    }

    private static void awaitState(LiveCluster c, String key, String state) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> spendOn(c, key).path("state").asText().equals(state));
    }

    private static void killAndRestart(LiveCluster c, LiveCluster.Node leader) throws Exception {
        c.kill9(leader.index());
        LiveCluster.Node next = leader(c);
        assertTrue(next.index() != leader.index());
        c.restart(leader.index());
    }

    @Test
    void theLeaderKilledAtEachStepLeavesExactlyOneTransactionPerSpend() throws Exception {
        try (LiveCluster c = cluster(3)) {
            ChainClient chain = anvil.client();
            List<String> keys = new ArrayList<>();

            // After the claim: the spend waits for approval (no nonce yet); the leader dies; the next one takes the
            // approval and completes it.
            LiveCluster.Node l = leader(c);
            JsonNode claimed = spend(l, "live-after-claim", "3");
            assertEquals("AWAITING_APPROVAL", claimed.path("state").asText());
            killAndRestart(c, l);
            l = leader(c);
            NodeClient.Response approved = l.client().post("/v1/wallet/approve",
                    Map.of("id", claimed.path("id").asLong(), "by", "test"), Duration.ofSeconds(30));
            assertEquals(200, approved.status(), approved.body().toString());
            anvil.rpc("anvil_mine", 3);
            awaitMined(c, chain, "live-after-claim");
            keys.add("live-after-claim");

            // After the broadcast: the transaction waits in the pool (no mining); the leader dies; the chain mines
            // it; the next leader completes it from its receipt, without sending anything twice.
            anvil.automine(false);
            l = leader(c);
            spend(l, "live-after-broadcast", "0.5");
            awaitState(c, "live-after-broadcast", "PREPARED");
            await().atMost(WAIT).until(() -> anvil.rpc("txpool_content").path("pending").size() > 0);
            killAndRestart(c, l);
            anvil.automine(true);
            anvil.mine();
            awaitMined(c, chain, "live-after-broadcast");
            keys.add("live-after-broadcast");

            // Before the completion: included but not yet 3 blocks deep; the leader dies; the next completes it.
            l = leader(c);
            spend(l, "live-before-complete", "0.25");
            awaitState(c, "live-before-complete", "INCLUDED");
            killAndRestart(c, l);
            awaitMined(c, chain, "live-before-complete");
            keys.add("live-before-complete");

            // The chain against the ledger.
            TreeMap<BigInteger, List<String>> history = new TreeMap<>();
            long head = chain.block(ChainClient.BlockTag.LATEST).orElseThrow().number();
            for (long b = 0; b <= head; b++) {
                for (ChainClient.ChainTx tx : chain.transactions(b)) {
                    if (tx.from().equals(Anvil.ADDRESS0)) {
                        history.computeIfAbsent(tx.nonce(), n -> new ArrayList<>()).add(tx.hash());
                    }
                }
            }
            assertEquals(keys.size(), history.size(), "one transaction per spend: " + history);
            for (String key : keys) {
                JsonNode s = spendOn(c, key);
                List<String> atNonce = history.get(BigInteger.valueOf(s.path("nonce").asLong()));
                assertEquals(List.of(s.path("finalHash").asText()), atNonce, key + ": " + s);
            }
            assertEquals(List.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.TWO), new ArrayList<>(history.keySet()));
        }
    }

    /** Mines until the spend completes (the configured depth needs blocks). */
    private static void awaitMined(LiveCluster c, ChainClient chain, String key) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
            String state = spendOn(c, key).path("state").asText();
            if (state.equals("COMPLETED")) {
                return true;
            }
            if (state.equals("INCLUDED")) {
                anvil.mine();
            }
            return false;
        });
    }
}
