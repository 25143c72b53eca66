package io.agentmesh.node.wallet.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.Variant;
import io.agentmesh.node.wallet.ledger.WalletStatus;
import io.agentmesh.node.wallet.spend.Amounts;
import io.agentmesh.node.wallet.spend.WalletService;

/**
 * The JSON of a spend and of the wallet's status, the same for the endpoints, the intent outcomes in the CRDT, the MCP
 * tools and the CLI. Amounts are strings of wei (exact; JSON numbers are not) with an ether rendering for people.
 * Raw transaction bytes are left out: they are in the ledger, and a hash finds them on any explorer.
 */
public final class SpendJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SpendJson() {
    }

    public static ObjectNode spend(Spend s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", s.id());
        o.put("idempotencyKey", s.idempotencyKey());
        o.put("state", s.state().name());
        o.put("terminal", s.state().terminal());
        o.put("to", s.to());
        o.put("valueWei", s.valueWei().toString());
        o.put("valueEther", Amounts.toEther(s.valueWei()));
        if (!s.data().equals("0x")) {
            o.put("data", s.data());
        }
        o.put("origin", s.origin());
        o.put("gasLimit", s.gasLimit());
        o.put("maxFeePerGasWei", s.maxFeePerGasWei().toString());
        o.put("reservedWei", s.reservedWei().toString());
        o.put("requestedAtMillis", s.requestedAtMillis());
        o.put("claimedBy", s.claimedBy());
        if (s.nonce().isPresent()) {
            o.put("nonce", s.nonce().getAsLong());
        }
        ArrayNode hashes = o.putArray("hashes");
        ArrayNode variants = o.putArray("variants");
        for (Variant v : s.variants()) {
            hashes.add(v.hash());
            ObjectNode vo = variants.addObject();
            vo.put("kind", v.kind().name());
            vo.put("hash", v.hash());
            vo.put("maxFeePerGasWei", v.maxFeePerGasWei().toString());
            vo.put("maxPriorityFeePerGasWei", v.maxPriorityFeePerGasWei().toString());
            vo.put("preparedAtMillis", v.preparedAtMillis());
            vo.put("preparedBy", v.preparedBy());
        }
        s.inclusion().ifPresent(i -> {
            o.put("finalHash", i.hash());
            s.variant(i.hash()).ifPresent(v -> o.put("minedKind", v.kind().name()));
            o.put("block", i.blockNumber());
            o.put("blockHash", i.blockHash());
            o.put("succeeded", i.succeeded());
        });
        s.settlement().ifPresent(st -> {
            o.put("feeWei", st.feeWei().toString());
            o.put("chargedWei", st.chargedWei().toString());
        });
        s.decision().ifPresent(d -> {
            ObjectNode dn = o.putObject("decision");
            dn.put("by", d.by());
            dn.put("reason", d.reason());
            dn.put("atMillis", d.atMillis());
        });
        return o;
    }

    public static ObjectNode status(WalletService.StatusView v) {
        ObjectNode o = JSON.createObjectNode();
        WalletStatus s = v.ledger();
        o.put("address", v.config().address().checksummed());
        o.put("chainId", v.config().chainId());
        v.balanceWei().ifPresent(b -> {
            o.put("balanceWei", b.toString());
            o.put("balanceEther", Amounts.toEther(b));
        });
        v.chainError().ifPresent(e -> o.put("chainError", e));
        o.put("frozen", s.frozen());
        s.frozenReason().ifPresent(r -> o.put("frozenReason", r));
        o.put("nextNonce", s.nextNonce());
        o.put("day", s.day());
        o.put("spentTodayWei", s.spentWei().toString());
        o.put("reservedTodayWei", s.reservedWei().toString());
        o.put("budgetLeftWei", s.budgetLeftWei().toString());
        o.put("budgetLeftEther", Amounts.toEther(s.budgetLeftWei()));
        o.put("awaitingApproval", s.awaitingApproval());
        s.policy().ifPresent(p -> {
            ObjectNode pn = o.putObject("policy");
            pn.put("perTxCapWei", p.perTxCapWei().toString());
            pn.put("dailyBudgetWei", p.dailyBudgetWei().toString());
            pn.put("allowedRecipients", p.allowedRecipients().size());
            pn.put("maxSpendsPerWindow", p.maxSpendsPerWindow());
            pn.put("velocityWindowMs", p.velocityWindowMs());
            p.approvalAboveWei().ifPresent(a -> pn.put("approvalAboveWei", a.toString()));
            pn.put("approvalTimeoutMs", p.approvalTimeoutMs());
            pn.put("killSwitch", p.killSwitch());
        });
        ObjectNode d = o.putObject("driver");
        d.put("leader", v.leadership().leader());
        v.leadership().leaderId().ifPresent(l -> d.put("leaderId", l));
        d.put("term", v.leadership().term());
        d.put("holdsKey", v.driver().holdsKey());
        d.put("reconciled", v.driver().reconciled());
        if (!v.driver().holdsKey()) {
            d.put("note", "this node holds no wallet key: as leader it finishes spends already prepared and prepares"
                    + " no new ones");
        }
        v.driver().lastIssue().ifPresent(i -> d.put("lastIssue", i));
        ArrayNode pending = o.putArray("pending");
        ArrayNode approvals = o.putArray("approvalsWaiting");
        for (Spend sp : v.open()) {
            (sp.state() == io.agentmesh.node.wallet.ledger.SpendState.AWAITING_APPROVAL ? approvals : pending)
                    .add(spend(sp));
        }
        ArrayNode done = o.putArray("completed");
        v.ended().forEach(sp -> done.add(spend(sp)));
        return o;
    }
}
