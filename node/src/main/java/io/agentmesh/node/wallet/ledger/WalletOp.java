package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;
import java.util.Objects;

/**
 * Operations of the wallet ledger, replicated through Raft and applied by {@code WalletLedger} on every member
 * (docs/wallet.md, "The protocol"). A spend is claimed (its idempotency key deduplicated, the policy checked, its worst
 * case reserved against the daily budget), optionally approved by a human, prepared (the replicated ledger allocates
 * its nonce; the leader signs with its node-local key and commits the raw bytes and their hash), seen in a block,
 * and completed at the confirmation depth (the actual fee settles the reservation). Only bytes whose {@link Prepare}
 * is committed are ever broadcast; a fee bump or a cancel is one more committed {@link Prepare} at the same nonce.
 *
 * <p>Every operation is proposed by the leader ({@code nodeId} in {@code term}), also those a human asked for through
 * the API or the CLI ({@link Approve}, {@link Reject}, {@link Unfreeze}, which name the human in {@code by}). The
 * ledger remembers the newest term it has applied an operation of and refuses every operation of an older term
 * ({@code STALE_TERM}): a deposed leader's late proposal changes nothing, even when Raft commits it.
 *
 * <p>Times travel in the operations (the proposer's wall clock), never read in apply, because applying an operation
 * must give the same result on every member. For the same reason the policy travels in {@link SetPolicy} and the
 * chain's nonce in {@link SyncChain}: configuration and the chain are node-local views; the ledger's decisions may
 * depend only on what is in the log.
 *
 * <p>Each record checks its fields on construction, so a decoded operation is always well formed (invariant 8);
 * addresses, hashes and byte strings are normalised to lower case. A refusal is a {@link WalletResult.Refused}
 * result with a reason, never an exception, and changes nothing.
 */
