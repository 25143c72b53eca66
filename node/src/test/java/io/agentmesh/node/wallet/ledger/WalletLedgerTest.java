package io.agentmesh.node.wallet.ledger;

import io.agentmesh.node.wallet.ledger.WalletResult.Reason;
import io.agentmesh.node.wallet.ledger.WalletResult.Refused;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.agentmesh.node.wallet.ledger.WalletOps.BOB;
import static io.agentmesh.node.wallet.ledger.WalletOps.CAROL;
import static io.agentmesh.node.wallet.ledger.WalletOps.CHAIN;
import static io.agentmesh.node.wallet.ledger.WalletOps.ETH;
import static io.agentmesh.node.wallet.ledger.WalletOps.GAS;
import static io.agentmesh.node.wallet.ledger.WalletOps.NODE;
import static io.agentmesh.node.wallet.ledger.WalletOps.NOON;
import static io.agentmesh.node.wallet.ledger.WalletOps.WALLET;
import static io.agentmesh.node.wallet.ledger.WalletOps.cancel;
import static io.agentmesh.node.wallet.ledger.WalletOps.claim;
import static io.agentmesh.node.wallet.ledger.WalletOps.gwei;
import static io.agentmesh.node.wallet.ledger.WalletOps.hash;
import static io.agentmesh.node.wallet.ledger.WalletOps.milliEth;
import static io.agentmesh.node.wallet.ledger.WalletOps.prepare;
import static io.agentmesh.node.wallet.ledger.WalletOps.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each rule of the wallet ledger, one at a time. */
class WalletLedgerTest {
    private static final String BLOCK = "0x" + "b".repeat(64);
    private static final String BLOCK2 = "0x" + "c".repeat(64);

    private final WalletOps.Log log = new WalletOps.Log().ready(7);
    private final WalletLedger ledger = log.ledger;

    private Spend claimed(String key, BigInteger value) {
        return assertInstanceOf(WalletResult.Claimed.class, log.apply(claim(key, BOB, value, NOON))).spend();
    }

    private Spend prepared(Spend s, long nonce) {
        return assertInstanceOf(WalletResult.Prepared.class, log.apply(prepare(s, nonce, 2, 40))).spend();
    }

    private Reason refused(WalletOp op) {
        return assertInstanceOf(Refused.class, log.apply(op)).reason();
    }

    private WalletOp.Included included(Spend s, String hash, boolean succeeded) {
        return new WalletOp.Included(NODE, 1, s.id(), hash, 100, BLOCK, succeeded, NOON);
    }

    /** Everything about the ledger a reader sees, to prove a refusal changed nothing. */
    private String view() {
        List<Spend> all = new ArrayList<>(ledger.openSpends());
        all.addAll(ledger.endedSpends(10_000));
        return ledger.status(NOON) + "|" + all;
    }

    // ---- claims

    @Test
    void aClaimReservesItsWorstCaseAndGetsNoNonce() {
        Spend s = claimed("k1", milliEth(100));
        assertEquals(SpendState.CLAIMED, s.state());
        assertTrue(s.nonce().isEmpty());
        BigInteger worst = milliEth(100).add(BigInteger.valueOf(GAS).multiply(gwei(50)));
        assertEquals(worst, s.reservedWei());
        assertEquals(worst, ledger.status(NOON).reservedWei());
        assertEquals(7, ledger.status(NOON).nextNonce());
    }

    @Test
    void noPolicyMeansNothingIsClaimed() {
        WalletOps.Log fresh = new WalletOps.Log();
        Refused r = assertInstanceOf(Refused.class, fresh.apply(claim("k", BOB, milliEth(1), NOON)));
        assertEquals(Reason.NO_POLICY, r.reason());
        assertTrue(fresh.ledger.openSpends().isEmpty());
    }

    @Test
    void theSameIdempotencyKeyNeverYieldsASecondSpend() {
        Spend s = claimed("k1", milliEth(100));
        String before = view();
        WalletResult again = log.apply(claim("k1", BOB, milliEth(100), NOON + 5));
        assertEquals(new WalletResult.Claimed(s, true), again);
        assertEquals(before, view());
        assertEquals(Reason.IDEMPOTENCY_CONFLICT, refused(claim("k1", BOB, milliEth(101), NOON)));
        assertEquals(Reason.IDEMPOTENCY_CONFLICT, refused(claim("k1", CAROL, milliEth(100), NOON)));
        assertEquals(before, view());
        assertEquals(Optional.of(s), ledger.spendByKey("k1"));
    }

