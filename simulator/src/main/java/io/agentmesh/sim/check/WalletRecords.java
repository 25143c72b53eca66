package io.agentmesh.sim.check;

import io.agentmesh.node.wallet.ledger.Spend;

import java.math.BigInteger;
import java.util.List;

/**
 * The wallet side of a run, kept in {@link History#record} under these types (the wallet checkers read them): the
 * policy the run configured, the chain's history (every mined transaction of the wallet's address), and each running
 * node's final wallet ledger. Money in wei; days are UTC days since 1970-01-01.
 */
public final class WalletRecords {
    private WalletRecords() {
    }

    /** The policy of the run's configuration (not the committed one: the checkers judge the ledger by it). */
    public record Policy(BigInteger perTxCapWei, BigInteger dailyBudgetWei) {
    }

    /** A transaction from the wallet's address that the chain mined, with what it cost. */
    public record MinedTx(String hash, long nonce, String to, BigInteger valueWei, BigInteger feeWei,
                          long blockNumber) {
    }

    /** The chain's final canonical history of the wallet's address, block by block. */
    public record ChainHistory(String wallet, List<MinedTx> txs) {
        public ChainHistory {
            txs = List.copyOf(txs);
        }
    }

    /**
     * A node's wallet ledger at the end of the run.
     *
     * @param firstNonce the chain's nonce the ledger was first synced at: the first nonce it allocated
     * @param spends     every spend it holds, open and ended
     */
    public record LedgerFinal(String node, long firstNonce, long nextNonce, List<Spend> spends) {
        public LedgerFinal {
            spends = List.copyOf(spends);
        }
    }
}
