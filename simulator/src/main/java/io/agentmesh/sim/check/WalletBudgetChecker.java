package io.agentmesh.sim.check;

import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.Variant;
import io.agentmesh.node.wallet.ledger.VariantKind;
import io.agentmesh.sim.check.WalletRecords.ChainHistory;
import io.agentmesh.sim.check.WalletRecords.LedgerFinal;
import io.agentmesh.sim.check.WalletRecords.MinedTx;
import io.agentmesh.sim.check.WalletRecords.Policy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The budget is never exceeded, by the policy the run configured: per UTC day of each spend's claim, what the chain
 * actually took (the value of a mined transfer plus the fee of every mined transaction) is within the daily budget,
 * and so is what each ledger counts (settled charges plus open reservations); no mined transfer is above the
 * per-transaction cap.
 */
public final class WalletBudgetChecker extends NamedChecker {
    public static final String NAME = "wallet-budget-never-exceeded";
    private static final long MILLIS_PER_DAY = 86_400_000L;

    public WalletBudgetChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<Policy> policies = h.records(Policy.class);
        List<ChainHistory> chains = h.records(ChainHistory.class);
        if (policies.size() != 1 || chains.size() != 1) {
            return fail("the run recorded " + policies.size() + " wallet policies and " + chains.size()
                    + " chain histories, expected 1 each");
        }
        Policy p = policies.getFirst();
        Map<String, MinedTx> mined = new TreeMap<>();
        chains.getFirst().txs().forEach(t -> mined.put(t.hash(), t));
        List<String> violations = new ArrayList<>();
        BigInteger fullest = BigInteger.ZERO;
        for (LedgerFinal l : h.records(LedgerFinal.class)) {
            Map<Long, BigInteger> taken = new TreeMap<>();
            Map<Long, BigInteger> counted = new TreeMap<>();
            for (Spend s : l.spends()) {
                long day = Math.floorDiv(s.requestedAtMillis(), MILLIS_PER_DAY);
                counted.merge(day, s.settlement().map(st -> st.chargedWei()).orElse(s.reservedWei()), BigInteger::add);
                for (Variant v : s.variants()) {
                    Optional<MinedTx> t = Optional.ofNullable(mined.get(v.hash()));
                    if (t.isEmpty()) {
                        continue;
                    }
                    BigInteger value = v.kind() == VariantKind.TRANSFER ? t.get().valueWei() : BigInteger.ZERO;
                    taken.merge(day, value.add(t.get().feeWei()), BigInteger::add);
                    if (value.compareTo(p.perTxCapWei()) > 0) {
                        violations.add(l.node() + ": spend " + s.id() + " moved " + value + " wei, above the cap "
                                + p.perTxCapWei());
                    }
                }
            }
            for (Map.Entry<Long, BigInteger> e : taken.entrySet()) {
                fullest = fullest.max(e.getValue());
                if (e.getValue().compareTo(p.dailyBudgetWei()) > 0) {
                    violations.add(l.node() + ": the chain took " + e.getValue() + " wei for spends claimed on day "
                            + e.getKey() + ", above the budget " + p.dailyBudgetWei());
                }
            }
            for (Map.Entry<Long, BigInteger> e : counted.entrySet()) {
                if (e.getValue().compareTo(p.dailyBudgetWei()) > 0) {
                    violations.add(l.node() + ": the ledger counts " + e.getValue() + " wei spent and reserved on day "
                            + e.getKey() + ", above the budget " + p.dailyBudgetWei());
                }
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " budget violations", LlmAnsweredOnceChecker.cap(violations));
        }
        return pass("every day within " + p.dailyBudgetWei() + " wei; the fullest took " + fullest);
    }
}
