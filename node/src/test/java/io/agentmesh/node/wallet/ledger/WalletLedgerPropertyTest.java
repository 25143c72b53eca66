package io.agentmesh.node.wallet.ledger;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import static io.agentmesh.node.wallet.ledger.WalletOps.BOB;
import static io.agentmesh.node.wallet.ledger.WalletOps.CAROL;
import static io.agentmesh.node.wallet.ledger.WalletOps.CHAIN;
import static io.agentmesh.node.wallet.ledger.WalletOps.GAS;
import static io.agentmesh.node.wallet.ledger.WalletOps.NOON;
import static io.agentmesh.node.wallet.ledger.WalletOps.WALLET;
import static io.agentmesh.node.wallet.ledger.WalletOps.gwei;
import static io.agentmesh.node.wallet.ledger.WalletOps.hash;
import static io.agentmesh.node.wallet.ledger.WalletOps.milliEth;
import static io.agentmesh.node.wallet.ledger.WalletOps.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random operation sequences over several leaders' terms (seeded, so a failure names its seed): claims with reused
 * keys, approvals, rejections, expiries, prepares with right and wrong nonces, bumps, cancels, inclusions, reorgs,
 * completions in and out of order, freezes, stale terms, and snapshots installed into a fresh ledger at random points.
 * After every operation: per day, spent plus reserved stays within the budget; no nonce belongs to two spends; the
 * nonces allocated are a gapless range from the chain's first nonce; one key never yields two spends; every completion
 * charges at most its reservation and the day's spent is the sum of the charges; the ledger's own invariants hold;
 * and a refused operation changed nothing.
 */
class WalletLedgerPropertyTest {
    private static final long FIRST_NONCE = 3;
    private static final BigInteger BUDGET = milliEth(2_000);
    private static final WalletPolicy POLICY = new WalletPolicy(milliEth(500), BUDGET, List.of(BOB, CAROL), 40,
            600_000, Optional.of(milliEth(300)), 1_800_000, false);
    private static final String[] TO = {BOB, CAROL, WALLET};

    /** What the runs did, by result (or refusal reason): the sequences must reach every part of the protocol. */
    private final Map<String, Integer> outcomes = new TreeMap<>();