    @Test
    void aDuplicateClaimReturnsTheSpendInWhateverStateItReached() {
        Spend s = prepared(claimed("k1", milliEth(100)), 7);
        WalletResult.Claimed again = assertInstanceOf(WalletResult.Claimed.class,
                log.apply(claim("k1", BOB, milliEth(100), NOON)));
        assertTrue(again.duplicate());
        assertEquals(SpendState.PREPARED, again.spend().state());
        assertEquals(s, again.spend());
    }

    @Test
    void aRecipientOutsideTheAllowListIsRefused() {
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, ETH, List.of(BOB.toUpperCase()
                .replace("0X", "0x")), 10, 60_000, Optional.empty(), 60_000, false), NOON));
        assertEquals(Reason.RECIPIENT_NOT_ALLOWED, refused(claim("k", CAROL, milliEth(1), NOON)));
        assertInstanceOf(WalletResult.Claimed.class, log.apply(claim("k2", BOB, milliEth(1), NOON)));
    }

    @Test
    void aValueAboveThePerTransactionCapIsRefused() {
        assertEquals(Reason.OVER_PER_TX_CAP, refused(claim("k", BOB, ETH.add(BigInteger.ONE), NOON)));
        assertTrue(ledger.openSpends().isEmpty());
    }

    @Test
    void theDailyBudgetCountsSpentAndReservedAndRefusesWithTheFigures() {
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, ETH, List.of(), 100, 60_000,
                Optional.empty(), 60_000, false), NOON));
        BigInteger fee = BigInteger.valueOf(GAS).multiply(gwei(50));
        claimed("a", milliEth(600));
        Refused r = assertInstanceOf(Refused.class, log.apply(claim("b", BOB, milliEth(400), NOON)));
        assertEquals(Reason.OVER_DAILY_BUDGET, r.reason());
        assertTrue(r.message().contains("reserved " + milliEth(600).add(fee)), r.message());
        // Exactly what is left fits.
        BigInteger left = ETH.subtract(milliEth(600).add(fee)).subtract(fee);
        assertInstanceOf(WalletResult.Claimed.class, log.apply(claim("c", BOB, left, NOON)));
        assertEquals(BigInteger.ZERO, ledger.status(NOON).budgetLeftWei());
        // The next UTC day has its own budget.
        assertInstanceOf(WalletResult.Claimed.class, log.apply(claim("d", BOB, milliEth(600),
                NOON + WalletLedger.MILLIS_PER_DAY)));
    }

    @Test
    void velocityRefusesTheClaimPastTheWindowsLimitAndForgetsRejectedOnes() {
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, ETH, List.of(), 2, 60_000,
                Optional.empty(), 60_000, false), NOON));
        claimed("a", milliEth(1));
        Spend b = claimed("b", milliEth(1));
        assertEquals(Reason.OVER_VELOCITY, refused(claim("c", BOB, milliEth(1), NOON + 59_999)));
        assertInstanceOf(WalletResult.Rejected.class, log.apply(new WalletOp.Reject(NODE, 1, b.id(), "alice", "no",
                NOON)));
        assertInstanceOf(WalletResult.Claimed.class, log.apply(claim("c", BOB, milliEth(1), NOON + 59_999)));
        assertEquals(Reason.OVER_VELOCITY, refused(claim("d", BOB, milliEth(1), NOON + 59_999)));
        assertInstanceOf(WalletResult.Claimed.class, log.apply(claim("d", BOB, milliEth(1), NOON + 60_000)));
    }

    @Test
    void theKillSwitchAndAFreezeStopNewClaims() {
        WalletPolicy p = WalletOps.policy();
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(p.perTxCapWei(), p.dailyBudgetWei(), List.of(),
                100, 60_000, Optional.empty(), 60_000, true), NOON));
        assertEquals(Reason.KILL_SWITCH, refused(claim("k", BOB, milliEth(1), NOON)));
        log.apply(new WalletOp.SetPolicy(NODE, 1, p, NOON));
        assertEquals(new WalletResult.Frozen("watchdog", "foreign nonce"), log.apply(new WalletOp.Freeze(NODE, 1,
                "watchdog", "foreign nonce", NOON)));
        // A second freeze keeps the first reason.
        assertEquals(new WalletResult.Frozen("watchdog", "foreign nonce"), log.apply(new WalletOp.Freeze(NODE, 1,
                "alice", "other", NOON)));
        assertEquals(Reason.FROZEN, refused(claim("k", BOB, milliEth(1), NOON)));
        assertEquals(Optional.of("watchdog: foreign nonce"), ledger.status(NOON).frozenReason());
        log.apply(new WalletOp.Unfreeze(NODE, 1, "alice", NOON));
        assertFalse(ledger.status(NOON).frozen());
        assertInstanceOf(WalletResult.Claimed.class, log.apply(claim("k", BOB, milliEth(1), NOON)));
    }

    @Test
    void tooManyOpenSpendsAreRefusedAsTheLedgersBound() {
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, ETH.multiply(BigInteger.valueOf(100)),
                List.of(), 10_000, 1, Optional.empty(), 60_000, false), NOON));
        for (int i = 0; i < WalletLedger.MAX_OPEN_SPENDS; i++) {
            assertInstanceOf(WalletResult.Claimed.class, log.apply(claim("k" + i, BOB, BigInteger.ONE, NOON + i)));
        }
        assertEquals(Reason.TOO_MANY_OPEN_SPENDS, refused(claim("more", BOB, BigInteger.ONE, NOON + 5_000)));
    }

    // ---- approval

    @Test
    void aSpendAboveTheThresholdWaitsForApprovalAndCannotBePreparedUntilApproved() {
        Spend s = claimed("big", milliEth(600));
        assertEquals(SpendState.AWAITING_APPROVAL, s.state());
        assertEquals(1, ledger.status(NOON).awaitingApproval());
        assertEquals(Reason.WRONG_STATE, refused(prepare(s, 7, 2, 40)));
        Spend a = assertInstanceOf(WalletResult.Approved.class, log.apply(new WalletOp.Approve(NODE, 1, s.id(),
                "alice", NOON + 10))).spend();
        assertEquals(SpendState.APPROVED, a.state());
        assertEquals("alice", a.decision().get().by());
        assertEquals(SpendState.PREPARED, prepared(a, 7).state());
    }

    @Test
    void aRejectionReleasesTheReservationAtZeroCost() {
        Spend s = claimed("big", milliEth(600));
        Spend r = assertInstanceOf(WalletResult.Rejected.class, log.apply(new WalletOp.Reject(NODE, 1, s.id(),
                "alice", "not today", NOON))).spend();
        assertEquals(SpendState.REJECTED, r.state());
        assertEquals(BigInteger.ZERO, r.reservedWei());
        assertEquals(BigInteger.ZERO, ledger.status(NOON).reservedWei());
        assertEquals(BigInteger.ZERO, ledger.status(NOON).spentWei());
        assertEquals(List.of(r), ledger.endedSpends(10));
        assertEquals(Reason.WRONG_STATE, refused(new WalletOp.Approve(NODE, 1, s.id(), "bob", NOON)));
    }

    @Test
    void aPreparedSpendCannotBeRejectedOnlyCancelled() {
        Spend s = prepared(claimed("k", milliEth(100)), 7);
        assertEquals(Reason.WRONG_STATE, refused(new WalletOp.Reject(NODE, 1, s.id(), "alice", "", NOON)));
        assertEquals(SpendState.PREPARED, ledger.spend(s.id()).get().state());
    }

    @Test
    void anApprovalExpiresOnlyAfterItsTimeout() {
        Spend s = claimed("big", milliEth(600));
        assertEquals(Reason.NOT_EXPIRED, refused(new WalletOp.Expire(NODE, 1, s.id(), NOON + 3_599_999)));
        Spend e = assertInstanceOf(WalletResult.Expired.class, log.apply(new WalletOp.Expire(NODE, 1, s.id(),
                NOON + 3_600_000))).spend();
        assertEquals(SpendState.EXPIRED, e.state());
        assertEquals(BigInteger.ZERO, ledger.status(NOON).reservedWei());
        // Applying it again (a re-proposal) answers the same and changes nothing.
        assertEquals(new WalletResult.Expired(e), log.apply(new WalletOp.Expire(NODE, 1, s.id(), NOON + 4_000_000)));
    }

    // ---- chain binding and nonces

    @Test
    void theFirstSyncSetsTheNonceFromTheChainAndLaterOnesNeverMoveIt() {
        WalletOps.Log fresh = new WalletOps.Log();
        assertEquals(new WalletResult.Synced(CHAIN, WALLET, 42, true), fresh.apply(new WalletOp.SyncChain(NODE, 1,
                CHAIN, WALLET.toUpperCase().replace("0X", "0x"), 42, NOON)));
        assertEquals(new WalletResult.Synced(CHAIN, WALLET, 42, false), fresh.apply(new WalletOp.SyncChain(NODE, 1,
                CHAIN, WALLET, 99, NOON)));
        Refused r = assertInstanceOf(Refused.class, fresh.apply(new WalletOp.SyncChain(NODE, 1, 1, WALLET, 42,
                NOON)));
        assertEquals(Reason.CHAIN_MISMATCH, r.reason());
        assertEquals(Reason.CHAIN_MISMATCH, assertInstanceOf(Refused.class, fresh.apply(new WalletOp.SyncChain(
                NODE, 1, CHAIN, BOB, 42, NOON))).reason());
        assertEquals(42, fresh.ledger.status(NOON).nextNonce());
    }

    @Test
    void nothingIsPreparedBeforeTheLedgerIsBoundToAChain() {
        WalletOps.Log fresh = new WalletOps.Log();
        fresh.apply(new WalletOp.SetPolicy(NODE, 1, WalletOps.policy(), NOON));
        Spend s = assertInstanceOf(WalletResult.Claimed.class, fresh.apply(claim("k", BOB, milliEth(1), NOON)))
                .spend();
        assertEquals(Reason.NOT_SYNCED, assertInstanceOf(Refused.class, fresh.apply(prepare(s, 0, 2, 40)))
                .reason());
    }

    @Test
    void aPrepareTakesExactlyTheNextNonceSoTwoSpendsNeverShareOne() {
        Spend a = claimed("a", milliEth(1));
        Spend b = claimed("b", milliEth(2));
        assertEquals(Reason.WRONG_NONCE, refused(prepare(a, 8, 2, 40)));
        assertEquals(Reason.WRONG_NONCE, refused(prepare(a, 6, 2, 40)));
        assertEquals(7, prepared(a, 7).nonce().getAsLong());
        // A second leader that signed b for nonce 7 too (it read the counter before a committed) is refused.
        assertEquals(Reason.WRONG_NONCE, refused(prepare(b, 7, 2, 40)));
        assertEquals(8, prepared(b, 8).nonce().getAsLong());
        assertEquals(9, ledger.status(NOON).nextNonce());
        assertEquals(List.of(7L, 8L), ledger.openSpends().stream().map(s -> s.nonce().getAsLong()).toList());
    }

    @Test
    void reproposingTheSamePrepareIsADuplicateThatChangesNothing() {
        Spend s = claimed("a", milliEth(1));
        WalletOp.Prepare p = prepare(s, 7, 2, 40);
        WalletResult.Prepared first = assertInstanceOf(WalletResult.Prepared.class, log.apply(p));
        assertFalse(first.duplicate());
        String before = view();
        WalletResult.Prepared again = assertInstanceOf(WalletResult.Prepared.class, log.apply(p));
        assertTrue(again.duplicate());
        assertEquals(first.variant(), again.variant());
        assertEquals(before, view());
    }

    @Test
    void theHashMustBeTheKeccakOfTheRawBytes() {
        Spend s = claimed("a", milliEth(1));
        WalletOp.Prepare p = prepare(s, 7, 2, 40);
        WalletOp.Prepare forged = new WalletOp.Prepare(NODE, 1, s.id(), 7, VariantKind.TRANSFER, p.raw(),
                "0x" + "1".repeat(64), p.maxFeePerGasWei(), p.maxPriorityFeePerGasWei(), p.gasLimit(), NOON);
        assertEquals(Reason.BAD_HASH, refused(forged));
        assertEquals(7, ledger.status(NOON).nextNonce());
    }

    @Test
    void signedBytesThatSaySomethingElseThanTheSpendAreRefused() {
        Spend s = claimed("a", milliEth(1));
        String before = view();
        assertEquals(Reason.RAW_MISMATCH, refused(prepare(s, 7, 2, 40, CAROL, s.valueWei(), "0x",
                VariantKind.TRANSFER, 1)));
        assertEquals(Reason.RAW_MISMATCH, refused(prepare(s, 7, 2, 40, BOB, milliEth(2), "0x",
                VariantKind.TRANSFER, 1)));
        assertEquals(Reason.RAW_MISMATCH, refused(prepare(s, 7, 2, 40, BOB, s.valueWei(), "0x00",
                VariantKind.TRANSFER, 1)));
        String otherChain = raw(1, 7, gwei(2), gwei(40), GAS, BOB, s.valueWei(), "0x");
        assertEquals(Reason.RAW_MISMATCH, refused(new WalletOp.Prepare(NODE, 1, s.id(), 7, VariantKind.TRANSFER,
                otherChain, hash(otherChain), gwei(40), gwei(2), GAS, NOON)));
        // The operation says other fees than the bytes.
        WalletOp.Prepare p = prepare(s, 7, 2, 40);
        assertEquals(Reason.RAW_MISMATCH, refused(new WalletOp.Prepare(NODE, 1, s.id(), 7, VariantKind.TRANSFER,
                p.raw(), p.hash(), gwei(30), gwei(2), GAS, NOON)));
        String legacy = "0xf86c0785";
        assertEquals(Reason.RAW_MISMATCH, refused(new WalletOp.Prepare(NODE, 1, s.id(), 7, VariantKind.TRANSFER,
                legacy, hash(legacy), gwei(40), gwei(2), GAS, NOON)));
        assertEquals(before, view());
    }

    @Test
    void aVariantMayNotPassTheClaimsFeeCapOrReservation() {
        Spend s = claimed("a", milliEth(1));
        assertEquals(Reason.OVER_RESERVATION, refused(prepare(s, 7, 2, 51)));
        assertEquals(7, ledger.status(NOON).nextNonce());
    }

    @Test
    void thePolicyIsCheckedAgainWhenTheSpendIsPrepared() {
        Spend s = claimed("a", milliEth(100));
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(milliEth(50), ETH, List.of(), 100, 60_000,
                Optional.empty(), 60_000, false), NOON));
        assertEquals(Reason.OVER_PER_TX_CAP, refused(prepare(s, 7, 2, 40)));
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, ETH, List.of(CAROL), 100, 60_000,
                Optional.empty(), 60_000, false), NOON));
        assertEquals(Reason.RECIPIENT_NOT_ALLOWED, refused(prepare(s, 7, 2, 40)));
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, milliEth(50), List.of(), 100, 60_000,
                Optional.empty(), 60_000, false), NOON));
        assertEquals(Reason.OVER_DAILY_BUDGET, refused(prepare(s, 7, 2, 40)));
        log.apply(new WalletOp.Freeze(NODE, 1, "watchdog", "balance", NOON));
        log.apply(new WalletOp.SetPolicy(NODE, 1, WalletOps.policy(), NOON));
        assertEquals(Reason.FROZEN, refused(prepare(s, 7, 2, 40)));
        log.apply(new WalletOp.Unfreeze(NODE, 1, "alice", NOON));
        assertEquals(SpendState.PREPARED, prepared(s, 7).state());
    }

    // ---- variants

    @Test
    void aFeeBumpRaisesBothFeesByTenPercentAtTheSameNonce() {
        Spend s = prepared(claimed("a", milliEth(1)), 7);
        assertEquals(Reason.BUMP_TOO_SMALL, refused(prepare(s, 7, 2, 43)));
        assertEquals(Reason.BUMP_TOO_SMALL, refused(prepare(s, 7, 3, 43)));
        assertEquals(Reason.WRONG_NONCE, refused(prepare(s, 8, 3, 44)));
        Spend bumped = assertInstanceOf(WalletResult.Prepared.class, log.apply(prepare(s, 7, 3, 44))).spend();
        assertEquals(2, bumped.variants().size());
        assertEquals(8, ledger.status(NOON).nextNonce());
        assertEquals(gwei(44), bumped.latestVariant().get().maxFeePerGasWei());
    }

    @Test
    void aCancelIsAZeroValueSelfTransferAllowedEvenWhenFrozenAndOnlyCancelsFollowIt() {
        Spend s = prepared(claimed("a", milliEth(1)), 7);
        log.apply(new WalletOp.Freeze(NODE, 1, "watchdog", "foreign nonce", NOON));
        assertEquals(Reason.FROZEN, refused(prepare(s, 7, 3, 44)));
        assertEquals(Reason.RAW_MISMATCH, refused(WalletOps.prepare(s, 7, 3, 44, BOB, BigInteger.ZERO, "0x",
                VariantKind.CANCEL, 1)));
        Spend c = assertInstanceOf(WalletResult.Prepared.class, log.apply(cancel(s, 7, 3, 44))).spend();
        assertEquals(VariantKind.CANCEL, c.latestVariant().get().kind());
        log.apply(new WalletOp.Unfreeze(NODE, 1, "alice", NOON));
        assertEquals(Reason.BUMP_TOO_SMALL, refused(prepare(s, 7, 5, 49)));
    }

    @Test
    void aSpendHasAtMostSixteenVariants() {
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, ETH.multiply(BigInteger.TEN), List.of(),
                100, 60_000, Optional.empty(), 60_000, false), NOON));
        Spend s = assertInstanceOf(WalletResult.Claimed.class, log.apply(new WalletOp.Claim(NODE, 1, "a", BOB,
                milliEth(1), "0x", GAS, gwei(100_000), "api", NOON))).spend();
        long fee = 10;
        log.apply(prepare(s, 7, fee, fee));
        for (int i = 1; i < WalletOp.MAX_VARIANTS; i++) {
            fee = fee * 11 / 10 + 1;
            assertInstanceOf(WalletResult.Prepared.class, log.apply(prepare(s, 7, fee, fee)));
        }
        assertEquals(Reason.TOO_MANY_VARIANTS, refused(prepare(s, 7, fee * 2, fee * 2)));
    }

    // ---- inclusion and completion

    @Test
    void aCompletedTransferChargesValueAndActualFeeAndReleasesTheRest() {
        Spend s = prepared(claimed("a", milliEth(100)), 7);
        String h = s.variants().getFirst().hash();
        assertEquals(Reason.WRONG_STATE, refused(new WalletOp.Complete(NODE, 1, s.id(), h, GAS, gwei(30), NOON)));
        Spend in = assertInstanceOf(WalletResult.Included.class, log.apply(included(s, h, true))).spend();
        assertEquals(SpendState.INCLUDED, in.state());
        Spend done = assertInstanceOf(WalletResult.Completed.class, log.apply(new WalletOp.Complete(NODE, 1, s.id(),
                h, GAS, gwei(30), NOON))).spend();
        assertEquals(SpendState.COMPLETED, done.state());
        BigInteger fee = BigInteger.valueOf(GAS).multiply(gwei(30));
        Settlement st = done.settlement().get();
        assertEquals(fee, st.feeWei());
        assertEquals(milliEth(100).add(fee), st.chargedWei());
        assertEquals(s.reservedWei().subtract(st.chargedWei()), st.releasedWei());
        assertEquals(milliEth(100).add(fee), ledger.status(NOON).spentWei());
        assertEquals(BigInteger.ZERO, ledger.status(NOON).reservedWei());
        // Completing again is a duplicate.
        assertEquals(new WalletResult.Completed(done), log.apply(new WalletOp.Complete(NODE, 1, s.id(), h, GAS,
                gwei(30), NOON)));
    }

    @Test
    void aRevertedTransferChargesOnlyTheFeeAndACancelEndsCancelled() {
        Spend a = prepared(claimed("a", milliEth(100)), 7);
        Spend b = prepared(claimed("b", milliEth(200)), 8);
        String ha = a.variants().getFirst().hash();
        log.apply(included(a, ha, false));
        Spend ra = assertInstanceOf(WalletResult.Completed.class, log.apply(new WalletOp.Complete(NODE, 1, a.id(), ha,
                GAS, gwei(30), NOON))).spend();
        assertEquals(SpendState.FAILED_REVERTED, ra.state());
        assertEquals(ra.settlement().get().feeWei(), ra.settlement().get().chargedWei());
        Spend bc = assertInstanceOf(WalletResult.Prepared.class, log.apply(cancel(b, 8, 3, 44))).spend();
        String hc = bc.latestVariant().get().hash();
        log.apply(included(b, hc, true));
        Spend rb = assertInstanceOf(WalletResult.Completed.class, log.apply(new WalletOp.Complete(NODE, 1, b.id(), hc,
                GAS, gwei(30), NOON))).spend();
        assertEquals(SpendState.CANCELLED, rb.state());
        assertEquals(BigInteger.valueOf(2 * GAS).multiply(gwei(30)), ledger.status(NOON).spentWei());
    }

    @Test
    void theOriginalMinedAfterACancelWasCommittedCompletesTheSpendTruthfully() {
        Spend a = prepared(claimed("a", milliEth(100)), 7);
        log.apply(cancel(a, 7, 3, 44));
        String original = a.variants().getFirst().hash();
        log.apply(included(a, original, true));
        Spend done = assertInstanceOf(WalletResult.Completed.class, log.apply(new WalletOp.Complete(NODE, 1, a.id(),
                original, GAS, gwei(30), NOON))).spend();
        assertEquals(SpendState.COMPLETED, done.state());
    }

    @Test
    void aReorgTakesAnIncludedSpendBackToPrepared() {
        Spend s = prepared(claimed("a", milliEth(1)), 7);
        String h = s.variants().getFirst().hash();
        log.apply(included(s, h, true));
        assertEquals(Reason.UNKNOWN_HASH, refused(new WalletOp.Reorged(NODE, 1, s.id(), "0x" + "2".repeat(64),
                NOON)));
        Spend r = assertInstanceOf(WalletResult.Reorged.class, log.apply(new WalletOp.Reorged(NODE, 1, s.id(), h,
                NOON))).spend();
        assertEquals(SpendState.PREPARED, r.state());
        assertTrue(r.inclusion().isEmpty());
        // Seen again in another block: the newer observation replaces the older.
        log.apply(included(s, h, true));
        Spend moved = assertInstanceOf(WalletResult.Included.class, log.apply(new WalletOp.Included(NODE, 1, s.id(),
                h, 101, BLOCK2, true, NOON))).spend();
        assertEquals(101, moved.inclusion().get().blockNumber());
    }

    @Test
    void spendsEndInNonceOrder() {
        Spend a = prepared(claimed("a", milliEth(1)), 7);
        Spend b = prepared(claimed("b", milliEth(1)), 8);
        String hb = b.variants().getFirst().hash();
        log.apply(included(b, hb, true));
        assertEquals(Reason.OUT_OF_ORDER, refused(new WalletOp.Complete(NODE, 1, b.id(), hb, GAS, gwei(30), NOON)));
        String ha = a.variants().getFirst().hash();
        log.apply(included(a, ha, true));
        log.apply(new WalletOp.Complete(NODE, 1, a.id(), ha, GAS, gwei(30), NOON));
        assertInstanceOf(WalletResult.Completed.class, log.apply(new WalletOp.Complete(NODE, 1, b.id(), hb, GAS,
                gwei(30), NOON)));
    }

    @Test
    void aReceiptThatDoesNotFitItsVariantIsRefused() {
        Spend s = prepared(claimed("a", milliEth(1)), 7);
        String h = s.variants().getFirst().hash();
        log.apply(included(s, h, true));
        assertEquals(Reason.BAD_RECEIPT, refused(new WalletOp.Complete(NODE, 1, s.id(), h, GAS + 1, gwei(30),
                NOON)));
        assertEquals(Reason.BAD_RECEIPT, refused(new WalletOp.Complete(NODE, 1, s.id(), h, GAS, gwei(41), NOON)));
        assertEquals(SpendState.INCLUDED, ledger.spend(s.id()).get().state());
    }

    // ---- terms, bounds

    @Test
    void anOperationOfAnOlderTermIsRefusedAfterANewerOne() {
        Spend s = claimed("a", milliEth(1));
        log.apply(new WalletOp.Freeze(NODE, 5, "alice", "x", NOON));
        log.apply(new WalletOp.Unfreeze(NODE, 5, "alice", NOON));
        assertEquals(Reason.STALE_TERM, refused(prepare(s, 7, 2, 40, BOB, s.valueWei(), "0x", VariantKind.TRANSFER,
                4)));
        assertEquals(SpendState.PREPARED, assertInstanceOf(WalletResult.Prepared.class, log.apply(prepare(s, 7, 2, 40,
                BOB, s.valueWei(), "0x", VariantKind.TRANSFER, 5))).spend().state());
        assertEquals(5, ledger.status(NOON).term());
    }

    @Test
    void endedSpendsAreForgottenOldestFirstWhileTheirKeysAreStillRemembered() {
        log.apply(new WalletOp.SetPolicy(NODE, 1, new WalletPolicy(ETH, ETH.multiply(BigInteger.valueOf(1000)),
                List.of(), 10_000, 1, Optional.empty(), 60_000, false), NOON));
        int n = WalletLedger.RETAIN_ENDED + 10;
        long nonce = 7;
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Spend s = claimed("k" + i, BigInteger.ONE);
            ids.add(s.id());
            if (i % 2 == 0) {
                s = prepared(s, nonce++);
                String h = s.variants().getFirst().hash();
                log.apply(included(s, h, true));
                log.apply(new WalletOp.Complete(NODE, 1, s.id(), h, GAS, gwei(1), NOON));
            } else {
                log.apply(new WalletOp.Reject(NODE, 1, s.id(), "alice", "", NOON));
            }
        }
        assertEquals(WalletLedger.RETAIN_ENDED, ledger.endedSpends(10_000).size());
        assertTrue(ledger.spend(ids.getFirst()).isEmpty());
        assertTrue(ledger.spend(ids.getLast()).isPresent());
        assertEquals(Reason.IDEMPOTENCY_CONFLICT, refused(claim("k0", BOB, BigInteger.ONE, NOON)));
        assertEquals(Optional.empty(), ledger.invariantProblem());
    }

    // ---- snapshots

    @Test
    void aSnapshotRoundTripRebuildsTheSameLedger() {
        Spend a = prepared(claimed("a", milliEth(1)), 7);
        claimed("big", milliEth(600));
        log.apply(included(a, a.variants().getFirst().hash(), true));
        List<WalletSnapshotChunk> chunks = new ArrayList<>();
        ledger.takeSnapshot(chunks::add);
        WalletLedger other = new WalletLedger();
        other.installSnapshot(log.index, chunks.reversed());
        assertEquals(WalletLedgerPropertyTest.view(ledger), WalletLedgerPropertyTest.view(other));
        assertEquals(log.index, other.lastApplied());
    }

    @Test
    void aSnapshotThatBreaksAnInvariantIsRefusedAndChangesNothing() {
        Spend a = prepared(claimed("a", milliEth(1)), 7);
        prepared(claimed("b", milliEth(1)), 8);
        prepared(claimed("c", milliEth(1)), 9);
        List<WalletSnapshotChunk> chunks = new ArrayList<>();
        ledger.takeSnapshot(chunks::add);
        WalletOps.Log other = new WalletOps.Log().ready(0);
        other.apply(claim("mine", CAROL, milliEth(1), NOON));
        String before = WalletLedgerPropertyTest.view(other.ledger);

        List<WalletSnapshotChunk> gap = new ArrayList<>();
        for (WalletSnapshotChunk c : chunks) {
            gap.add(new WalletSnapshotChunk(c.header(), c.spends().stream().filter(s -> s.nonce().orElse(0) != 8)
                    .toList(), c.keys(), c.days(), c.claims()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> other.ledger.installSnapshot(100, gap));
        assertTrue(e.getMessage().contains("gapless"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> other.ledger.installSnapshot(100,
                chunks.stream().filter(c -> c.header().isEmpty()).toList()));
        assertThrows(IllegalArgumentException.class, () -> other.ledger.installSnapshot(3, chunks));
        List<WalletSnapshotChunk> twice = new ArrayList<>(chunks);
        twice.add(new WalletSnapshotChunk(Optional.empty(), List.of(a), List.of(), List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> other.ledger.installSnapshot(100, twice));
        assertEquals(before, WalletLedgerPropertyTest.view(other.ledger));
    }

    // ---- records refuse malformed input

    @Test
    void malformedOperationsCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> claim("k", "0x1234", BigInteger.ONE, NOON));
        assertThrows(IllegalArgumentException.class, () -> claim("k", BOB, BigInteger.ONE.negate(), NOON));
        assertThrows(IllegalArgumentException.class, () -> claim("k", BOB, BigInteger.ONE.shiftLeft(256), NOON));
        assertThrows(IllegalArgumentException.class, () -> claim("", BOB, BigInteger.ONE, NOON));
        assertThrows(IllegalArgumentException.class, () -> new WalletOp.Claim(NODE, 1, "k", BOB, BigInteger.ONE,
                "0x0", GAS, gwei(1), "api", NOON));
        assertThrows(IllegalArgumentException.class, () -> new WalletOp.Claim(NODE, 1, "k", BOB, BigInteger.ONE,
                "0x", 20_999, gwei(1), "api", NOON));
        assertThrows(IllegalArgumentException.class, () -> new WalletOp.SyncChain(NODE, 1, 0, WALLET, 0, NOON));
        assertThrows(IllegalArgumentException.class, () -> new WalletOp.Prepare(NODE, 1, 1, 0, VariantKind.TRANSFER,
                "0x02", "0x" + "1".repeat(64), gwei(1), gwei(2), GAS, NOON));
        assertThrows(IllegalArgumentException.class, () -> new WalletPolicy(ETH, ETH, List.of("bob"), 1, 1,
                Optional.empty(), 1, false));
    }
}
