package io.agentmesh.node.wallet.ledger;

/** What a signed variant of a spend transfers. */
public enum VariantKind {
    /** The spend itself: its recipient, value and data (the first variant, or a fee bump of it). */
    TRANSFER,
    /**
     * A zero-value transfer from the wallet to itself at the spend's nonce, with no data: how a spend that must not
     * happen gives up its nonce without leaving a gap (a nonce is never abandoned).
     */
    CANCEL
}
