package io.agentmesh.node.consensus;

import io.agentmesh.node.wallet.ledger.Decision;
import io.agentmesh.node.wallet.ledger.Inclusion;
import io.agentmesh.node.wallet.ledger.Settlement;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.SpendState;
import io.agentmesh.node.wallet.ledger.Variant;
import io.agentmesh.node.wallet.ledger.VariantKind;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletPolicy;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk;
import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The bytes of the wallet ledger's operations and snapshot chunks inside {@link RaftCodec}'s operation layout (the tag
 * is written by RaftCodec, the body here), in the same style as {@link LedgerCodec}: big-endian fixed layout, every
 * text, byte string and count bounded, enums as explicit codes (never {@code ordinal()}), amounts in wei as their
 * shortest unsigned big-endian bytes (at most 32, no leading zero: one encoding per number), addresses and hashes as
 * their 20 and 32 bytes, data and signed transactions as length-prefixed bytes. Every value is then checked by the
 * record it builds. Stateless.
 */
final class WalletCodec {
    static final int MAX_NODE_ID_BYTES = 4 * WalletOp.MAX_NODE_ID_CHARS;
    static final int MAX_KEY_BYTES = 4 * WalletOp.MAX_IDEMPOTENCY_KEY_CHARS;
    static final int MAX_NAME_BYTES = 4 * WalletOp.MAX_NAME_CHARS;
    static final int MAX_REASON_BYTES = 4 * WalletOp.MAX_REASON_CHARS;
    static final int WEI_BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();

    // Shortest encodings of one counted item, so a forged count is refused before any item is read.
    /** kind, raw length, hash, two fees, gas, worst case, time, node id length, term. */
    static final int MIN_VARIANT_BYTES = 1 + Integer.BYTES + 32 + 2 + Long.BYTES + 1 + Long.BYTES + Integer.BYTES
            + Long.BYTES;
    /**
     * id 8, key 4+1, to 20, value 1, data 4, gas 8, fee 1, origin 4, claimedBy 4+1, term 8, state 1, nonce flag 1,
     * variant count 4, three presence flags, reserved 1, three numbers 24.
     */
    static final int MIN_SPEND_BYTES = 8 + 5 + 20 + 1 + 4 + 8 + 1 + 4 + 5 + 8 + 1 + 1 + 4 + 3 + 1 + 24;
    static final int MIN_KEY_ROW_BYTES = Integer.BYTES + 1 + Long.BYTES;
    static final int MIN_DAY_ROW_BYTES = Long.BYTES + 1;
    static final int MIN_CLAIM_ROW_BYTES = Long.BYTES + Integer.BYTES;

    private WalletCodec() {
    }

    // ---- operations

    static void writeSync(BoundedWriter w, WalletOp.SyncChain s) {
        proposer(w, s);
        w.i64(s.chainId());
        address(w, s.address());
        w.i64(s.chainNonce());
        w.i64(s.atMillis());
    }

    static WalletOp.SyncChain readSync(BoundedReader r) {
        return new WalletOp.SyncChain(nodeId(r), term(r), r.i64("chainId"), address(r, "address"),
                r.nonNegativeI64("chainNonce"), at(r));
    }

    static void writeSetPolicy(BoundedWriter w, WalletOp.SetPolicy p) {
        proposer(w, p);
        writePolicy(w, p.policy());
        w.i64(p.atMillis());
    }

    static WalletOp.SetPolicy readSetPolicy(BoundedReader r) {
        return new WalletOp.SetPolicy(nodeId(r), term(r), readPolicy(r), at(r));
    }

    static void writeClaim(BoundedWriter w, WalletOp.Claim c) {
        proposer(w, c);
        w.text32(c.idempotencyKey());
        address(w, c.to());
        wei(w, c.valueWei());
        hexBytes(w, c.data());
        w.i64(c.gasLimit());
        wei(w, c.maxFeePerGasWei());
        w.text32(c.origin());
        w.i64(c.atMillis());
    }

    static WalletOp.Claim readClaim(BoundedReader r) {
        return new WalletOp.Claim(nodeId(r), term(r), r.text32("idempotencyKey", MAX_KEY_BYTES), address(r, "to"),
                wei(r, "valueWei"), hexBytes(r, "data", WalletOp.MAX_DATA_BYTES), r.i64("gasLimit"),
                wei(r, "maxFeePerGasWei"), r.text32("origin", MAX_NAME_BYTES), at(r));
    }

    static void writeApprove(BoundedWriter w, WalletOp.Approve a) {
        proposer(w, a);
        w.i64(a.spendId()).text32(a.by());
        w.i64(a.atMillis());
    }

