package io.agentmesh.sim.check;

import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.sim.check.WalletRecords.ChainHistory;
import io.agentmesh.sim.check.WalletRecords.LedgerFinal;
import io.agentmesh.sim.check.WalletRecords.MinedTx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * No nonce is abandoned: in every running node's ledger, every nonce from the first one to {@code nextNonce - 1}
 * belongs to a spend, and a spend that ended with a nonce had a transaction mined at that nonce (a spend that must not
 * happen is cancelled at its own nonce, never dropped, or every later nonce would be stuck forever); and the chain
 * mined no nonce the ledger did not allocate.
 */
public final class WalletNoAbandonedNonceChecker extends NamedChecker {
    public static final String NAME = "wallet-no-abandoned-nonce";

    public WalletNoAbandonedNonceChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<ChainHistory> chains = h.records(ChainHistory.class);
        if (chains.size() != 1) {
            return fail("the run recorded " + chains.size() + " chain histories, expected 1");
        }
        Map<Long, MinedTx> minedAt = new TreeMap<>();
        for (MinedTx t : chains.getFirst().txs()) {
            minedAt.put(t.nonce(), t);
        }
        List<String> violations = new ArrayList<>();
        long nonces = 0;
        for (LedgerFinal l : h.records(LedgerFinal.class)) {
            Map<Long, Spend> byNonce = new TreeMap<>();
            for (Spend s : l.spends()) {
                s.nonce().ifPresent(n -> byNonce.put(n, s));
            }
            for (long n = l.firstNonce(); n < l.nextNonce(); n++) {
                nonces++;
                Spend s = byNonce.get(n);
                if (s == null) {
                    violations.add(l.node() + ": nonce " + n + " was allocated and belongs to no spend");
                } else if (s.state().terminal() && !minedAt.containsKey(n)) {
                    violations.add(l.node() + ": spend " + s.id() + " ended " + s.state() + " at nonce " + n
                            + ", which the chain never mined: every later nonce is stuck");
                }
            }
            for (long n : minedAt.keySet()) {
                if (n >= l.nextNonce()) {
                    violations.add(l.node() + ": the chain mined nonce " + n + ", which the ledger (next nonce "
                            + l.nextNonce() + ") never allocated");
                }
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " abandoned or unexplained nonces", LlmAnsweredOnceChecker.cap(violations));
        }
        return pass(nonces + " allocated nonces across the ledgers, none abandoned; the chain mined "
                + minedAt.size());
    }
}
