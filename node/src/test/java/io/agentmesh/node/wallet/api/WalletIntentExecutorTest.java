package io.agentmesh.node.wallet.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.wallet.chain.Anvil;
import io.agentmesh.node.wallet.spend.WalletWorld;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code wallet} intent kind on anvil: the outcome carries the spend (key, nonce, hashes, final hash, block), and
 * performing the same intent again (a later leader's reconcile) finds the same spend, so the chain sees one
 * transaction.
 */
class WalletIntentExecutorTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path home;
    @AutoClose
    WalletWorld world;

    private static ActionContext ctx(String intent, String payload) {
        return new ActionContext(intent, "wallet", payload, new FencingToken(1, 1), "a",
                data -> CompletableFuture.completedFuture(null));
    }

    @Test
    void aWalletIntentSucceedsWithTheSpendAndPerformingItAgainPaysNothingMore() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1);
        var executor = new WalletIntentExecutor(a.service(), Executors.newVirtualThreadPerTaskExecutor(), 30_000);
        String payload = "{\"to\":\"" + Anvil.ADDRESS2.hex() + "\",\"valueEther\":\"0.5\"}";
        ActionResult first = executor.perform(ctx("i-1", payload)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(ActionResult.SUCCEEDED, first.status(), first.result());
        JsonNode spend = JSON.readTree(first.result());
        assertEquals("intent:i-1", spend.path("idempotencyKey").asText());
        assertEquals(0, spend.path("nonce").asLong());
        assertEquals(spend.path("hashes").get(0).asText(), spend.path("finalHash").asText());
        assertTrue(spend.path("block").asLong() > 0);
        ActionResult again = executor.reconcile(ctx("i-1", payload), java.util.Optional.empty())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(first.result(), again.result());
        assertEquals(1, world.chainHistory().size());
        ActionResult bad = executor.perform(ctx("i-2", "{\"to\":\"0x12\",\"valueEther\":\"1\"}"))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(ActionResult.FAILED, bad.status());
        assertTrue(bad.result().contains("malformed address"), bad.result());
        world.checkChainAgainstLedger();
    }
}
