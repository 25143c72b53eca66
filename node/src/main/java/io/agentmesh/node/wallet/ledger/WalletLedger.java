package io.agentmesh.node.wallet.ledger;

import io.agentmesh.node.wallet.ledger.WalletOp.Approve;
import io.agentmesh.node.wallet.ledger.WalletOp.Claim;
import io.agentmesh.node.wallet.ledger.WalletOp.Complete;
import io.agentmesh.node.wallet.ledger.WalletOp.Expire;
import io.agentmesh.node.wallet.ledger.WalletOp.Freeze;
import io.agentmesh.node.wallet.ledger.WalletOp.Included;
import io.agentmesh.node.wallet.ledger.WalletOp.Prepare;
import io.agentmesh.node.wallet.ledger.WalletOp.Reject;
import io.agentmesh.node.wallet.ledger.WalletOp.Reorged;
import io.agentmesh.node.wallet.ledger.WalletOp.SetPolicy;
import io.agentmesh.node.wallet.ledger.WalletOp.SyncChain;
import io.agentmesh.node.wallet.ledger.WalletOp.Unfreeze;
import io.agentmesh.node.wallet.ledger.WalletResult.Reason;
import io.agentmesh.node.wallet.ledger.WalletResult.Refused;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk.ClaimRow;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk.DayRow;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk.Header;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk.KeyRow;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The wallet ledger: the part of the Raft state machine that applies {@link WalletOp}s (docs/wallet.md, "The
 * protocol"). It decides which spends exist (one per idempotency key), whether the policy lets them happen, which
 * nonce each one gets, which signed bytes may be broadcast for it, and what it cost. The rules are in the javadoc of
 * each operation; what they add up to, checked after every operation (assertions) and on every snapshot installed:
 * <ul>
 *   <li>the nonces of the spends it holds are exactly {@code [n, nextNonce)} for some n (no gap, none twice): every
 *       nonce the ledger allocated belongs to exactly one spend, and the spends forgotten are the lowest nonces;</li>
 *   <li>every variant of a spend is at the spend's nonce (the ledger reads it from the signed bytes) and fits its
 *       reservation; spends end in nonce order, as the chain mines them;</li>
 *   <li>per UTC day, spent plus reserved never passes the daily budget the claims were checked against; a settlement
 *       never charges more than the spend reserved; reserved is never negative and always the sum of the open
 *       spends' reservations;</li>
 *   <li>an idempotency key the ledger remembers never yields a second spend.</li>
 * </ul>
 *
 * <p>Bounded: at most {@link #MAX_OPEN_SPENDS} open spends (a claim past that is refused); the newest
 * {@link #RETAIN_ENDED} ended spends kept in full, older ones forgotten (lowest nonces first); the newest
 * {@link #RETAIN_KEYS} idempotency keys remembered (a key older than that is deduplicated by the CRDT's intent id
 * only); spent-per-day rows for {@link #RETAIN_DAYS} days; velocity memory of at most
 * {@link WalletPolicy#MAX_SPENDS_PER_WINDOW} claims over {@link WalletPolicy#MAX_VELOCITY_WINDOW_MS}.
 *
 * <p>Deterministic: sorted maps only, no clock (times come in the operations), no randomness. Not thread-safe:
 * MicroRaft calls it on the node thread, and so must every reader. Domain refusals are {@link Refused} results, never
 * exceptions, and change nothing.
 */
public final class WalletLedger implements WalletView {
    public static final int MAX_OPEN_SPENDS = 1_024;
    public static final int RETAIN_ENDED = 1_024;
    public static final int RETAIN_KEYS = 16_384;
    public static final int RETAIN_DAYS = 400;
    public static final int SPENDS_PER_CHUNK = 16;
    public static final int ROWS_PER_CHUNK = 1_024;
    static final long MILLIS_PER_DAY = 86_400_000L;
    /** A fee bump raises both fees to at least 110% of the newest variant's (what nodes require to replace). */
    static final BigInteger BUMP_NUMERATOR = BigInteger.valueOf(11);
    static final BigInteger BUMP_DENOMINATOR = BigInteger.TEN;

    // The binding: chainId 0 and address null until the first SyncChain.
    private long chainId;
    private String address;
    private long firstNonce;
    private long nextNonce;
    private WalletPolicy policy;
    private Decision freeze;
    /** The newest term of an operation applied; older ones are refused. */
    private long term;
    private long lastApplied;

    private final TreeMap<Long, Spend> open = new TreeMap<>();
    private final TreeMap<Long, Spend> ended = new TreeMap<>();
    // End index -> spend id, oldest first: the order in which ended spends are forgotten.
    private final TreeMap<Long, Long> endedByIndex = new TreeMap<>();
    // Remembered keys (a superset of the held spends' keys), and by spend id: the order they are forgotten in.
    private final TreeMap<String, Long> keys = new TreeMap<>();
    private final TreeMap<Long, String> keysById = new TreeMap<>();
    // Derived from the held spends: nonce -> spend id, variant hash -> spend id.
    private final TreeMap<Long, Long> byNonce = new TreeMap<>();
    private final TreeMap<String, Long> byHash = new TreeMap<>();
    // Per UTC day of the claim: settled cost (kept RETAIN_DAYS days), and the open spends' reservations (derived).
    private final TreeMap<Long, BigInteger> spentByDay = new TreeMap<>();
    private final TreeMap<Long, BigInteger> reservedByDay = new TreeMap<>();
    // Velocity memory: claim time -> how many counted claims were made then.
    private final TreeMap<Long, Integer> claimsByTime = new TreeMap<>();
    private int claimsRemembered;

    /** Applies one committed operation at {@code commitIndex}. */
    public WalletResult apply(long commitIndex, WalletOp op) {
        Objects.requireNonNull(op, "op");
        lastApplied = Math.max(lastApplied, commitIndex);
        if (op.term() < term) {
            return new Refused(Reason.STALE_TERM, op.getClass().getSimpleName() + " of term " + op.term() + " by "
                    + op.nodeId() + ": the wallet has applied operations of term " + term);
        }
        WalletResult result = switch (op) {
            case SyncChain s -> sync(s);
            case SetPolicy p -> setPolicy(p);
            case Claim c -> claim(commitIndex, c);
            case Approve a -> approve(a);
            case Reject r -> reject(commitIndex, r);
            case Expire e -> expire(commitIndex, e);
            case Prepare p -> prepare(p);
            case Included i -> included(i);
            case Reorged r -> reorged(r);
            case Complete c -> complete(commitIndex, c);
            case Freeze f -> freeze(f);
            case Unfreeze u -> unfreeze(u);
        };
        if (!(result instanceof Refused)) {
            term = op.term();
        }
        assert invariantProblem().isEmpty() : invariantProblem().get();
        return result;
    }

    // ---- operations

    private WalletResult sync(SyncChain s) {
        if (chainId == 0) {
            chainId = s.chainId();
            address = s.address();
            firstNonce = s.chainNonce();
            nextNonce = s.chainNonce();
            return new WalletResult.Synced(chainId, address, nextNonce, true);
        }
        if (chainId != s.chainId() || !address.equals(s.address())) {
            return new Refused(Reason.CHAIN_MISMATCH, "the wallet is bound to chain " + chainId + " and address "
                    + address + ", not chain " + s.chainId() + " and " + s.address());
        }
        return new WalletResult.Synced(chainId, address, nextNonce, false);
    }

    private WalletResult setPolicy(SetPolicy p) {
        policy = p.policy();
        return new WalletResult.PolicySet(policy);
    }

    private WalletResult claim(long index, Claim c) {
        Long known = keys.get(c.idempotencyKey());
        if (known != null) {
            Optional<Spend> s = spend(known);
            if (s.isEmpty()) {
                return new Refused(Reason.IDEMPOTENCY_CONFLICT, "idempotency key \"" + c.idempotencyKey()
                        + "\" was used by spend " + known + ", which ended long ago and is no longer held");
            }
            Spend spend = s.get();
            if (!spend.to().equals(c.to()) || !spend.valueWei().equals(c.valueWei())
                    || !spend.data().equals(c.data())) {
                return new Refused(Reason.IDEMPOTENCY_CONFLICT, "idempotency key \"" + c.idempotencyKey()
                        + "\" is spend " + spend.id() + " of " + spend.valueWei() + " wei to " + spend.to()
                        + "; this claim asks for " + c.valueWei() + " wei to " + c.to()
                        + (spend.data().equals(c.data()) ? "" : " with other data"));
            }
            return new WalletResult.Claimed(spend, true);
        }
        if (policy == null) {
            return new Refused(Reason.NO_POLICY, "no wallet policy is committed yet: nothing may be spent");
        }
        Optional<Refused> refused = refuseNewValue();
        if (refused.isPresent()) {
            return refused.get();
        }
        refused = recipientAndCap(c.to(), c.valueWei());
        if (refused.isPresent()) {
            return refused.get();
        }
        if (open.size() >= MAX_OPEN_SPENDS) {
            return new Refused(Reason.TOO_MANY_OPEN_SPENDS, MAX_OPEN_SPENDS + " spends are open already");
        }
        int recent = claimsIn(c.atMillis() - policy.velocityWindowMs());
        if (recent >= policy.maxSpendsPerWindow()) {
            return new Refused(Reason.OVER_VELOCITY, recent + " spends were claimed in the last "
                    + policy.velocityWindowMs() + " ms; the policy allows " + policy.maxSpendsPerWindow());
        }
        BigInteger worst = Spend.worstCaseWei(c.valueWei(), c.gasLimit(), c.maxFeePerGasWei());
        long day = day(c.atMillis());
        BigInteger spent = spentByDay.getOrDefault(day, BigInteger.ZERO);
        BigInteger reserved = reservedByDay.getOrDefault(day, BigInteger.ZERO);
        if (spent.add(reserved).add(worst).compareTo(policy.dailyBudgetWei()) > 0) {
            return new Refused(Reason.OVER_DAILY_BUDGET, "daily budget " + policy.dailyBudgetWei() + " wei: spent "
                    + spent + ", reserved " + reserved + ", asked " + worst + " (value " + c.valueWei() + " + gas "
                    + c.gasLimit() + " x max fee " + c.maxFeePerGasWei() + ")");
        }
        SpendState state = policy.needsApproval(c.valueWei()) ? SpendState.AWAITING_APPROVAL : SpendState.CLAIMED;
        Spend spend = new Spend(index, c.idempotencyKey(), c.to(), c.valueWei(), c.data(), c.gasLimit(),
                c.maxFeePerGasWei(), c.origin(), c.nodeId(), c.term(), state, OptionalLong.empty(), List.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), worst, c.atMillis(), c.atMillis(), 0);
        open.put(index, spend);
        rememberKey(spend.idempotencyKey(), index);
        addReserved(day, worst);
        countClaim(c.atMillis(), 1);
        return new WalletResult.Claimed(spend, false);
    }

    private WalletResult approve(Approve a) {
        Spend s = open.get(a.spendId());
        if (s == null) {
            return unknownOrEnded(a.spendId(), "approved");
        }
        if (s.state() == SpendState.APPROVED) {
            return new WalletResult.Approved(s);
        }
        if (s.state() != SpendState.AWAITING_APPROVAL) {
            return wrongState(s, "approved: it is not waiting for approval");
        }
        Spend done = new Draft(s).state(SpendState.APPROVED).decision(new Decision(a.by(), "", a.atMillis()))
                .updated(a.atMillis()).build();
        open.put(s.id(), done);
        return new WalletResult.Approved(done);
    }

    private WalletResult reject(long index, Reject r) {
        Spend s = open.get(r.spendId());
        if (s == null) {
            Spend e = ended.get(r.spendId());
            if (e != null && e.state() == SpendState.REJECTED) {
                return new WalletResult.Rejected(e);
            }
            return unknownOrEnded(r.spendId(), "rejected");
        }
        if (s.state().hasNonce()) {
            return wrongState(s, "rejected: it has nonce " + s.nonce().getAsLong() + "; only a cancel variant can"
                    + " stop it now");
        }
        Spend done = endUnprepared(index, s, SpendState.REJECTED, new Decision(r.by(), r.reason(), r.atMillis()));
        return new WalletResult.Rejected(done);
    }

    private WalletResult expire(long index, Expire e) {
        Spend s = open.get(e.spendId());
        if (s == null) {
            Spend x = ended.get(e.spendId());
            if (x != null && x.state() == SpendState.EXPIRED) {
                return new WalletResult.Expired(x);
            }
            return unknownOrEnded(e.spendId(), "expired");
        }
        if (s.state() != SpendState.AWAITING_APPROVAL) {
            return wrongState(s, "expired: it is not waiting for approval");
        }
        if (policy == null) {
            return new Refused(Reason.NO_POLICY, "no wallet policy is committed: no approval timeout to expire by");
        }
        long due = s.requestedAtMillis() > Long.MAX_VALUE - policy.approvalTimeoutMs() ? Long.MAX_VALUE
                : s.requestedAtMillis() + policy.approvalTimeoutMs();
        if (e.atMillis() < due) {
            return new Refused(Reason.NOT_EXPIRED, "spend " + s.id() + " waits for approval until " + due
                    + " (claimed at " + s.requestedAtMillis() + ", timeout " + policy.approvalTimeoutMs() + " ms); it"
                    + " is " + e.atMillis());
        }
        Spend done = endUnprepared(index, s, SpendState.EXPIRED, new Decision(e.nodeId(), "no approval within "
                + policy.approvalTimeoutMs() + " ms", e.atMillis()));
        return new WalletResult.Expired(done);
    }

    private WalletResult prepare(Prepare p) {
        Spend s = open.get(p.spendId());
        if (s == null) {
            Spend x = ended.get(p.spendId());
            if (x != null && x.variant(p.hash()).isPresent() && x.nonce().orElse(-1) == p.nonce()) {
                return new WalletResult.Prepared(x, x.variant(p.hash()).get(), true);
            }
            return unknownOrEnded(p.spendId(), "prepared");
        }
        Optional<Variant> same = s.variant(p.hash());
        if (same.isPresent()) {
            if (s.nonce().orElse(-1) != p.nonce()) {
                return new Refused(Reason.WRONG_NONCE, "spend " + s.id() + " has variant " + p.hash() + " at nonce "
                        + s.nonce().getAsLong() + ", not " + p.nonce());
            }
            return new WalletResult.Prepared(s, same.get(), true);
        }
        if (chainId == 0) {
            return new Refused(Reason.NOT_SYNCED, "the wallet is not bound to a chain yet (no SyncChain)");
        }
        Long other = byHash.get(p.hash());
        if (other != null) {
            return new Refused(Reason.BAD_HASH, "hash " + p.hash() + " is a variant of spend " + other);
        }
        if (s.variants().size() >= WalletOp.MAX_VARIANTS) {
            return new Refused(Reason.TOO_MANY_VARIANTS, "spend " + s.id() + " has " + WalletOp.MAX_VARIANTS
                    + " variants already");
        }
        byte[] raw = SignedTransaction.bytes(p.raw());
        String hash = SignedTransaction.hash(raw);
        if (!hash.equals(p.hash())) {
            return new Refused(Reason.BAD_HASH, "keccak-256 of the raw bytes is " + hash + ", not " + p.hash());
        }
        Optional<Refused> mismatch = matchesBytes(s, p, raw);
        if (mismatch.isPresent()) {
            return mismatch.get();
        }
        BigInteger value = p.kind() == VariantKind.TRANSFER ? s.valueWei() : BigInteger.ZERO;
        BigInteger worst = Spend.worstCaseWei(value, p.gasLimit(), p.maxFeePerGasWei());
        if (worst.compareTo(s.reservedWei()) > 0) {
            return new Refused(Reason.OVER_RESERVATION, "variant worst case " + worst + " wei (value " + value
                    + " + gas " + p.gasLimit() + " x max fee " + p.maxFeePerGasWei() + ") is above spend " + s.id()
                    + "'s reservation of " + s.reservedWei());
        }
        if (p.kind() == VariantKind.TRANSFER && (p.gasLimit() > s.gasLimit()
                || p.maxFeePerGasWei().compareTo(s.maxFeePerGasWei()) > 0)) {
            return new Refused(Reason.OVER_RESERVATION, "a transfer variant keeps to the claim's gas limit "
                    + s.gasLimit() + " and max fee " + s.maxFeePerGasWei() + "; got " + p.gasLimit() + " and "
                    + p.maxFeePerGasWei());
        }
        Variant v = new Variant(p.kind(), p.raw(), p.hash(), p.maxFeePerGasWei(), p.maxPriorityFeePerGasWei(),
                p.gasLimit(), worst, p.atMillis(), p.nodeId(), p.term());
        if (s.variants().isEmpty()) {
            return prepareFirst(s, p, v);
        }
        return prepareVariant(s, p, v);
    }

    private WalletResult prepareFirst(Spend s, Prepare p, Variant v) {
        if (p.kind() != VariantKind.TRANSFER) {
            return wrongState(s, "cancelled: it has no nonce yet; reject it instead");
        }
        if (!s.state().preparable()) {
            return wrongState(s, "prepared: " + (s.state() == SpendState.AWAITING_APPROVAL
                    ? "it waits for approval" : "it is " + s.state()));
        }
        if (policy == null) {
            return new Refused(Reason.NO_POLICY, "no wallet policy is committed: nothing may be prepared");
        }
        Optional<Refused> refused = refuseNewValue();
        if (refused.isEmpty()) {
            refused = recipientAndCap(s.to(), s.valueWei());
        }
        if (refused.isPresent()) {
            return refused.get();
        }
        long day = day(s.requestedAtMillis());
        BigInteger spent = spentByDay.getOrDefault(day, BigInteger.ZERO);
        BigInteger reserved = reservedByDay.getOrDefault(day, BigInteger.ZERO);
        if (spent.add(reserved).compareTo(policy.dailyBudgetWei()) > 0) {
            return new Refused(Reason.OVER_DAILY_BUDGET, "the daily budget is now " + policy.dailyBudgetWei()
                    + " wei; the day of spend " + s.id() + " has spent " + spent + " and reserved " + reserved
                    + " (this spend's " + s.reservedWei() + " included)");
        }
        if (p.nonce() != nextNonce) {
            return new Refused(Reason.WRONG_NONCE, "the next nonce is " + nextNonce + ", not " + p.nonce());
        }
        Spend done = new Draft(s).state(SpendState.PREPARED).nonce(p.nonce()).variant(v).updated(p.atMillis())
                .build();
        open.put(s.id(), done);
        byNonce.put(p.nonce(), s.id());
        byHash.put(v.hash(), s.id());
        nextNonce++;
        return new WalletResult.Prepared(done, v, false);
    }

    private WalletResult prepareVariant(Spend s, Prepare p, Variant v) {
        if (s.state() != SpendState.PREPARED && s.state() != SpendState.INCLUDED) {
            return wrongState(s, "given a variant");
        }
        if (s.nonce().getAsLong() != p.nonce()) {
            return new Refused(Reason.WRONG_NONCE, "spend " + s.id() + " is at nonce " + s.nonce().getAsLong()
                    + ", not " + p.nonce());
        }
        if (p.kind() == VariantKind.TRANSFER) {
            Optional<Refused> refused = refuseNewValue();
            if (refused.isPresent()) {
                return refused.get();
            }
            if (s.variants().stream().anyMatch(x -> x.kind() == VariantKind.CANCEL)) {
                return new Refused(Reason.BUMP_TOO_SMALL, "spend " + s.id() + " is being cancelled; only cancel"
                        + " variants may follow");
            }
            Variant last = s.latestVariant().orElseThrow();
            if (!bumped(last.maxFeePerGasWei(), p.maxFeePerGasWei())
                    || !bumped(last.maxPriorityFeePerGasWei(), p.maxPriorityFeePerGasWei())) {
                return new Refused(Reason.BUMP_TOO_SMALL, "a fee bump raises both fees by at least 10% over ("
                        + last.maxFeePerGasWei() + ", " + last.maxPriorityFeePerGasWei() + "); got ("
                        + p.maxFeePerGasWei() + ", " + p.maxPriorityFeePerGasWei() + ")");
            }
        }
        Spend done = new Draft(s).variant(v).updated(p.atMillis()).build();
        open.put(s.id(), done);
        byHash.put(v.hash(), s.id());
        return new WalletResult.Prepared(done, v, false);
    }

    /** The decoded bytes say what the operation and the spend say (refusal otherwise). */
    private Optional<Refused> matchesBytes(Spend s, Prepare p, byte[] raw) {
        SignedTransaction tx;
        try {
            tx = SignedTransaction.decode(raw);
        } catch (IllegalArgumentException e) {
            return Optional.of(new Refused(Reason.RAW_MISMATCH, "the raw bytes are not a signed EIP-1559"
                    + " transaction: " + e.getMessage()));
        }
        List<String> wrong = new ArrayList<>();
        expect(wrong, "chain id", BigInteger.valueOf(chainId), tx.chainId());
        expect(wrong, "nonce", BigInteger.valueOf(p.nonce()), tx.nonce());
        expect(wrong, "max fee", p.maxFeePerGasWei(), tx.maxFeePerGasWei());
        expect(wrong, "priority fee", p.maxPriorityFeePerGasWei(), tx.maxPriorityFeePerGasWei());
        expect(wrong, "gas limit", BigInteger.valueOf(p.gasLimit()), tx.gasLimit());
        boolean cancel = p.kind() == VariantKind.CANCEL;
        expect(wrong, "recipient", cancel ? address : s.to(), tx.to());
        expect(wrong, "value", cancel ? BigInteger.ZERO : s.valueWei(), tx.valueWei());
        expect(wrong, "data", cancel ? "0x" : s.data(), tx.data());
        if (wrong.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Refused(Reason.RAW_MISMATCH, "the signed bytes of this " + p.kind() + " variant of"
                + " spend " + s.id() + " differ: " + String.join("; ", wrong)));
    }

    private static void expect(List<String> wrong, String field, Object expected, Object actual) {
        if (!expected.equals(actual)) {
            String a = String.valueOf(actual);
            wrong.add(field + " is " + (a.length() > 80 ? a.substring(0, 77) + "..." : a) + ", expected "
                    + (String.valueOf(expected).length() > 80 ? String.valueOf(expected).substring(0, 77) + "..."
                    : expected));
        }
    }

    private WalletResult included(Included i) {
        Spend s = open.get(i.spendId());
        if (s == null) {
            Spend x = ended.get(i.spendId());
            if (x != null && x.inclusion().map(in -> sameBlock(in, i)).orElse(false)) {
                return new WalletResult.Included(x);
            }
            return unknownOrEnded(i.spendId(), "included");
        }
        if (s.variant(i.hash()).isEmpty()) {
            return unknownHash(s, i.hash());
        }
        if (s.state() != SpendState.PREPARED && s.state() != SpendState.INCLUDED) {
            return wrongState(s, "included");
        }
        if (s.inclusion().map(in -> sameBlock(in, i)).orElse(false)) {
            return new WalletResult.Included(s);
        }
        Spend done = new Draft(s).state(SpendState.INCLUDED).inclusion(new Inclusion(i.hash(), i.blockNumber(),
                i.blockHash(), i.succeeded(), i.atMillis())).updated(i.atMillis()).build();
        open.put(s.id(), done);
        return new WalletResult.Included(done);
    }

    private static boolean sameBlock(Inclusion in, Included i) {
        return in.hash().equals(i.hash()) && in.blockNumber() == i.blockNumber()
                && in.blockHash().equals(i.blockHash()) && in.succeeded() == i.succeeded();
    }

    private WalletResult reorged(Reorged r) {
        Spend s = open.get(r.spendId());
        if (s == null) {
            return unknownOrEnded(r.spendId(), "reorged");
        }
        if (s.variant(r.hash()).isEmpty()) {
            return unknownHash(s, r.hash());
        }
        if (s.state() == SpendState.PREPARED) {
            return new WalletResult.Reorged(s);
        }
        if (s.state() != SpendState.INCLUDED || !s.inclusion().get().hash().equals(r.hash())) {
            return wrongState(s, "reorged out with " + r.hash());
        }
        Spend done = new Draft(s).state(SpendState.PREPARED).inclusion(null).updated(r.atMillis()).build();
        open.put(s.id(), done);
        return new WalletResult.Reorged(done);
    }

    private WalletResult complete(long index, Complete c) {
        Spend s = open.get(c.spendId());
        if (s == null) {
            Spend x = ended.get(c.spendId());
            if (x != null && x.settlement().map(st -> st.hash().equals(c.hash()) && st.gasUsed() == c.gasUsed()
                    && st.effectiveGasPriceWei().equals(c.effectiveGasPriceWei())).orElse(false)) {
                return new WalletResult.Completed(x);
            }
            return unknownOrEnded(c.spendId(), "completed");
        }
        Optional<Variant> v = s.variant(c.hash());
        if (v.isEmpty()) {
            return unknownHash(s, c.hash());
        }
        if (s.state() != SpendState.INCLUDED) {
            return wrongState(s, "completed: it is not included in a block");
        }
        if (!s.inclusion().get().hash().equals(c.hash())) {
            return new Refused(Reason.UNKNOWN_HASH, "spend " + s.id() + " is included with "
                    + s.inclusion().get().hash() + ", not " + c.hash());
        }
        long nonce = s.nonce().getAsLong();
        for (Long lowerId : byNonce.headMap(nonce, false).values()) {
            if (open.containsKey(lowerId)) {
                return new Refused(Reason.OUT_OF_ORDER, "spend " + lowerId + " at nonce " + open.get(lowerId).nonce()
                        .getAsLong() + " has not ended; spend " + s.id() + " at nonce " + nonce + " ends after it");
            }
        }
        Variant mined = v.get();
        if (c.gasUsed() < WalletOp.MIN_GAS_LIMIT || c.gasUsed() > mined.gasLimit()
                || c.effectiveGasPriceWei().compareTo(mined.maxFeePerGasWei()) > 0) {
            return new Refused(Reason.BAD_RECEIPT, "a receipt of " + c.gasUsed() + " gas at " + c.effectiveGasPriceWei()
                    + " wei does not fit variant " + c.hash() + " (gas " + WalletOp.MIN_GAS_LIMIT + " to "
                    + mined.gasLimit() + ", max fee " + mined.maxFeePerGasWei() + ")");
        }
        BigInteger fee = BigInteger.valueOf(c.gasUsed()).multiply(c.effectiveGasPriceWei());
        SpendState state = mined.kind() == VariantKind.CANCEL ? SpendState.CANCELLED
                : s.inclusion().get().succeeded() ? SpendState.COMPLETED : SpendState.FAILED_REVERTED;
        BigInteger charged = state == SpendState.COMPLETED ? fee.add(s.valueWei()) : fee;
        BigInteger released = s.reservedWei().subtract(charged);
        assert released.signum() >= 0 : "spend " + s.id() + " charged " + charged + " over its reservation "
                + s.reservedWei();
        long day = day(s.requestedAtMillis());
        addReserved(day, s.reservedWei().negate());
        spentByDay.merge(day, charged, BigInteger::add);
        while (spentByDay.size() > RETAIN_DAYS) {
            spentByDay.pollFirstEntry();
        }
        Spend done = new Draft(s).state(state).settlement(new Settlement(c.hash(), c.gasUsed(),
                c.effectiveGasPriceWei(), fee, charged, released)).reserved(BigInteger.ZERO).updated(c.atMillis())
                .endedIndex(index).build();
        end(index, done);
        return new WalletResult.Completed(done);
    }

    private WalletResult freeze(Freeze f) {
        if (freeze == null) {
            freeze = new Decision(f.by(), f.reason(), f.atMillis());
        }
        return new WalletResult.Frozen(freeze.by(), freeze.reason());
    }

    private WalletResult unfreeze(Unfreeze u) {
        freeze = null;
        return new WalletResult.Unfrozen(u.by());
    }

    // ---- helpers

    /** The refusals that stop new value from moving: kill switch and freeze. */
    private Optional<Refused> refuseNewValue() {
        if (policy != null && policy.killSwitch()) {
            return Optional.of(new Refused(Reason.KILL_SWITCH, "the wallet policy's kill switch is set"));
        }
        if (freeze != null) {
            return Optional.of(new Refused(Reason.FROZEN, "the wallet is frozen by " + freeze.by() + ": "
                    + freeze.reason()));
        }
        return Optional.empty();
    }

    private Optional<Refused> recipientAndCap(String to, BigInteger valueWei) {
        if (!policy.allows(to)) {
            return Optional.of(new Refused(Reason.RECIPIENT_NOT_ALLOWED, to + " is not among the policy's "
                    + policy.allowedRecipients().size() + " allowed recipients"));
        }
        if (valueWei.compareTo(policy.perTxCapWei()) > 0) {
            return Optional.of(new Refused(Reason.OVER_PER_TX_CAP, "value " + valueWei
                    + " wei is above the per-transaction cap of " + policy.perTxCapWei()));
        }
        return Optional.empty();
    }

    private static boolean bumped(BigInteger old, BigInteger now) {
        return now.multiply(BUMP_DENOMINATOR).compareTo(old.multiply(BUMP_NUMERATOR)) >= 0
                && now.compareTo(old) > 0;
    }

    /** Ends a spend that never got a nonce (rejected, expired): its reservation is released whole, nothing spent. */
    private Spend endUnprepared(long index, Spend s, SpendState state, Decision why) {
        addReserved(day(s.requestedAtMillis()), s.reservedWei().negate());
        countClaim(s.requestedAtMillis(), -1);
        Spend done = new Draft(s).state(state).decision(why).reserved(BigInteger.ZERO).updated(why.atMillis())
                .endedIndex(index).build();
        end(index, done);
        return done;
    }

    /** Moves a spend to the ended ones and forgets the oldest ended past {@link #RETAIN_ENDED}. */
    private void end(long index, Spend done) {
        open.remove(done.id());
        ended.put(done.id(), done);
        endedByIndex.put(index, done.id());
        while (ended.size() > RETAIN_ENDED) {
            Spend old = ended.remove(endedByIndex.pollFirstEntry().getValue());
            old.variants().forEach(v -> byHash.remove(v.hash()));
            if (old.nonce().isPresent()) {
                // Spends end in nonce order, so the oldest ended one with a nonce has the lowest nonce held.
                Long first = byNonce.firstKey();
                assert first == old.nonce().getAsLong() : "forgetting nonce " + old.nonce().getAsLong()
                        + " while " + first + " is held";
                byNonce.remove(old.nonce().getAsLong());
            }
        }
    }

    private void rememberKey(String key, long id) {
        keys.put(key, id);
        keysById.put(id, key);
        while (keys.size() > RETAIN_KEYS) {
            // The oldest key whose spend is no longer held; held spends (at most MAX_OPEN_SPENDS + RETAIN_ENDED)
            // keep theirs, so one is always found.
            for (Map.Entry<Long, String> e : keysById.entrySet()) {
                if (!open.containsKey(e.getKey()) && !ended.containsKey(e.getKey())) {
                    keys.remove(e.getValue());
                    keysById.remove(e.getKey());
                    break;
                }
            }
        }
    }

    private void addReserved(long day, BigInteger delta) {
        BigInteger now = reservedByDay.getOrDefault(day, BigInteger.ZERO).add(delta);
        assert now.signum() >= 0 : "reserved on day " + day + " is never negative: " + now;
        if (now.signum() == 0) {
            reservedByDay.remove(day);
        } else {
            reservedByDay.put(day, now);
        }
    }

    /** Counts (or, with -1, uncounts) a claim at {@code atMillis}, and forgets claims no window can reach. */
    private void countClaim(long atMillis, int delta) {
        if (delta < 0) {
            Integer n = claimsByTime.get(atMillis);
            if (n == null) {
                return; // already forgotten: older than any window
            }
            if (n == 1) {
                claimsByTime.remove(atMillis);
            } else {
                claimsByTime.put(atMillis, n - 1);
            }
            claimsRemembered--;
            return;
        }
        claimsByTime.merge(atMillis, 1, Integer::sum);
        claimsRemembered++;
        long horizon = claimsByTime.lastKey() - WalletPolicy.MAX_VELOCITY_WINDOW_MS;
        while (claimsByTime.firstKey() < horizon || claimsRemembered > WalletPolicy.MAX_SPENDS_PER_WINDOW) {
            claimsRemembered -= claimsByTime.pollFirstEntry().getValue();
        }
    }

    /** Claims counted after {@code fromMillis} (exclusive), those from a later clock included. */
    private int claimsIn(long fromMillis) {
        int n = 0;
        for (int c : claimsByTime.tailMap(fromMillis, false).values()) {
            n += c;
        }
        return n;
    }

    private WalletResult unknownOrEnded(long id, String what) {
        Spend x = ended.get(id);
        if (x != null) {
            return new Refused(Reason.WRONG_STATE, "spend " + id + " has ended (" + x.state() + ") and cannot be "
                    + what);
        }
        return new Refused(Reason.UNKNOWN_SPEND, "no spend " + id + " in the wallet ledger");
    }

    private static Refused wrongState(Spend s, String what) {
        return new Refused(Reason.WRONG_STATE, "spend " + s.id() + " (" + s.state() + ") cannot be " + what);
    }

    private static Refused unknownHash(Spend s, String hash) {
        return new Refused(Reason.UNKNOWN_HASH, hash + " is none of spend " + s.id() + "'s " + s.variants().size()
                + " variants");
    }

    static long day(long atMillis) {
        return Math.floorDiv(atMillis, MILLIS_PER_DAY);
    }

    // ---- invariants

    /**
     * What is wrong with the ledger's state, if anything: checked after every operation (as an assertion) and on
     * every snapshot before it is installed.
     */
    Optional<String> invariantProblem() {
        TreeMap<Long, BigInteger> reserved = new TreeMap<>();
        long maxEndedNonce = -1;
        long minOpenNonce = Long.MAX_VALUE;
        int withNonce = 0;
        TreeMap<String, Long> hashes = new TreeMap<>();
        for (Spend s : open.values()) {
            if (s.state().terminal()) {
                return Optional.of("open spend " + s.id() + " is " + s.state());
            }
            reserved.merge(day(s.requestedAtMillis()), s.reservedWei(), BigInteger::add);
            if (s.nonce().isPresent()) {
                minOpenNonce = Math.min(minOpenNonce, s.nonce().getAsLong());
            }
            for (Variant v : s.variants()) {
                if (v.worstCaseWei().compareTo(s.reservedWei()) > 0) {
                    return Optional.of("spend " + s.id() + "'s variant " + v.hash() + " passes its reservation");
                }
            }
        }
        for (Spend s : ended.values()) {
            if (!s.state().terminal()) {
                return Optional.of("ended spend " + s.id() + " is " + s.state());
            }
            if (s.nonce().isPresent()) {
                maxEndedNonce = Math.max(maxEndedNonce, s.nonce().getAsLong());
            }
            if (!Objects.equals(endedByIndex.get(s.endedIndex()), s.id())) {
                return Optional.of("ended spend " + s.id() + " is not listed at its end index " + s.endedIndex());
            }
        }
        if (endedByIndex.size() != ended.size()) {
            return Optional.of("ended spends and their end indices differ in number");
        }
        if (maxEndedNonce >= minOpenNonce) {
            return Optional.of("nonce " + maxEndedNonce + " ended while nonce " + minOpenNonce + " is open");
        }
        for (Spend s : held()) {
            if (s.nonce().isPresent()) {
                withNonce++;
                long n = s.nonce().getAsLong();
                if (n < firstNonce || n >= nextNonce) {
                    return Optional.of("spend " + s.id() + "'s nonce " + n + " is outside [" + firstNonce + ", "
                            + nextNonce + ")");
                }
                if (!Objects.equals(byNonce.get(n), s.id())) {
                    return Optional.of("nonce " + n + " is indexed to spend " + byNonce.get(n) + ", not " + s.id());
                }
            }
            for (Variant v : s.variants()) {
                if (hashes.put(v.hash(), s.id()) != null) {
                    return Optional.of("hash " + v.hash() + " belongs to two variants");
                }
            }
            if (!Objects.equals(keys.get(s.idempotencyKey()), s.id())) {
                return Optional.of("spend " + s.id() + "'s key is remembered for " + keys.get(s.idempotencyKey()));
            }
        }
        if (withNonce != byNonce.size()) {
            return Optional.of("the nonce index holds " + byNonce.size() + " nonces for " + withNonce + " spends");
        }
        if (!byNonce.isEmpty() && (byNonce.lastKey() != nextNonce - 1
                || byNonce.lastKey() - byNonce.firstKey() + 1 != byNonce.size())) {
            return Optional.of("the nonces held are not a gapless range ending at " + (nextNonce - 1) + ": "
                    + byNonce.firstKey() + ".." + byNonce.lastKey() + " (" + byNonce.size() + ")");
        }
        if (byNonce.isEmpty() && nextNonce != firstNonce && ended.size() < RETAIN_ENDED) {
            return Optional.of("nonces " + firstNonce + ".." + (nextNonce - 1) + " were allocated and none is held,"
                    + " though fewer than " + RETAIN_ENDED + " ended spends are");
        }
        if (!hashes.equals(byHash)) {
            return Optional.of("the hash index differs from the variants held");
        }
        if (!reserved.equals(reservedByDay)) {
            return Optional.of("reserved by day " + reservedByDay + " differs from the open spends' " + reserved);
        }
        if (keys.size() != keysById.size() || keys.size() > RETAIN_KEYS) {
            return Optional.of("the key memory is inconsistent (" + keys.size() + " keys, " + keysById.size()
                    + " ids)");
        }
        int claims = 0;
        for (int n : claimsByTime.values()) {
            claims += n;
        }
        if (claims != claimsRemembered || claims > WalletPolicy.MAX_SPENDS_PER_WINDOW) {
            return Optional.of("velocity memory counts " + claimsRemembered + ", holds " + claims);
        }
        if (open.size() > MAX_OPEN_SPENDS || ended.size() > RETAIN_ENDED || spentByDay.size() > RETAIN_DAYS) {
            return Optional.of("the ledger holds more than its bounds");
        }
        return Optional.empty();
    }

    private List<Spend> held() {
        List<Spend> all = new ArrayList<>(open.values());
        all.addAll(ended.values());
        return all;
    }

    // ---- snapshots

    /** Emits the ledger as chunks, cut deterministically from its sorted state; the first carries the header. */
    public void takeSnapshot(Consumer<WalletSnapshotChunk> chunks) {
        Header header = new Header(chainId, Optional.ofNullable(address), firstNonce, nextNonce,
                Optional.ofNullable(policy), Optional.ofNullable(freeze), term);
        TreeMap<Long, Spend> all = new TreeMap<>(open);
        all.putAll(ended);
        List<Spend> spends = List.copyOf(all.values());
        List<KeyRow> keyRows = keys.entrySet().stream().map(e -> new KeyRow(e.getKey(), e.getValue())).toList();
        List<DayRow> dayRows = spentByDay.entrySet().stream().map(e -> new DayRow(e.getKey(), e.getValue())).toList();
        List<ClaimRow> claimRows = claimsByTime.entrySet().stream().map(e -> new ClaimRow(e.getKey(), e.getValue()))
                .toList();
        chunks.accept(new WalletSnapshotChunk(Optional.of(header), List.of(), List.of(), List.of(), List.of()));
        for (int i = 0; i < spends.size(); i += SPENDS_PER_CHUNK) {
            chunks.accept(new WalletSnapshotChunk(Optional.empty(), slice(spends, i, SPENDS_PER_CHUNK), List.of(),
                    List.of(), List.of()));
        }
        for (int i = 0; i < keyRows.size(); i += ROWS_PER_CHUNK) {
            chunks.accept(new WalletSnapshotChunk(Optional.empty(), List.of(), slice(keyRows, i, ROWS_PER_CHUNK),
                    List.of(), List.of()));
        }
        for (int i = 0; i < dayRows.size(); i += ROWS_PER_CHUNK) {
            chunks.accept(new WalletSnapshotChunk(Optional.empty(), List.of(), List.of(),
                    slice(dayRows, i, ROWS_PER_CHUNK), List.of()));
        }
        for (int i = 0; i < claimRows.size(); i += ROWS_PER_CHUNK) {
            chunks.accept(new WalletSnapshotChunk(Optional.empty(), List.of(), List.of(), List.of(),
                    slice(claimRows, i, ROWS_PER_CHUNK)));
        }
    }

    private static <T> List<T> slice(List<T> all, int from, int n) {
        return all.subList(from, Math.min(all.size(), from + n));
    }

    /**
     * Checks a snapshot's chunks as {@link #installSnapshot} would, changing nothing.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public void checkSnapshot(long commitIndex, List<WalletSnapshotChunk> chunks) {
        new WalletLedger().fill(commitIndex, chunks);
    }

    /**
     * Replaces the whole ledger with a snapshot's chunks (in any order), after checking all of them: a bad snapshot
     * leaves the ledger as it was.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public void installSnapshot(long commitIndex, List<WalletSnapshotChunk> chunks) {
        WalletLedger fresh = new WalletLedger();
        fresh.fill(commitIndex, chunks);
        chainId = fresh.chainId;
        address = fresh.address;
        firstNonce = fresh.firstNonce;
        nextNonce = fresh.nextNonce;
        policy = fresh.policy;
        freeze = fresh.freeze;
        term = fresh.term;
        replace(open, fresh.open);
        replace(ended, fresh.ended);
        replace(endedByIndex, fresh.endedByIndex);
        replace(keys, fresh.keys);
        replace(keysById, fresh.keysById);
        replace(byNonce, fresh.byNonce);
        replace(byHash, fresh.byHash);
        replace(spentByDay, fresh.spentByDay);
        replace(reservedByDay, fresh.reservedByDay);
        replace(claimsByTime, fresh.claimsByTime);
        claimsRemembered = fresh.claimsRemembered;
        lastApplied = commitIndex;
    }

    private static <K, V> void replace(TreeMap<K, V> target, TreeMap<K, V> source) {
        target.clear();
        target.putAll(source);
    }

    private void fill(long commitIndex, List<WalletSnapshotChunk> chunks) {
        Header header = null;
        for (WalletSnapshotChunk chunk : chunks) {
            if (chunk.header().isPresent()) {
                if (header != null) {
                    throw new IllegalArgumentException("a wallet snapshot has two headers");
                }
                header = chunk.header().get();
            }
            for (Spend s : chunk.spends()) {
                if (s.id() > commitIndex || s.endedIndex() > commitIndex) {
                    throw new IllegalArgumentException("spend " + s.id() + " names a log index past the snapshot's "
                            + commitIndex);
                }
                if (open.containsKey(s.id()) || ended.containsKey(s.id())) {
                    throw new IllegalArgumentException("a wallet snapshot lists spend " + s.id() + " twice");
                }
                if (s.state().terminal()) {
                    ended.put(s.id(), s);
                    if (endedByIndex.put(s.endedIndex(), s.id()) != null) {
                        throw new IllegalArgumentException("two ended spends share the end index " + s.endedIndex());
                    }
                } else {
                    open.put(s.id(), s);
                    addReserved(day(s.requestedAtMillis()), s.reservedWei());
                }
                if (s.nonce().isPresent() && byNonce.put(s.nonce().getAsLong(), s.id()) != null) {
                    throw new IllegalArgumentException("two spends share nonce " + s.nonce().getAsLong());
                }
                for (Variant v : s.variants()) {
                    if (byHash.put(v.hash(), s.id()) != null) {
                        throw new IllegalArgumentException("two variants share hash " + v.hash());
                    }
                }
            }
            for (KeyRow k : chunk.keys()) {
                if (keys.put(k.key(), k.spendId()) != null || keysById.put(k.spendId(), k.key()) != null) {
                    throw new IllegalArgumentException("a wallet snapshot remembers key \"" + k.key() + "\" or spend "
                            + k.spendId() + " twice");
                }
            }
            for (DayRow d : chunk.days()) {
                if (spentByDay.put(d.day(), d.spentWei()) != null) {
                    throw new IllegalArgumentException("a wallet snapshot has two rows for day " + d.day());
                }
            }
            for (ClaimRow c : chunk.claims()) {
                if (claimsByTime.put(c.atMillis(), c.count()) != null) {
                    throw new IllegalArgumentException("a wallet snapshot has two velocity rows at " + c.atMillis());
                }
                claimsRemembered += c.count();
            }
        }
        if (header == null) {
            throw new IllegalArgumentException("a wallet snapshot has no header");
        }
        chainId = header.chainId();
        address = header.address().orElse(null);
        firstNonce = header.firstNonce();
        nextNonce = header.nextNonce();
        policy = header.policy().orElse(null);
        freeze = header.freeze().orElse(null);
        term = header.term();
        Optional<String> problem = invariantProblem();
        if (problem.isPresent()) {
            throw new IllegalArgumentException("a wallet snapshot breaks the ledger's invariants: " + problem.get());
        }
        lastApplied = commitIndex;
    }

    // ---- reads (node thread)

    @Override
    public WalletStatus status(long atMillis) {
        long day = day(atMillis);
        BigInteger spent = spentByDay.getOrDefault(day, BigInteger.ZERO);
        BigInteger reserved = reservedByDay.getOrDefault(day, BigInteger.ZERO);
        BigInteger left = policy == null ? BigInteger.ZERO
                : policy.dailyBudgetWei().subtract(spent).subtract(reserved).max(BigInteger.ZERO);
        int awaiting = (int) open.values().stream().filter(s -> s.state() == SpendState.AWAITING_APPROVAL).count();
        return new WalletStatus(chainId == 0 ? OptionalLong.empty() : OptionalLong.of(chainId),
                Optional.ofNullable(address), nextNonce,
                Optional.ofNullable(freeze).map(f -> f.by() + ": " + f.reason()), Optional.ofNullable(policy), day,
                spent, reserved, left, awaiting, open.size(), term);
    }

    @Override
    public Optional<Spend> spend(long id) {
        Spend s = open.get(id);
        return Optional.ofNullable(s != null ? s : ended.get(id));
    }

    @Override
    public Optional<Spend> spendByKey(String idempotencyKey) {
        Long id = keys.get(idempotencyKey);
        return id == null ? Optional.empty() : spend(id);
    }

    @Override
    public List<Spend> openSpends() {
        List<Spend> out = new ArrayList<>();
        for (Long id : byNonce.values()) {
            Spend s = open.get(id);
            if (s != null) {
                out.add(s);
            }
        }
        for (Spend s : open.values()) {
            if (s.nonce().isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    @Override
    public List<Spend> endedSpends(int limit) {
        List<Spend> out = new ArrayList<>();
        for (Long id : endedByIndex.descendingMap().values()) {
            if (out.size() >= limit) {
                break;
            }
            out.add(ended.get(id));
        }
        return out;
    }

    /** Highest log index applied here (operations or snapshot). */
    public long lastApplied() {
        return lastApplied;
    }

    /** A spend being changed: a copy of its fields, set one by one, then checked as a new {@link Spend}. */
    private static final class Draft {
        private final Spend s;
        private SpendState state;
        private OptionalLong nonce;
        private final List<Variant> variants;
        private Inclusion inclusion;
        private Settlement settlement;
        private Decision decision;
        private BigInteger reserved;
        private long updated;
        private long endedIndex;

        Draft(Spend s) {
            this.s = s;
            state = s.state();
            nonce = s.nonce();
            variants = new ArrayList<>(s.variants());
            inclusion = s.inclusion().orElse(null);
            settlement = s.settlement().orElse(null);
            decision = s.decision().orElse(null);
            reserved = s.reservedWei();
            updated = s.updatedAtMillis();
            endedIndex = s.endedIndex();
        }

        Draft state(SpendState v) {
            state = v;
            return this;
        }

        Draft nonce(long v) {
            nonce = OptionalLong.of(v);
            return this;
        }

        Draft variant(Variant v) {
            variants.add(v);
            return this;
        }

        Draft inclusion(Inclusion v) {
            inclusion = v;
            return this;
        }

        Draft settlement(Settlement v) {
            settlement = v;
            return this;
        }

        Draft decision(Decision v) {
            decision = v;
            return this;
        }

        Draft reserved(BigInteger v) {
            reserved = v;
            return this;
        }

        Draft updated(long atMillis) {
            // A later leader's clock may be behind; the record keeps the newest time it was changed.
            updated = Math.max(updated, atMillis);
            return this;
        }

        Draft endedIndex(long v) {
            endedIndex = v;
            return this;
        }

        Spend build() {
            return new Spend(s.id(), s.idempotencyKey(), s.to(), s.valueWei(), s.data(), s.gasLimit(),
                    s.maxFeePerGasWei(), s.origin(), s.claimedBy(), s.claimTerm(), state, nonce, variants,
                    Optional.ofNullable(inclusion), Optional.ofNullable(settlement), Optional.ofNullable(decision),
                    reserved, s.requestedAtMillis(), updated, endedIndex);
        }
    }
}