public sealed interface WalletOp permits WalletOp.SyncChain, WalletOp.SetPolicy, WalletOp.Claim, WalletOp.Approve,
        WalletOp.Reject, WalletOp.Expire, WalletOp.Prepare, WalletOp.Included, WalletOp.Reorged, WalletOp.Complete,
        WalletOp.Freeze, WalletOp.Unfreeze {
    int MAX_NODE_ID_CHARS = 128;
    int MAX_IDEMPOTENCY_KEY_CHARS = 256;
    /** Human names, origins. */
    int MAX_NAME_CHARS = 256;
    int MAX_REASON_CHARS = 1024;
    /** Call data of one spend. */
    int MAX_DATA_BYTES = 32 * 1024;
    /** A signed transaction: its data plus fields and signature, well under 1 KiB of them. */
    int MAX_RAW_BYTES = MAX_DATA_BYTES + 1024;
    /** Variants of one spend: the transfer, fee bumps, cancels. */
    int MAX_VARIANTS = 16;
    /** The gas of a plain transfer: no transaction can use less. */
    long MIN_GAS_LIMIT = 21_000;
    /** Far above any block's gas limit today; a sanity bound, so gasLimit x maxFee stays small. */
    long MAX_GAS_LIMIT = 1_000_000_000L;

    /** The node id of the leader that proposed the operation. */
    String nodeId();

    /** That leader's Raft term. */
    long term();

    /** The proposer's wall clock when it proposed the operation. */
    long atMillis();

    /**
     * The leader binds the ledger to a chain and an address, or checks the binding. The first one sets
     * {@code chainId}, {@code address} and the nonce counter: {@code nextNonce = chainNonce}, the chain's latest
     * transaction count of the address, so nonces the key used before the wallet existed are skipped. Later ones are
     * granted only with the same chain and address ({@code CHAIN_MISMATCH} otherwise, which the leader answers with
     * {@link Freeze}) and never move the counter: from then on the ledger, not the chain, allocates nonces. No spend
     * is prepared before the first one.
     */
    record SyncChain(String nodeId, long term, long chainId, String address, long chainNonce, long atMillis)
            implements WalletOp {
        public SyncChain {
            proposer(nodeId, term, atMillis);
            if (chainId < 1) {
                throw new IllegalArgumentException("chainId is >= 1, got " + chainId);
            }
            address = WalletChecks.address(address, "address");
            WalletChecks.nonNegative(chainNonce, "chainNonce");
        }
    }

    /**
     * The leader commits the policy of its node-local configuration, when it differs from the committed one. Until
     * the first one, every claim is refused ({@code NO_POLICY}). A new policy applies to later claims and to
     * prepares; it never touches a spend already prepared.
     */
    record SetPolicy(String nodeId, long term, WalletPolicy policy, long atMillis) implements WalletOp {
        public SetPolicy {
            proposer(nodeId, term, atMillis);
            Objects.requireNonNull(policy, "policy");
        }
    }

    /**
     * The leader claims a spend the agent (or a person) asked for. If the ledger knows {@code idempotencyKey}, the
     * result is that spend (a duplicate) when {@code to}, {@code valueWei} and {@code data} match, and
     * {@code IDEMPOTENCY_CONFLICT} when they do not; nothing new is recorded either way. Otherwise granted when there is
     * a policy, no kill switch and no freeze, {@code to} is allowed, {@code valueWei <= perTxCapWei}, fewer than
     * {@code maxSpendsPerWindow} spends were claimed in the window ending at {@code atMillis} (spends rejected or
     * expired are not counted), and the UTC day of {@code atMillis} has room for the worst case:
     * <pre>
     * spent(day) + reserved(day) + valueWei + gasLimit x maxFeePerGasWei <= dailyBudgetWei
     * </pre>
     * The spend's id is the claim's log index; it is {@link SpendState#AWAITING_APPROVAL} when the policy wants a
     * human for its value, {@link SpendState#CLAIMED} otherwise. No nonce yet.
     *
     * @param data            call data, {@code 0x} hex ({@code 0x} for a plain transfer)
     * @param gasLimit        the most gas the spend may use (any variant)
     * @param maxFeePerGasWei the most the spend may bid per gas (any transfer variant): the fee cap its reservation is
     *                        computed from
     * @param origin          where the request came from ({@code api}, {@code intent:<id>}, ...), for people
     */
    record Claim(String nodeId, long term, String idempotencyKey, String to, BigInteger valueWei, String data,
                 long gasLimit, BigInteger maxFeePerGasWei, String origin, long atMillis) implements WalletOp {
        public Claim {
            proposer(nodeId, term, atMillis);
            WalletChecks.text(idempotencyKey, "idempotencyKey", MAX_IDEMPOTENCY_KEY_CHARS);
            to = WalletChecks.address(to, "to");
            WalletChecks.wei(valueWei, "valueWei");
            data = WalletChecks.bytes(data, "data", MAX_DATA_BYTES);
            checkGasLimit(gasLimit);
            WalletChecks.wei(maxFeePerGasWei, "maxFeePerGasWei");
            WalletChecks.note(origin, "origin", MAX_NAME_CHARS);
        }
    }

    /** A human ({@code by}) approves a spend {@link SpendState#AWAITING_APPROVAL}: it becomes preparable. */
    record Approve(String nodeId, long term, long spendId, String by, long atMillis) implements WalletOp {
        public Approve {
            proposer(nodeId, term, atMillis);
            checkSpendId(spendId);
            WalletChecks.text(by, "by", MAX_NAME_CHARS);
        }
    }

    /**
     * A human, or the leader when the policy no longer allows a claimed spend, rejects a spend that has no nonce yet
     * (claimed, awaiting approval or approved): it ends {@link SpendState#REJECTED} and its reservation is released, at
     * zero cost. A spend with a nonce cannot be rejected, only cancelled (a {@link Prepare} of a cancel variant).
     */
    record Reject(String nodeId, long term, long spendId, String by, String reason, long atMillis)
            implements WalletOp {
        public Reject {
            proposer(nodeId, term, atMillis);
            checkSpendId(spendId);
            WalletChecks.text(by, "by", MAX_NAME_CHARS);
            WalletChecks.note(reason, "reason", MAX_REASON_CHARS);
        }
    }

    /**
     * The leader expires a spend still {@link SpendState#AWAITING_APPROVAL} when its approval timed out:
     * {@code atMillis >= requestedAtMillis + approvalTimeoutMs} of the committed policy ({@code NOT_EXPIRED}
     * otherwise). It ends {@link SpendState#EXPIRED}, its reservation released, at zero cost.
     */
    record Expire(String nodeId, long term, long spendId, long atMillis) implements WalletOp {
        public Expire {
            proposer(nodeId, term, atMillis);
            checkSpendId(spendId);
        }
    }

    /**
     * The leader commits a signed variant of a spend before it broadcasts it. The ledger checks that {@code hash} is
     * keccak-256 of {@code raw}; that {@code raw} is a signed EIP-1559 transaction whose chain id, nonce, fees and gas
     * limit are the operation's and whose recipient, value and data are the spend's (a cancel's: the wallet's own
     * address, 0, no data; {@code RAW_MISMATCH} otherwise); and that the variant's worst case (its value, 0 for a cancel, plus
     * {@code gasLimit x maxFeePerGasWei}) fits the spend's reservation; a transfer variant also keeps to the claim's
     * gas limit and fee cap. Then:
     * <ul>
     *   <li>the first variant (a {@link VariantKind#TRANSFER}) is granted only when the spend is
     *       {@link SpendState#CLAIMED} or {@link SpendState#APPROVED}, {@code nonce} is the ledger's next nonce (the
     *       compare-and-set that keeps two spends off one nonce; {@code WRONG_NONCE} otherwise), the ledger is synced,
     *       not frozen, no kill switch is set, and the policy, re-checked now, still allows the spend (recipient,
     *       per-transaction cap, and the day's budget with the spend's reservation in it). The spend becomes
     *       {@link SpendState#PREPARED} with that nonce, and the next nonce moves on by one.</li>
     *   <li>a later variant is granted only when the spend is {@link SpendState#PREPARED} or
     *       {@link SpendState#INCLUDED}, at the spend's nonce. A transfer variant (a fee bump) raises both
     *       {@code maxFeePerGasWei} and {@code maxPriorityFeePerGasWei} by at least 10% over the newest variant and is
     *       refused while frozen or after a cancel; a {@link VariantKind#CANCEL} variant (a zero-value transfer to the
     *       wallet itself, no data) is always allowed within the reservation, frozen or not, because a nonce is never
     *       abandoned.</li>
     * </ul>
     * A variant whose hash the spend already has is granted again without change (a duplicate): the leader re-proposes
     * the identical operation when it does not know whether its first proposal committed.
     *
     * @param raw the signed EIP-1559 transaction, {@code 0x} hex: exactly the bytes that will be broadcast
     */
    record Prepare(String nodeId, long term, long spendId, long nonce, VariantKind kind, String raw, String hash,
                   BigInteger maxFeePerGasWei, BigInteger maxPriorityFeePerGasWei, long gasLimit, long atMillis)
            implements WalletOp {
        public Prepare {
            proposer(nodeId, term, atMillis);
            checkSpendId(spendId);
            WalletChecks.nonNegative(nonce, "nonce");
            Objects.requireNonNull(kind, "kind");
            raw = WalletChecks.bytes(raw, "raw", MAX_RAW_BYTES);
            if (raw.length() == 2) {
                throw new IllegalArgumentException("raw is a signed transaction, not empty");
            }
            hash = WalletChecks.hash(hash, "hash");
            WalletChecks.wei(maxFeePerGasWei, "maxFeePerGasWei");
            WalletChecks.wei(maxPriorityFeePerGasWei, "maxPriorityFeePerGasWei");
            if (maxPriorityFeePerGasWei.compareTo(maxFeePerGasWei) > 0) {
                throw new IllegalArgumentException("maxPriorityFeePerGasWei (" + maxPriorityFeePerGasWei
                        + ") is at most maxFeePerGasWei (" + maxFeePerGasWei + ")");
            }
            checkGasLimit(gasLimit);
        }
    }

    /**
     * The leader saw a receipt for one of the spend's variants ({@code hash}) in block {@code blockNumber}
     * ({@code blockHash}); {@code succeeded} is the receipt's status. Granted when the spend is
     * {@link SpendState#PREPARED} (it becomes {@link SpendState#INCLUDED}) or already {@link SpendState#INCLUDED}
     * (the newer observation replaces the older one: a reorg may have moved the transaction to another block);
     * {@code UNKNOWN_HASH} for a hash that is not one of its variants.
     */
    record Included(String nodeId, long term, long spendId, String hash, long blockNumber, String blockHash,
                    boolean succeeded, long atMillis) implements WalletOp {
        public Included {
            proposer(nodeId, term, atMillis);
            checkSpendId(spendId);
            hash = WalletChecks.hash(hash, "hash");
            WalletChecks.nonNegative(blockNumber, "blockNumber");
            blockHash = WalletChecks.hash(blockHash, "blockHash");
        }
    }

    /**
     * The leader found the included variant's receipt gone (a reorg took its block away): the spend, if
     * {@link SpendState#INCLUDED} with {@code hash}, is {@link SpendState#PREPARED} again, and the leader broadcasts
     * its committed bytes again.
     */
    record Reorged(String nodeId, long term, long spendId, String hash, long atMillis) implements WalletOp {
        public Reorged {
            proposer(nodeId, term, atMillis);
            checkSpendId(spendId);
            hash = WalletChecks.hash(hash, "hash");
        }
    }

    /**
     * The spend's included variant {@code hash} reached the confirmation depth (or {@code finalized}): the spend ends,
     * {@link SpendState#COMPLETED} (a transfer that succeeded), {@link SpendState#FAILED_REVERTED} (a transfer that
     * reverted) or {@link SpendState#CANCELLED} (a cancel was mined). The fee, {@code gasUsed x effectiveGasPriceWei},
     * plus the value of a successful transfer, is charged to the day of its claim; the rest of its reservation is
     * released. Granted only when the spend is {@link SpendState#INCLUDED} with {@code hash}, every spend with a lower
     * nonce has ended (the chain mines nonces in order, so completions follow it; {@code OUT_OF_ORDER} otherwise), and
     * the receipt fits the variant ({@code gasUsed <= gasLimit}, {@code effectiveGasPriceWei <= maxFeePerGasWei};
     * {@code BAD_RECEIPT} otherwise, which the leader answers with {@link Freeze}).
     */
    record Complete(String nodeId, long term, long spendId, String hash, long gasUsed, BigInteger effectiveGasPriceWei,
                    long atMillis) implements WalletOp {
        public Complete {
            proposer(nodeId, term, atMillis);
            checkSpendId(spendId);
            hash = WalletChecks.hash(hash, "hash");
            WalletChecks.nonNegative(gasUsed, "gasUsed");
            WalletChecks.wei(effectiveGasPriceWei, "effectiveGasPriceWei");
        }
    }

    /**
     * The wallet stops: nothing new is claimed, prepared or bumped until a human unfreezes it; spends already
     * prepared are still observed and completed, and may be cancelled. Proposed by the leader on an anomaly (the
     * chain's nonce past the ledger's with no hash of ours mined, a chain id or address mismatch, a balance change the
     * ledger does not explain, a receipt that does not fit) or for a human ({@code by}). Freezing a frozen wallet
     * keeps the first reason.
     */
    record Freeze(String nodeId, long term, String by, String reason, long atMillis) implements WalletOp {
        public Freeze {
            proposer(nodeId, term, atMillis);
            WalletChecks.text(by, "by", MAX_NAME_CHARS);
            WalletChecks.text(reason, "reason", MAX_REASON_CHARS);
        }
    }

    /** A human ({@code by}) lifts a freeze, after looking at why it happened. */
    record Unfreeze(String nodeId, long term, String by, long atMillis) implements WalletOp {
        public Unfreeze {
            proposer(nodeId, term, atMillis);
            WalletChecks.text(by, "by", MAX_NAME_CHARS);
        }
    }

    /** Gas limits are {@link #MIN_GAS_LIMIT} to {@link #MAX_GAS_LIMIT}. */
    static void checkGasLimit(long gasLimit) {
        if (gasLimit < MIN_GAS_LIMIT || gasLimit > MAX_GAS_LIMIT) {
            throw new IllegalArgumentException("gasLimit is " + MIN_GAS_LIMIT + " to " + MAX_GAS_LIMIT + ", got "
                    + gasLimit);
        }
    }

    private static void proposer(String nodeId, long term, long atMillis) {
        WalletChecks.text(nodeId, "nodeId", MAX_NODE_ID_CHARS);
        WalletChecks.nonNegative(term, "term");
        WalletChecks.nonNegative(atMillis, "atMillis");
    }

    private static void checkSpendId(long spendId) {
        if (spendId < 1) {
            throw new IllegalArgumentException("spendId is >= 1, got " + spendId);
        }
    }
}
