package io.agentmesh.sim.check;

import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.Variant;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletOps;
import io.agentmesh.node.wallet.ledger.WalletPolicy;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.sim.world.FakeChain;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.agentmesh.node.wallet.ledger.WalletOps.BOB;
import static io.agentmesh.node.wallet.ledger.WalletOps.CHAIN;
import static io.agentmesh.node.wallet.ledger.WalletOps.NODE;
import static io.agentmesh.node.wallet.ledger.WalletOps.NOON;
import static io.agentmesh.node.wallet.ledger.WalletOps.WALLET;
import static io.agentmesh.node.wallet.ledger.WalletOps.gwei;
import static io.agentmesh.node.wallet.ledger.WalletOps.milliEth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wallet checkers on the simulated chain: a run that follows the protocol passes all three; each planted bug (a
 * driver that broadcasts before its prepare commits, one that trusts a receipt it never checked, one that commits a
 * policy other than the configured one) is caught by the checker for it. Also the chain's own rules.
 */
class WalletCheckersTest {
    private static final List<NamedChecker> CHECKERS = List.of(new WalletNoDoubleSpendChecker(),
            new WalletNoAbandonedNonceChecker(), new WalletBudgetChecker());

    private final FakeChain chain = new FakeChain(CHAIN, gwei(10));
    private final WalletOps.Log log = new WalletOps.Log().ready(0);

    private Spend claim(String key, long milliEth) {
        return assertInstanceOf(WalletResult.Claimed.class, log.apply(WalletOps.claim(key, BOB, milliEth(milliEth),
                NOON))).spend();
    }

    /** The protocol: commit the prepare, then broadcast exactly the committed bytes. */
    private Spend prepareAndSend(Spend s, long nonce) {
        WalletResult r = log.apply(WalletOps.prepare(s, nonce, 2, 40));
        Spend p = assertInstanceOf(WalletResult.Prepared.class, r).spend();
        assertEquals(FakeChain.SendResult.ACCEPTED, chain.send(WALLET, p.latestVariant().get().raw()));
        return p;
    }

    /** Observes every variant's receipt and completes what the chain mined, in nonce order. */
    private void observeAndComplete() {
        for (Spend s : log.ledger.openSpends()) {
            for (Variant v : s.variants()) {
                Optional<FakeChain.Receipt> r = chain.receipt(v.hash());
                if (r.isPresent()) {
                    log.apply(new WalletOp.Included(NODE, 1, s.id(), v.hash(), r.get().blockNumber(),
                            r.get().blockHash(), true, NOON));
                    log.apply(new WalletOp.Complete(NODE, 1, s.id(), v.hash(), r.get().gasUsed(),
                            r.get().effectiveGasPriceWei(), NOON));
                }
            }
        }
    }

    private History history(WalletPolicy configured) {
        History h = new History(List.of("a"));
        h.record(WalletRecords.Policy.class, new WalletRecords.Policy(configured.perTxCapWei(),
                configured.dailyBudgetWei()));
        List<WalletRecords.MinedTx> txs = new ArrayList<>();
        for (FakeChain.Block b : chain.blocks()) {
            for (FakeChain.Tx t : b.txs()) {
                if (t.from().equals(WALLET)) {
                    txs.add(new WalletRecords.MinedTx(t.hash(), t.nonce(), t.to(), t.valueWei(),
                            chain.receipt(t.hash()).get().feeWei(), b.number()));
                }
            }
        }
        h.record(WalletRecords.ChainHistory.class, new WalletRecords.ChainHistory(WALLET, txs));
        WalletLedger l = log.ledger;
        List<Spend> spends = new ArrayList<>(l.openSpends());
        spends.addAll(l.endedSpends(Integer.MAX_VALUE));
        h.record(WalletRecords.LedgerFinal.class, new WalletRecords.LedgerFinal("a", 0, l.status(NOON).nextNonce(),
                spends));
        return h;
    }

    private static List<String> failing(History h) {
        return CHECKERS.stream().map(c -> c.check(h)).filter(v -> !v.passed()).map(Verdict::checker).toList();
    }

    @Test
    void aRunThatFollowsTheProtocolPassesEveryWalletChecker() {
        Spend a = prepareAndSend(claim("a", 100), 0);
        Spend b = prepareAndSend(claim("b", 200), 1);
        // Both are stuck behind a base-fee spike, bumped (committed, then sent), and the bumps are what get mined.
        chain.setBaseFee(gwei(41));
        assertTrue(chain.mine(10).txs().isEmpty());
        for (Spend s : List.of(a, b)) {
            Spend bumped = assertInstanceOf(WalletResult.Prepared.class, log.apply(WalletOps.prepare(s,
                    s.nonce().getAsLong(), 3, 44))).spend();
            assertEquals(FakeChain.SendResult.REPLACED, chain.send(WALLET, bumped.latestVariant().get().raw()));
        }
        assertEquals(2, chain.mine(10).txs().size());
        chain.setBaseFee(gwei(10));
        observeAndComplete();
        assertEquals(2, log.ledger.spend(b.id()).get().variants().size());
        assertEquals(log.ledger.spend(b.id()).get().variants().get(1).hash(),
                log.ledger.spend(b.id()).get().settlement().get().hash());
        Spend c = prepareAndSend(claim("c", 300), 2);
        chain.drop(c.latestVariant().get().hash());
        chain.mine(10);
        assertEquals(FakeChain.SendResult.ACCEPTED, chain.send(WALLET, c.latestVariant().get().raw()));
        assertEquals(FakeChain.SendResult.ALREADY_KNOWN, chain.send(WALLET, c.latestVariant().get().raw()));
        chain.mine(10);
        observeAndComplete();
        assertEquals(FakeChain.SendResult.NONCE_TOO_LOW, chain.send(WALLET, a.latestVariant().get().raw()));
        assertEquals(3, chain.transactionCount(WALLET));
        assertTrue(log.ledger.openSpends().isEmpty(), log.ledger.openSpends().toString());
        History h = history(WalletOps.policy());
        assertEquals(List.of(), failing(h));
        assertTrue(b.id() > a.id());
    }

