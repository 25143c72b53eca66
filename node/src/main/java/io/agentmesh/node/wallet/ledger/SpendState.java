package io.agentmesh.node.wallet.ledger;

/**
 * Where a spend is in the protocol (docs/wallet.md, "The protocol"). A spend gets a nonce only when it is
 * {@link #PREPARED}, so a spend waiting for approval never blocks later nonces, and the states before it end at zero
 * on-chain cost.
 */
public enum SpendState {
    /** Claimed and its worst case reserved; the leader may prepare it. */
    CLAIMED,
    /** Claimed and reserved, waiting for a human's approval (its value is above the policy's threshold). */
    AWAITING_APPROVAL,
    /** A human approved it; the leader may prepare it. */
    APPROVED,
    /**
     * A nonce is allocated and at least one variant's signed bytes are committed; only committed bytes are ever
     * broadcast. Stays here until one variant is seen in a block.
     */
    PREPARED,
    /** One variant is in a block, not yet at the confirmation depth; a reorg takes it back to {@link #PREPARED}. */
    INCLUDED,
    /** A transfer variant was mined with status 1 at the confirmation depth: the value and the fee are spent. */
    COMPLETED,
    /** A transfer variant was mined with status 0: the nonce and the fee are spent, the value is not. */
    FAILED_REVERTED,
    /** Only a cancel variant (a zero-value transfer to the wallet itself) was mined: the fee is spent. */
    CANCELLED,
    /** Refused by a human (or by the leader, when the policy no longer allows it) before it was prepared: no cost. */
    REJECTED,
    /** Its approval timed out before it was prepared: no cost. */
    EXPIRED;

    /** Whether the spend has reached its end (nothing more happens to it, its reservation is settled). */
    public boolean terminal() {
        return switch (this) {
            case COMPLETED, FAILED_REVERTED, CANCELLED, REJECTED, EXPIRED -> true;
            default -> false;
        };
    }

    /** Whether the spend has a nonce (prepared at some point): then its end is on the chain, never a refusal. */
    public boolean hasNonce() {
        return switch (this) {
            case PREPARED, INCLUDED, COMPLETED, FAILED_REVERTED, CANCELLED -> true;
            default -> false;
        };
    }

    /** Whether the leader may prepare the spend's first variant (allocate its nonce). */
    public boolean preparable() {
        return this == CLAIMED || this == APPROVED;
    }
}