    static WalletOp.Approve readApprove(BoundedReader r) {
        return new WalletOp.Approve(nodeId(r), term(r), r.i64("spendId"), r.text32("by", MAX_NAME_BYTES), at(r));
    }

    static void writeReject(BoundedWriter w, WalletOp.Reject x) {
        proposer(w, x);
        w.i64(x.spendId()).text32(x.by()).text32(x.reason());
        w.i64(x.atMillis());
    }

    static WalletOp.Reject readReject(BoundedReader r) {
        return new WalletOp.Reject(nodeId(r), term(r), r.i64("spendId"), r.text32("by", MAX_NAME_BYTES),
                r.text32("reason", MAX_REASON_BYTES), at(r));
    }

    static void writeExpire(BoundedWriter w, WalletOp.Expire e) {
        proposer(w, e);
        w.i64(e.spendId());
        w.i64(e.atMillis());
    }

    static WalletOp.Expire readExpire(BoundedReader r) {
        return new WalletOp.Expire(nodeId(r), term(r), r.i64("spendId"), at(r));
    }

    static void writePrepare(BoundedWriter w, WalletOp.Prepare p) {
        proposer(w, p);
        w.i64(p.spendId()).i64(p.nonce()).u8(kind(p.kind()));
        hexBytes(w, p.raw());
        hash(w, p.hash());
        wei(w, p.maxFeePerGasWei());
        wei(w, p.maxPriorityFeePerGasWei());
        w.i64(p.gasLimit());
        w.i64(p.atMillis());
    }

    static WalletOp.Prepare readPrepare(BoundedReader r) {
        return new WalletOp.Prepare(nodeId(r), term(r), r.i64("spendId"), r.i64("nonce"), kind(r.u8("variant kind")),
                hexBytes(r, "raw", WalletOp.MAX_RAW_BYTES), hash(r, "hash"), wei(r, "maxFeePerGasWei"),
                wei(r, "maxPriorityFeePerGasWei"), r.i64("gasLimit"), at(r));
    }

    static void writeIncluded(BoundedWriter w, WalletOp.Included i) {
        proposer(w, i);
        w.i64(i.spendId());
        hash(w, i.hash());
        w.i64(i.blockNumber());
        hash(w, i.blockHash());
        w.bool(i.succeeded());
        w.i64(i.atMillis());
    }

    static WalletOp.Included readIncluded(BoundedReader r) {
        return new WalletOp.Included(nodeId(r), term(r), r.i64("spendId"), hash(r, "hash"), r.i64("blockNumber"),
                hash(r, "blockHash"), r.bool("succeeded"), at(r));
    }

    static void writeReorged(BoundedWriter w, WalletOp.Reorged x) {
        proposer(w, x);
        w.i64(x.spendId());
        hash(w, x.hash());
        w.i64(x.atMillis());
    }

    static WalletOp.Reorged readReorged(BoundedReader r) {
        return new WalletOp.Reorged(nodeId(r), term(r), r.i64("spendId"), hash(r, "hash"), at(r));
    }

    static void writeComplete(BoundedWriter w, WalletOp.Complete c) {
        proposer(w, c);
        w.i64(c.spendId());
        hash(w, c.hash());
        w.i64(c.gasUsed());
        wei(w, c.effectiveGasPriceWei());
        w.i64(c.atMillis());
    }

    static WalletOp.Complete readComplete(BoundedReader r) {
        return new WalletOp.Complete(nodeId(r), term(r), r.i64("spendId"), hash(r, "hash"), r.i64("gasUsed"),
                wei(r, "effectiveGasPriceWei"), at(r));
    }

    static void writeFreeze(BoundedWriter w, WalletOp.Freeze f) {
        proposer(w, f);
        w.text32(f.by()).text32(f.reason());
        w.i64(f.atMillis());
    }

    static WalletOp.Freeze readFreeze(BoundedReader r) {
        return new WalletOp.Freeze(nodeId(r), term(r), r.text32("by", MAX_NAME_BYTES),
                r.text32("reason", MAX_REASON_BYTES), at(r));
    }

    static void writeUnfreeze(BoundedWriter w, WalletOp.Unfreeze u) {
        proposer(w, u);
        w.text32(u.by());
        w.i64(u.atMillis());
    }

    static WalletOp.Unfreeze readUnfreeze(BoundedReader r) {
        return new WalletOp.Unfreeze(nodeId(r), term(r), r.text32("by", MAX_NAME_BYTES), at(r));
    }

