package io.agentmesh.node.wallet.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.actions.ActionCancelledException;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.spend.WalletService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Performs intents of kind {@code wallet}: one spend, with the intent's id as its idempotency key
 * ({@code intent:<id>}), so a later leader that performs the intent again finds the same spend and never makes a
 * second one. Payload: {@code {"to": "0x...", "valueWei": "..."}} or {@code "valueEther": "0.1"}, optional
 * {@code "data": "0x..."}; anything else fails the intent with nothing claimed.
 *
 * <p>The outcome (in the CRDT, like every intent's) is the spend's JSON ({@link SpendJson}: idempotency key, nonce,
 * every variant hash, the final hash and block): {@code succeeded} when the transfer completed, {@code failed} when it
 * reverted (the fee was paid), was cancelled, rejected, expired or refused by the policy, {@code uncertain} when it
 * had not ended within {@code maxWaitMs} (it goes on; the same intent performed again picks it up). The work runs on
 * {@code executor}, never the node thread.
 */
public final class WalletIntentExecutor implements ActionExecutor {
    private static final Logger log = LoggerFactory.getLogger(WalletIntentExecutor.class);
    public static final String KIND = "wallet";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WalletService wallet;
    private final Executor executor;
    private final long maxWaitMs;

    public WalletIntentExecutor(WalletService wallet, Executor executor, long maxWaitMs) {
        this.wallet = wallet;
        this.executor = executor;
        this.maxWaitMs = maxWaitMs;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public CompletionStage<ActionResult> perform(ActionContext ctx) {
        return CompletableFuture.supplyAsync(() -> run(ctx), executor);
    }

    /** The claim dedupes on the intent's key: performing again finds the spend an earlier leader claimed. */
    @Override
    public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
        return perform(ctx);
    }

    private ActionResult run(ActionContext ctx) {
        String key = "intent:" + ctx.intentId();
        WalletService.SpendRequest req;
        try {
            JsonNode payload = JSON.readTree(ctx.payloadJson());
            if (payload == null || !payload.isObject()) {
                return failed("BAD_PAYLOAD", "the payload is a JSON object with to and valueWei or valueEther");
            }
            if (payload.has("idempotencyKey") || payload.has("waitSeconds")) {
                return failed("BAD_PAYLOAD", "a wallet intent's idempotency key is its intent id; give only to,"
                        + " valueWei or valueEther, and data");
            }
            ObjectNode withKey = ((ObjectNode) payload).deepCopy();
            withKey.put("idempotencyKey", key);
            withKey.put("waitSeconds", 0);
            req = WalletService.parse(withKey, 0);
        } catch (IOException | IllegalArgumentException e) {
            return failed("BAD_PAYLOAD", e.getMessage());
        }
        try {
            Spend s = wallet.spend(req, "intent:" + ctx.intentId());
            Optional<Spend> ended = wallet.waitForEnd(s.id(), maxWaitMs);
            Spend last = ended.orElse(s);
            String json = SpendJson.spend(last).toString();
            log.info("node {} wallet intent {} spend {} ends {}", ctx.nodeId(), ctx.intentId(), last.id(),
                    last.state());
            return switch (last.state()) {
                case COMPLETED -> ActionResult.succeeded(json);
                case FAILED_REVERTED, CANCELLED, REJECTED, EXPIRED -> ActionResult.failed(json);
                default -> ActionResult.uncertain(json);
            };
        } catch (WalletService.WalletException e) {
            if (e.code().equals("NOT_LEADER") || e.code().equals("NOT_COMMITTED")) {
                // Leadership moved: the next leader performs the intent again under the same key.
                throw new ActionCancelledException(e.getMessage(), e);
            }
            return failed(e.code(), e.getMessage());
        }
    }

    private static ActionResult failed(String code, String message) {
        ObjectNode r = JSON.createObjectNode();
        r.put("error", code);
        r.put("message", message);
        return ActionResult.failed(r.toString());
    }
}