    @Test
    void plantedBroadcastBeforeCommitIsCaughtAsADoubleSpend() {
        Spend a = claim("a", 100);
        // The bug: the driver signs a at nonce 0 and broadcasts before its prepare commits; the prepare is lost
        // (leadership changed), and the next leader prepares a again at the next nonce the ledger gives.
        WalletOp.Prepare lost = WalletOps.prepare(a, 0, 2, 40);
        chain.send(WALLET, lost.raw());
        Spend other = assertInstanceOf(WalletResult.Prepared.class, log.apply(WalletOps.prepare(claim("z", 1), 0, 2,
                40))).spend();
        assertEquals(FakeChain.SendResult.UNDERPRICED, chain.send(WALLET, other.latestVariant().get().raw()));
        chain.mine(10); // the lost bytes won nonce 0
        prepareAndSend(a, 1);
        chain.mine(10);
        observeAndComplete();
        List<String> failed = failing(history(WalletOps.policy()));
        assertTrue(failed.contains(WalletNoDoubleSpendChecker.NAME), failed.toString());
        assertTrue(other.nonce().isPresent());
    }

    @Test
    void plantedUncheckedReceiptIsCaughtAsAnAbandonedNonce() {
        Spend a = prepareAndSend(claim("a", 100), 0);
        chain.drop(a.latestVariant().get().hash());
        // The bug: the driver completes a spend from a receipt it made up, so nonce 0 is never mined.
        String h = a.latestVariant().get().hash();
        log.apply(new WalletOp.Included(NODE, 1, a.id(), h, 1, "0x" + "f".repeat(64), true, NOON));
        log.apply(new WalletOp.Complete(NODE, 1, a.id(), h, 21_000, gwei(10), NOON));
        chain.mine(10);
        List<String> failed = failing(history(WalletOps.policy()));
        assertTrue(failed.contains(WalletNoAbandonedNonceChecker.NAME), failed.toString());
    }

    @Test
    void plantedPolicyFromTheWrongSourceIsCaughtAsABudgetExceeded() {
        WalletPolicy configured = WalletOps.policy();
        // The bug: the leader commits a policy that is not its configuration (say, one the agent asked for).
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(configured.perTxCapWei(),
                configured.dailyBudgetWei().multiply(BigInteger.TEN), List.of(), 100, 60_000, Optional.empty(),
                60_000, false), NOON));
        for (int i = 0; i < 4; i++) {
            prepareAndSend(claim("k" + i, 900), i);
        }
        chain.mine(10);
        observeAndComplete();
        List<String> failed = failing(history(configured));
        assertTrue(failed.contains(WalletBudgetChecker.NAME), failed.toString());
        assertFalse(failed.contains(WalletNoDoubleSpendChecker.NAME), failed.toString());
    }

    @Test
    void theChainMinesOneTransactionPerNonceAndReplacesOnlyWithATenPercentBump() {
        Spend a = claim("a", 100);
        String first = WalletOps.raw(CHAIN, 0, gwei(2), gwei(40), 21_000, BOB, a.valueWei(), "0x");
        String same = WalletOps.raw(CHAIN, 0, gwei(2), gwei(43), 21_000, BOB, a.valueWei(), "0x");
        String bump = WalletOps.raw(CHAIN, 0, gwei(3), gwei(44), 21_000, BOB, a.valueWei(), "0x");
        assertEquals(FakeChain.SendResult.ACCEPTED, chain.send(WALLET, first));
        assertEquals(FakeChain.SendResult.UNDERPRICED, chain.send(WALLET, same));
        assertEquals(FakeChain.SendResult.REPLACED, chain.send(WALLET, bump));
        assertEquals(FakeChain.SendResult.WRONG_CHAIN, chain.send(WALLET, WalletOps.raw(1, 0, gwei(3), gwei(44),
                21_000, BOB, a.valueWei(), "0x")));
        assertEquals(FakeChain.SendResult.MALFORMED, chain.send(WALLET, "0x02c0"));
        FakeChain.Block b = chain.mine(10);
        assertEquals(1, b.txs().size());
        assertEquals(WalletOps.hash(bump), b.txs().getFirst().hash());
        assertTrue(chain.receipt(WalletOps.hash(first)).isEmpty());
        assertEquals(gwei(13), chain.receipt(WalletOps.hash(bump)).get().effectiveGasPriceWei());
        chain.reorg(1);
        assertTrue(chain.receipt(WalletOps.hash(bump)).isEmpty());
        assertEquals(0, chain.transactionCount(WALLET));
        assertEquals(FakeChain.SendResult.ACCEPTED, chain.send(WALLET, bump));
    }
}
