package io.agentmesh.node.wallet.ledger;

/**
 * A spend's variant seen in a block (by the leader's receipt lookup). Tentative until the spend completes: a reorg
 * ({@link WalletOp.Reorged}) removes it.
 *
 * @param hash      which variant was mined
 * @param succeeded the receipt's status (1: true; 0, reverted: false)
 */
public record Inclusion(String hash, long blockNumber, String blockHash, boolean succeeded, long observedAtMillis) {
    public Inclusion {
        hash = WalletChecks.hash(hash, "hash");
        WalletChecks.nonNegative(blockNumber, "blockNumber");
        blockHash = WalletChecks.hash(blockHash, "blockHash");
        WalletChecks.nonNegative(observedAtMillis, "observedAtMillis");
    }
}
