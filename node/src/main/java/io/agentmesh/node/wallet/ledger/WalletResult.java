package io.agentmesh.node.wallet.ledger;

import java.util.Objects;

/**
 * What applying a {@link WalletOp} gave, identical on every member. Domain refusals are {@link Refused} results, never
 * exceptions, so MicroRaft never fails a future for them; a refused operation changed nothing. Results carry the
 * spend as it is after the operation.
 */
public sealed interface WalletResult {
    /** The ledger is bound to {@code chainId} and {@code address}; {@code first} when this operation bound it. */
    record Synced(long chainId, String address, long nextNonce, boolean first) implements WalletResult {
    }

    record PolicySet(WalletPolicy policy) implements WalletResult {
    }

    /**
     * The spend is claimed and reserved ({@link SpendState#CLAIMED} or {@link SpendState#AWAITING_APPROVAL}), or, when
     * {@code duplicate}, the idempotency key's existing spend, in whatever state it is.
     */
    record Claimed(Spend spend, boolean duplicate) implements WalletResult {
    }

    record Approved(Spend spend) implements WalletResult {
    }

    record Rejected(Spend spend) implements WalletResult {
    }

    record Expired(Spend spend) implements WalletResult {
    }

    /**
     * The variant is committed: its bytes may be broadcast. {@code duplicate} when the spend had it already (a
     * re-proposal of the same operation).
     */
    record Prepared(Spend spend, Variant variant, boolean duplicate) implements WalletResult {
    }

    record Included(Spend spend) implements WalletResult {
    }

    record Reorged(Spend spend) implements WalletResult {
    }

    /** The spend ended on the chain; its {@link Spend#settlement()} says what it cost. */
    record Completed(Spend spend) implements WalletResult {
    }

    /** The wallet is frozen (now or already: then {@code reason} is the first one). */
    record Frozen(String by, String reason) implements WalletResult {
    }

    record Unfrozen(String by) implements WalletResult {
    }

    record Refused(Reason reason, String message) implements WalletResult {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    enum Reason {
        /** The operation's term is older than one the ledger already applied: a deposed leader's late proposal. */
        STALE_TERM,
        /** A prepare before the first {@link WalletOp.SyncChain}. */
        NOT_SYNCED,
        /** A {@link WalletOp.SyncChain} with another chain id or address than the ledger is bound to. */
        CHAIN_MISMATCH,
        /** A claim before the first {@link WalletOp.SetPolicy}. */
        NO_POLICY,
        /** The policy's kill switch is set. */
        KILL_SWITCH,
        /** The wallet is frozen. */
        FROZEN,
        /** The recipient is not in the policy's allowed recipients. */
        RECIPIENT_NOT_ALLOWED,
        /** The value is above the policy's per-transaction cap. */
        OVER_PER_TX_CAP,
        /** The day's budget has no room for the spend's worst case; the message gives the figures. */
        OVER_DAILY_BUDGET,
        /** The velocity window has no room for one more spend. */
        OVER_VELOCITY,
        /** The idempotency key is known with another recipient, value or data. */
        IDEMPOTENCY_CONFLICT,
        /** {@code WalletLedger.MAX_OPEN_SPENDS} spends are open already: the ledger's bound, not a budget. */
        TOO_MANY_OPEN_SPENDS,
        /** No spend with that id (never claimed, or ended long ago and forgotten). */
        UNKNOWN_SPEND,
        /** The spend is not in a state the operation applies to. */
        WRONG_STATE,
        /** A first variant's nonce is not the next nonce, or a later variant's is not the spend's. */
        WRONG_NONCE,
        /** The hash is not keccak-256 of the raw bytes, or another spend already has it. */
        BAD_HASH,
        /**
         * The raw bytes are not a signed EIP-1559 transaction, or they say something else than the operation and the
         * spend (chain id, nonce, fees, gas limit, recipient, value, data; a cancel is a zero-value transfer to the
         * wallet's own address without data).
         */
        RAW_MISMATCH,
        /** A fee bump raises a fee by less than 10%, or a transfer variant follows a cancel. */
        BUMP_TOO_SMALL,
        /** The variant's worst case does not fit the spend's reservation, or it passes the claim's gas or fee cap. */
        OVER_RESERVATION,
        /** The spend has {@link WalletOp#MAX_VARIANTS} variants already. */
        TOO_MANY_VARIANTS,
        /** The hash is none of the spend's variants, or not the one included. */
        UNKNOWN_HASH,
        /** An expiry before the approval timed out. */
        NOT_EXPIRED,
        /** A completion while a spend with a lower nonce has not ended. */
        OUT_OF_ORDER,
        /** A receipt that does not fit its variant (more gas than its limit, a price above its fee cap). */
        BAD_RECEIPT
    }
}