    @Test
    void budgetsNoncesKeysAndSettlementsHoldWhateverTheSequence() {
        for (int seed = 0; seed < 150; seed++) {
            try {
                run(seed, 400);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
        for (String reached : List.of("Completed", "Expired", "Rejected", "Reorged", "refused OVER_DAILY_BUDGET",
                "refused WRONG_NONCE", "refused OUT_OF_ORDER", "refused RAW_MISMATCH", "refused STALE_TERM")) {
            assertTrue(outcomes.getOrDefault(reached, 0) >= 20, "the runs reached " + reached + ": " + outcomes);
        }
    }

    private final class Run {
        WalletLedger ledger = new WalletLedger();
        long index;
        long term = 1;
        long now = NOON;
        final Map<String, Long> keyToSpend = new HashMap<>();
        final TreeMap<Long, Long> nonceToSpend = new TreeMap<>();
        final Map<Long, BigInteger> chargedByDay = new HashMap<>();

        WalletResult apply(WalletOp op) {
            return ledger.apply(++index, op);
        }
    }

    private void run(int seed, int steps) {
        Random rnd = new Random(seed);
        Run r = new Run();
        r.apply(new WalletOp.SyncChain("n", 1, CHAIN, WALLET, FIRST_NONCE, NOON));
        r.apply(new WalletOp.SetPolicy("n", 1, POLICY, NOON));
        for (int step = 0; step < steps; step++) {
            r.now += rnd.nextInt(5) == 0 ? rnd.nextInt(6 * 3_600_000) : rnd.nextInt(60_000);
            if (rnd.nextInt(50) == 0) {
                r.term++;
            }
            long opTerm = rnd.nextInt(30) == 0 ? Math.max(0, r.term - 1) : r.term;
            WalletOp op = randomOp(rnd, r, opTerm);
            String before = rnd.nextInt(10) == 0 ? view(r.ledger) : null;
            WalletResult result = r.apply(op);
            outcomes.merge(result instanceof WalletResult.Refused f ? "refused " + f.reason()
                    : result.getClass().getSimpleName(), 1, Integer::sum);
            record(r, result);
            if (result instanceof WalletResult.Refused && before != null) {
                assertEquals(before, view(r.ledger), "refused " + op + " changed the ledger");
            }
            check(r);
            if (rnd.nextInt(60) == 0) {
                WalletLedger restored = new WalletLedger();
                List<WalletSnapshotChunk> chunks = new ArrayList<>();
                r.ledger.takeSnapshot(chunks::add);
                java.util.Collections.shuffle(chunks, rnd);
                restored.installSnapshot(r.index, chunks);
                assertEquals(view(r.ledger), view(restored), "a snapshot round trip");
                r.ledger = restored;
            }
        }
    }

    private WalletOp randomOp(Random rnd, Run r, long term) {
        List<Spend> open = r.ledger.openSpends();
        Spend any = open.isEmpty() ? null : open.get(rnd.nextInt(open.size()));
        int kind = rnd.nextInt(100);
        if (kind < 30 || any == null) {
            String key = "k" + rnd.nextInt(150);
            BigInteger value = milliEth(rnd.nextInt(10) == 0 ? 600 : rnd.nextInt(400));
            return new WalletOp.Claim("n", term, key, TO[rnd.nextInt(TO.length)], value, "0x", GAS,
                    gwei(1 + rnd.nextInt(80)), "api", r.now);
        }
        if (kind < 35) {
            return new WalletOp.Approve("n", term, any.id(), "alice", r.now);
        }
        if (kind < 38) {
            return new WalletOp.Reject("n", term, any.id(), "alice", "", r.now);
        }
        if (kind < 42) {
            return new WalletOp.Expire("n", term, any.id(), r.now);
        }
        if (kind < 60) {
            // Prepare the first preparable spend, usually at the right nonce.
            Spend s = open.stream().filter(x -> x.state().preparable()).findFirst().orElse(any);
            long next = r.ledger.status(r.now).nextNonce();
            long nonce = rnd.nextInt(8) == 0 ? next + rnd.nextInt(3) - 1 : s.nonce().orElse(next);
            return variant(rnd, r, s, nonce, term, rnd.nextInt(6) == 0 ? VariantKind.CANCEL : VariantKind.TRANSFER);
        }
        if (kind < 66 && any.nonce().isPresent()) {
            return variant(rnd, r, any, any.nonce().getAsLong(), term,
                    rnd.nextBoolean() ? VariantKind.CANCEL : VariantKind.TRANSFER);
        }
        // Mostly the lowest nonce, as the chain mines them.
        Spend lowest = open.getFirst().nonce().isPresent() && rnd.nextInt(4) != 0 ? open.getFirst() : any;
        if (kind < 80 && !lowest.variants().isEmpty()) {
            Variant v = lowest.variants().get(rnd.nextInt(lowest.variants().size()));
            return new WalletOp.Included("n", term, lowest.id(), v.hash(), 1000 + r.index, "0x" + "a".repeat(64),
                    rnd.nextInt(5) != 0, r.now);
        }
        if (kind < 84 && any.inclusion().isPresent()) {
            return new WalletOp.Reorged("n", term, any.id(), any.inclusion().get().hash(), r.now);
        }
        if (kind < 97) {
            // Complete the lowest included spend, now and then another one.
            Spend s = rnd.nextInt(5) == 0 ? any : lowest;
            String h = s.inclusion().map(Inclusion::hash).orElse(s.variants().isEmpty() ? "0x" + "e".repeat(64)
                    : s.variants().getFirst().hash());
            Optional<Variant> v = s.variant(h);
            long gasUsed = GAS;
            BigInteger price = v.map(x -> x.maxFeePerGasWei().subtract(BigInteger.valueOf(rnd.nextInt(3))).max(
                    BigInteger.ZERO)).orElse(gwei(1));
            if (rnd.nextInt(20) == 0) {
                price = price.add(gwei(1)); // above the variant's fee cap: refused
            }
            return new WalletOp.Complete("n", term, s.id(), h, gasUsed, price, r.now);
        }
        return rnd.nextInt(8) == 0 ? new WalletOp.Freeze("n", term, "watchdog", "test", r.now)
                : new WalletOp.Unfreeze("n", term, "alice", r.now);
    }

    private WalletOp variant(Random rnd, Run r, Spend s, long nonce, long term, VariantKind kind) {
        BigInteger maxFee = s.latestVariant().map(v -> v.maxFeePerGasWei().multiply(BigInteger.valueOf(
                rnd.nextInt(4) == 0 ? 105 : 115)).divide(BigInteger.valueOf(100)))
                .orElse(s.maxFeePerGasWei().subtract(BigInteger.valueOf(rnd.nextInt(1000))).max(BigInteger.ONE));
        if (rnd.nextInt(10) == 0) {
            maxFee = maxFee.multiply(BigInteger.TWO); // may pass the reservation
        }
        BigInteger tip = maxFee.divide(BigInteger.TEN);
        String to = kind == VariantKind.CANCEL ? WALLET : s.to();
        BigInteger value = kind == VariantKind.CANCEL ? BigInteger.ZERO : s.valueWei();
        if (rnd.nextInt(25) == 0) {
            value = value.add(BigInteger.ONE); // bytes that do not say what the spend says
        }
        String rawTx = raw(CHAIN, nonce, tip, maxFee, GAS, to, value, kind == VariantKind.CANCEL ? "0x" : s.data());
        return new WalletOp.Prepare("n", term, s.id(), nonce, kind, rawTx, hash(rawTx), maxFee, tip, GAS, r.now);
    }

    private void record(Run r, WalletResult result) {
        switch (result) {
            case WalletResult.Claimed c -> {
                Long before = r.keyToSpend.putIfAbsent(c.spend().idempotencyKey(), c.spend().id());
                if (before != null && before != c.spend().id()) {
                    fail("key " + c.spend().idempotencyKey() + " yielded spends " + before + " and " + c.spend().id());
                }
                assertEquals(c.duplicate(), before != null, "a claim is a duplicate exactly when its key is known");
            }
            case WalletResult.Prepared p when !p.duplicate() -> {
                long n = p.spend().nonce().getAsLong();
                Long before = r.nonceToSpend.putIfAbsent(n, p.spend().id());
                if (before != null && before != p.spend().id()) {
                    fail("nonce " + n + " given to spends " + before + " and " + p.spend().id());
                }
                for (Variant v : p.spend().variants()) {
                    assertTrue(v.worstCaseWei().compareTo(p.spend().reservedWei()) <= 0, "a variant fits");
                }
            }
            case WalletResult.Completed c -> {
                Settlement s = c.spend().settlement().get();
                BigInteger reserved = s.chargedWei().add(s.releasedWei());
                assertTrue(s.releasedWei().signum() >= 0, "a settlement never charges more than it reserved");
                assertEquals(Spend.worstCaseWei(c.spend().valueWei(), c.spend().gasLimit(),
                        c.spend().maxFeePerGasWei()), reserved, "charged + released is the reservation");
                long day = WalletLedger.day(c.spend().requestedAtMillis());
                if (c.spend().endedIndex() == r.index) {
                    r.chargedByDay.merge(day, s.chargedWei(), BigInteger::add);
                }
            }
            default -> {
            }
        }
    }

    private void check(Run r) {
        assertEquals(Optional.empty(), r.ledger.invariantProblem());
        long next = r.ledger.status(r.now).nextNonce();
        assertEquals(next - FIRST_NONCE, r.nonceToSpend.size(), "every nonce allocated belongs to a spend");
        if (!r.nonceToSpend.isEmpty()) {
            assertEquals(FIRST_NONCE, r.nonceToSpend.firstKey(), "no gap at the start");
            assertEquals(next - 1, r.nonceToSpend.lastKey(), "no gap at the end");
        }
        for (Map.Entry<Long, BigInteger> e : r.chargedByDay.entrySet()) {
            long dayMillis = e.getKey() * WalletLedger.MILLIS_PER_DAY;
            WalletStatus st = r.ledger.status(dayMillis);
            assertEquals(e.getValue(), st.spentWei(), "the day's spent is the sum of its settlements");
            assertTrue(st.spentWei().add(st.reservedWei()).compareTo(BUDGET) <= 0, "spent " + st.spentWei()
                    + " + reserved " + st.reservedWei() + " within the budget " + BUDGET);
        }
        WalletStatus today = r.ledger.status(r.now);
        assertTrue(today.spentWei().add(today.reservedWei()).compareTo(BUDGET) <= 0, "today within the budget");
    }

    static String view(WalletLedger l) {
        List<Spend> all = new ArrayList<>(l.openSpends());
        all.addAll(l.endedSpends(Integer.MAX_VALUE));
        List<WalletSnapshotChunk> chunks = new ArrayList<>();
        l.takeSnapshot(chunks::add);
        return l.status(NOON) + "|" + all + "|" + chunks;
    }

}
