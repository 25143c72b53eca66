package io.agentmesh.sim.check;

import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.Variant;
import io.agentmesh.sim.check.WalletRecords.ChainHistory;
import io.agentmesh.sim.check.WalletRecords.LedgerFinal;
import io.agentmesh.sim.check.WalletRecords.MinedTx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * No double spend, judged by the chain's history against the journal: every transaction the chain mined from the
 * wallet is a committed variant of a spend in every running node's ledger (so no uncommitted or foreign bytes were
 * mined), no spend has two mined transactions, one idempotency key is one spend, and a spend that ended on the chain
 * names the transaction the chain mined at its nonce.
 */
public final class WalletNoDoubleSpendChecker extends NamedChecker {
    public static final String NAME = "wallet-no-double-spend";

    public WalletNoDoubleSpendChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<ChainHistory> chains = h.records(ChainHistory.class);
        if (chains.size() != 1) {
            return fail("the run recorded " + chains.size() + " chain histories, expected 1");
        }
        List<MinedTx> mined = chains.getFirst().txs();
        List<String> violations = new ArrayList<>();
        List<LedgerFinal> ledgers = h.records(LedgerFinal.class);
        for (LedgerFinal l : ledgers) {
            Map<String, Long> spendOfHash = new TreeMap<>();
            Map<String, Long> spendOfKey = new TreeMap<>();
            for (Spend s : l.spends()) {
                for (Variant v : s.variants()) {
                    spendOfHash.put(v.hash(), s.id());
                }
                Long other = spendOfKey.put(s.idempotencyKey(), s.id());
                if (other != null) {
                    violations.add(l.node() + ": key \"" + s.idempotencyKey() + "\" is spends " + other + " and "
                            + s.id());
                }
            }
            Map<Long, String> minedOfSpend = new TreeMap<>();
            Map<Long, String> minedAtNonce = new TreeMap<>();
            for (MinedTx t : mined) {
                minedAtNonce.put(t.nonce(), t.hash());
                Long id = spendOfHash.get(t.hash());
                if (id == null) {
                    violations.add(l.node() + ": the chain mined " + t.hash() + " (nonce " + t.nonce() + ", "
                            + t.valueWei() + " wei to " + t.to() + "), which is no committed variant of any spend");
                    continue;
                }
                String before = minedOfSpend.put(id, t.hash());
                if (before != null) {
                    violations.add(l.node() + ": spend " + id + " was mined twice: " + before + " and " + t.hash());
                }
            }
            for (Spend s : l.spends()) {
                if (s.settlement().isPresent()) {
                    String chainHash = minedAtNonce.get(s.nonce().getAsLong());
                    if (!s.settlement().get().hash().equals(chainHash)) {
                        violations.add(l.node() + ": spend " + s.id() + " ended with " + s.settlement().get().hash()
                                + " but the chain mined " + chainHash + " at nonce " + s.nonce().getAsLong());
                    }
                }
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " double spends or mined transactions the journal does not explain",
                    LlmAnsweredOnceChecker.cap(violations));
        }
        return pass(mined.size() + " mined transactions, each the one committed variant of its spend in "
                + ledgers.size() + " ledgers");
    }
}