    // The proposer's node id and term lead every operation and its clock ends it: each reader builds its record with
    // the arguments in that order (Java evaluates them left to right).
    private static void proposer(BoundedWriter w, WalletOp op) {
        w.text32(op.nodeId()).i64(op.term());
    }

    // ---- snapshot chunks

    static void writeChunk(BoundedWriter w, WalletSnapshotChunk c) {
        w.bool(c.header().isPresent());
        c.header().ifPresent(h -> {
            w.i64(h.chainId());
            w.bool(h.address().isPresent());
            h.address().ifPresent(a -> address(w, a));
            w.i64(h.firstNonce()).i64(h.nextNonce());
            w.bool(h.policy().isPresent());
            h.policy().ifPresent(p -> writePolicy(w, p));
            w.bool(h.freeze().isPresent());
            h.freeze().ifPresent(d -> writeDecision(w, d));
            w.i64(h.term());
        });
        w.i32(c.spends().size());
        for (Spend s : c.spends()) {
            writeSpend(w, s);
        }
        w.i32(c.keys().size());
        for (WalletSnapshotChunk.KeyRow k : c.keys()) {
            w.text32(k.key()).i64(k.spendId());
        }
        w.i32(c.days().size());
        for (WalletSnapshotChunk.DayRow d : c.days()) {
            w.i64(d.day());
            wei(w, d.spentWei());
        }
        w.i32(c.claims().size());
        for (WalletSnapshotChunk.ClaimRow cl : c.claims()) {
            w.i64(cl.atMillis()).i32(cl.count());
        }
    }

    static WalletSnapshotChunk readChunk(BoundedReader r) {
        Optional<WalletSnapshotChunk.Header> header = Optional.empty();
        if (r.bool("header present")) {
            long chainId = r.nonNegativeI64("chainId");
            Optional<String> address = r.bool("address present") ? Optional.of(address(r, "address"))
                    : Optional.empty();
            long first = r.nonNegativeI64("firstNonce");
            long next = r.nonNegativeI64("nextNonce");
            Optional<WalletPolicy> policy = r.bool("policy present") ? Optional.of(readPolicy(r)) : Optional.empty();
            Optional<Decision> freeze = r.bool("freeze present") ? Optional.of(readDecision(r)) : Optional.empty();
            header = Optional.of(new WalletSnapshotChunk.Header(chainId, address, first, next, policy, freeze,
                    r.nonNegativeI64("term")));
        }
        int nSpends = r.count32("spends", WalletLedger.SPENDS_PER_CHUNK, MIN_SPEND_BYTES);
        List<Spend> spends = new ArrayList<>(nSpends);
        for (int i = 0; i < nSpends; i++) {
            spends.add(readSpend(r));
        }
        int nKeys = r.count32("keys", WalletLedger.ROWS_PER_CHUNK, MIN_KEY_ROW_BYTES);
        List<WalletSnapshotChunk.KeyRow> keys = new ArrayList<>(nKeys);
        for (int i = 0; i < nKeys; i++) {
            keys.add(new WalletSnapshotChunk.KeyRow(r.text32("key", MAX_KEY_BYTES), r.i64("key spendId")));
        }
        int nDays = r.count32("days", WalletLedger.ROWS_PER_CHUNK, MIN_DAY_ROW_BYTES);
        List<WalletSnapshotChunk.DayRow> days = new ArrayList<>(nDays);
        for (int i = 0; i < nDays; i++) {
            days.add(new WalletSnapshotChunk.DayRow(r.i64("day"), wei(r, "spentWei")));
        }
        int nClaims = r.count32("claim rows", WalletLedger.ROWS_PER_CHUNK, MIN_CLAIM_ROW_BYTES);
        List<WalletSnapshotChunk.ClaimRow> claims = new ArrayList<>(nClaims);
        for (int i = 0; i < nClaims; i++) {
            claims.add(new WalletSnapshotChunk.ClaimRow(r.nonNegativeI64("claim atMillis"), r.i32("claim count")));
        }
        return new WalletSnapshotChunk(header, spends, keys, days, claims);
    }

