package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;
import java.util.Objects;

/**
 * One signed transaction of a spend, committed before it may be broadcast. All variants of a spend share its nonce, so
 * at most one of them is ever mined; each later one raises both fees by at least 10% (what nodes require to replace
 * a pending transaction).
 *
 * @param raw                     the signed EIP-1559 transaction, {@code 0x} hex, exactly what is broadcast
 * @param hash                    keccak-256 of {@code raw}, checked by the ledger
 * @param gasLimit                the transaction's gas limit
 * @param worstCaseWei            the most it can cost: its value (0 for a cancel) plus gasLimit x maxFeePerGas
 * @param preparedAtMillis        the proposer's clock when it was prepared
 * @param preparedBy              the node id of the leader that signed it
 * @param term                    that leader's term
 */
public record Variant(VariantKind kind, String raw, String hash, BigInteger maxFeePerGasWei,
                      BigInteger maxPriorityFeePerGasWei, long gasLimit, BigInteger worstCaseWei,
                      long preparedAtMillis, String preparedBy, long term) {
    public Variant {
        Objects.requireNonNull(kind, "kind");
        raw = WalletChecks.bytes(raw, "raw", WalletOp.MAX_RAW_BYTES);
        hash = WalletChecks.hash(hash, "hash");
        WalletChecks.wei(maxFeePerGasWei, "maxFeePerGasWei");
        WalletChecks.wei(maxPriorityFeePerGasWei, "maxPriorityFeePerGasWei");
        WalletOp.checkGasLimit(gasLimit);
        WalletChecks.wei(worstCaseWei, "worstCaseWei");
        WalletChecks.nonNegative(preparedAtMillis, "preparedAtMillis");
        WalletChecks.text(preparedBy, "preparedBy", WalletOp.MAX_NODE_ID_CHARS);
        WalletChecks.nonNegative(term, "term");
    }
}
