package io.agentmesh.node.wallet.chain;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;

/**
 * The wallet's port to one EVM chain: the few JSON-RPC reads and the one write the spend driver needs.
 *
 * <p>Every method blocks the calling thread for at most the client's request timeout (never call it on the node
 * thread) and either answers or throws a {@link ChainException}: {@link ChainException.Definite} when the request as
 * sent can never succeed, {@link ChainException.LookAgain} when nothing is known. In particular
 * {@link #sendRawTransaction} never reports a definite failure: "nonce too low", "already known", "replacement
 * underpriced", a fee below the base fee, a timeout or a refused connection all mean "look for a receipt of every
 * variant again", because the bytes may be in a pool or a block already.
 */
public interface ChainClient {

    /** A block tag: the newest block, the newest safe or finalized one, or the pending state. */
    enum BlockTag {
        LATEST("latest"), SAFE("safe"), FINALIZED("finalized"), PENDING("pending");

        private final String wire;

        BlockTag(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    /** A block's header fields the wallet reads; {@code baseFeePerGasWei} is absent on pre-London chains. */
    record Block(long number, String hash, Optional<BigInteger> baseFeePerGasWei) {
    }

    /** A mined transaction's receipt. {@code succeeded} is its status (a revert still used the nonce and the fee). */
    record Receipt(String txHash, long blockNumber, String blockHash, boolean succeeded, BigInteger gasUsed,
                   BigInteger effectiveGasPriceWei, EthAddress from) {
        /** What the transaction cost in fees. */
        public BigInteger feeWei() {
            return gasUsed.multiply(effectiveGasPriceWei);
        }
    }

    /** One transaction of a block, as the chain's history shows it. {@code to} is absent for a contract creation. */
    record ChainTx(String hash, EthAddress from, Optional<EthAddress> to, BigInteger nonce, BigInteger valueWei) {
    }

    /** The chain id the endpoint serves ({@code eth_chainId}). */
    long chainId() throws ChainException;

    /**
     * Throws {@link ChainException.Definite} unless the endpoint serves {@code expected}: signing for one chain and
     * sending to another must stop the wallet, not be retried.
     */
    default void requireChainId(long expected) throws ChainException {
        long actual = chainId();
        if (actual != expected) {
            throw new ChainException.Definite("eth_chainId", null, "the endpoint serves chain " + actual
                    + ", the wallet is configured for chain " + expected);
        }
    }

    /** How many transactions {@code address} has sent as of {@code tag} ({@code eth_getTransactionCount}). */
    BigInteger transactionCount(EthAddress address, BlockTag tag) throws ChainException;

    /** The balance of {@code address} in wei as of {@code tag}. */
    BigInteger balanceWei(EthAddress address, BlockTag tag) throws ChainException;

    /** The block at {@code tag}; empty when the chain has none there yet (e.g. nothing finalized). */
    Optional<Block> block(BlockTag tag) throws ChainException;

    /** The canonical block at {@code number}; empty past the head. */
    Optional<Block> block(long number) throws ChainException;

    /** Every transaction of the canonical block at {@code number} (empty past the head). */
    List<ChainTx> transactions(long number) throws ChainException;

    /** The node's suggested priority fee per gas ({@code eth_maxPriorityFeePerGas}). */
    BigInteger maxPriorityFeePerGasWei() throws ChainException;

    /** The gas a call from {@code from} to {@code to} with {@code valueWei} and {@code data} would use. */
    BigInteger estimateGas(EthAddress from, EthAddress to, BigInteger valueWei, byte[] data) throws ChainException;

    /**
     * Hands signed bytes to the node. Returns the hash the node reports; every error is a
     * {@link ChainException.LookAgain} (see the class comment): only receipts tell what happened.
     */
    String sendRawTransaction(byte[] raw) throws ChainException.LookAgain;

    /** The receipt of {@code txHash} on the canonical chain, or empty when there is none (pending, dropped, reorged). */
    Optional<Receipt> receipt(String txHash) throws ChainException;
}