    private static void writeSpend(BoundedWriter w, Spend s) {
        w.i64(s.id()).text32(s.idempotencyKey());
        address(w, s.to());
        wei(w, s.valueWei());
        hexBytes(w, s.data());
        w.i64(s.gasLimit());
        wei(w, s.maxFeePerGasWei());
        w.text32(s.origin()).text32(s.claimedBy()).i64(s.claimTerm()).u8(state(s.state()));
        w.bool(s.nonce().isPresent());
        s.nonce().ifPresent(w::i64);
        w.i32(s.variants().size());
        for (Variant v : s.variants()) {
            w.u8(kind(v.kind()));
            hexBytes(w, v.raw());
            hash(w, v.hash());
            wei(w, v.maxFeePerGasWei());
            wei(w, v.maxPriorityFeePerGasWei());
            w.i64(v.gasLimit());
            wei(w, v.worstCaseWei());
            w.i64(v.preparedAtMillis()).text32(v.preparedBy()).i64(v.term());
        }
        w.bool(s.inclusion().isPresent());
        s.inclusion().ifPresent(in -> {
            hash(w, in.hash());
            w.i64(in.blockNumber());
            hash(w, in.blockHash());
            w.bool(in.succeeded()).i64(in.observedAtMillis());
        });
        w.bool(s.settlement().isPresent());
        s.settlement().ifPresent(st -> {
            hash(w, st.hash());
            w.i64(st.gasUsed());
            wei(w, st.effectiveGasPriceWei());
            wei(w, st.feeWei());
            wei(w, st.chargedWei());
            wei(w, st.releasedWei());
        });
        w.bool(s.decision().isPresent());
        s.decision().ifPresent(d -> writeDecision(w, d));
        wei(w, s.reservedWei());
        w.i64(s.requestedAtMillis()).i64(s.updatedAtMillis()).i64(s.endedIndex());
    }

    private static Spend readSpend(BoundedReader r) {
        long id = r.i64("spend id");
        String key = r.text32("idempotencyKey", MAX_KEY_BYTES);
        String to = address(r, "to");
        BigInteger value = wei(r, "valueWei");
        String data = hexBytes(r, "data", WalletOp.MAX_DATA_BYTES);
        long gas = r.i64("gasLimit");
        BigInteger maxFee = wei(r, "maxFeePerGasWei");
        String origin = r.text32("origin", MAX_NAME_BYTES);
        String claimedBy = r.text32("claimedBy", MAX_NODE_ID_BYTES);
        long claimTerm = r.nonNegativeI64("claimTerm");
        SpendState state = state(r.u8("spend state"));
        OptionalLong nonce = r.bool("nonce present") ? OptionalLong.of(r.nonNegativeI64("nonce")) : OptionalLong.empty();
        int n = r.count32("variants", WalletOp.MAX_VARIANTS, MIN_VARIANT_BYTES);
        List<Variant> variants = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            variants.add(new Variant(kind(r.u8("variant kind")), hexBytes(r, "raw", WalletOp.MAX_RAW_BYTES),
                    hash(r, "variant hash"), wei(r, "variant maxFeePerGasWei"),
                    wei(r, "variant maxPriorityFeePerGasWei"), r.i64("variant gasLimit"), wei(r, "worstCaseWei"),
                    r.nonNegativeI64("preparedAtMillis"), r.text32("preparedBy", MAX_NODE_ID_BYTES),
                    r.nonNegativeI64("variant term")));
        }
        Optional<Inclusion> inclusion = r.bool("inclusion present") ? Optional.of(new Inclusion(hash(r,
                "included hash"), r.nonNegativeI64("blockNumber"), hash(r, "blockHash"), r.bool("succeeded"),
                r.nonNegativeI64("observedAtMillis"))) : Optional.empty();
        Optional<Settlement> settlement = r.bool("settlement present") ? Optional.of(new Settlement(hash(r,
                "settled hash"), r.nonNegativeI64("gasUsed"), wei(r, "effectiveGasPriceWei"), wei(r, "feeWei"),
                wei(r, "chargedWei"), wei(r, "releasedWei"))) : Optional.empty();
        Optional<Decision> decision = r.bool("decision present") ? Optional.of(readDecision(r)) : Optional.empty();
        return new Spend(id, key, to, value, data, gas, maxFee, origin, claimedBy, claimTerm, state, nonce, variants,
                inclusion, settlement, decision, wei(r, "reservedWei"), r.nonNegativeI64("requestedAtMillis"),
                r.nonNegativeI64("updatedAtMillis"), r.nonNegativeI64("endedIndex"));
    }

    private static void writePolicy(BoundedWriter w, WalletPolicy p) {
        wei(w, p.perTxCapWei());
        wei(w, p.dailyBudgetWei());
        w.i32(p.allowedRecipients().size());
        p.allowedRecipients().forEach(a -> address(w, a));
        w.i32(p.maxSpendsPerWindow()).i64(p.velocityWindowMs());
        w.bool(p.approvalAboveWei().isPresent());
        p.approvalAboveWei().ifPresent(v -> wei(w, v));
        w.i64(p.approvalTimeoutMs()).bool(p.killSwitch());
    }

    private static WalletPolicy readPolicy(BoundedReader r) {
        BigInteger cap = wei(r, "perTxCapWei");
        BigInteger budget = wei(r, "dailyBudgetWei");
        int n = r.count32("allowedRecipients", WalletPolicy.MAX_ALLOWED_RECIPIENTS, 20);
        List<String> allowed = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String a = address(r, "allowed recipient");
            // The policy keeps them sorted and distinct; one encoding per policy means written in that order.
            if (!allowed.isEmpty() && allowed.getLast().compareTo(a) >= 0) {
                throw new CodecException("allowed recipients are written in ascending order, once each; " + a
                        + " follows " + allowed.getLast());
            }
            allowed.add(a);
        }
        int maxSpends = r.i32("maxSpendsPerWindow");
        long window = r.i64("velocityWindowMs");
        Optional<BigInteger> approval = r.bool("approval present") ? Optional.of(wei(r, "approvalAboveWei"))
                : Optional.empty();
        return new WalletPolicy(cap, budget, allowed, maxSpends, window, approval, r.i64("approvalTimeoutMs"),
                r.bool("killSwitch"));
    }

    private static void writeDecision(BoundedWriter w, Decision d) {
        w.text32(d.by()).text32(d.reason()).i64(d.atMillis());
    }

    private static Decision readDecision(BoundedReader r) {
        return new Decision(r.text32("by", MAX_NAME_BYTES), r.text32("reason", MAX_REASON_BYTES),
                r.nonNegativeI64("decision atMillis"));
    }

    // ---- parts

    private static String nodeId(BoundedReader r) {
        return r.text32("nodeId", MAX_NODE_ID_BYTES);
    }

    private static long term(BoundedReader r) {
        return r.nonNegativeI64("term");
    }

    private static long at(BoundedReader r) {
        return r.nonNegativeI64("atMillis");
    }

    static void wei(BoundedWriter w, BigInteger v) {
        byte[] b = v.toByteArray();
        int skip = 0;
        while (skip < b.length && b[skip] == 0) {
            skip++;
        }
        byte[] out = new byte[b.length - skip];
        System.arraycopy(b, skip, out, 0, out.length);
        w.bytes8(out);
    }

    static BigInteger wei(BoundedReader r, String field) {
        byte[] b = r.bytes8(field, WEI_BYTES);
        if (b.length > 0 && b[0] == 0) {
            throw new CodecException(field + ": an amount in wei has no leading zero byte");
        }
        return new BigInteger(1, b);
    }

    private static void address(BoundedWriter w, String address) {
        w.fixed(HEX.parseHex(address, 2, address.length()));
    }

    private static String address(BoundedReader r, String field) {
        return "0x" + HEX.formatHex(r.fixed(field, 20));
    }

    private static void hash(BoundedWriter w, String hash) {
        w.fixed(HEX.parseHex(hash, 2, hash.length()));
    }

    private static String hash(BoundedReader r, String field) {
        return "0x" + HEX.formatHex(r.fixed(field, 32));
    }

    private static void hexBytes(BoundedWriter w, String hex) {
        w.bytes32(HEX.parseHex(hex, 2, hex.length()));
    }

    private static String hexBytes(BoundedReader r, String field, int maxBytes) {
        return "0x" + HEX.formatHex(r.bytes32(field, maxBytes));
    }

    private static int kind(VariantKind k) {
        return switch (k) {
            case TRANSFER -> 0;
            case CANCEL -> 1;
        };
    }

    private static VariantKind kind(int code) {
        return switch (code) {
            case 0 -> VariantKind.TRANSFER;
            case 1 -> VariantKind.CANCEL;
            default -> throw new CodecException("unknown variant kind " + code);
        };
    }

    /** Spend states by code (code = position). Append only. */
    static final List<SpendState> STATE_CODES = List.of(SpendState.CLAIMED, SpendState.AWAITING_APPROVAL,
            SpendState.APPROVED, SpendState.PREPARED, SpendState.INCLUDED, SpendState.COMPLETED,
            SpendState.FAILED_REVERTED, SpendState.CANCELLED, SpendState.REJECTED, SpendState.EXPIRED);

    private static int state(SpendState s) {
        return STATE_CODES.indexOf(s);
    }

    private static SpendState state(int code) {
        if (code >= STATE_CODES.size()) {
            throw new CodecException("unknown spend state " + code);
        }
        return STATE_CODES.get(code);
    }
}
