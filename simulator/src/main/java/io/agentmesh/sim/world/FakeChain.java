package io.agentmesh.sim.world;

import io.agentmesh.node.wallet.ledger.SignedTransaction;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A simulated EVM chain for the wallet: a mempool and blocks, with the rules the wallet's exactly-once argument rests
 * on (shared/research/wallet.md §2.3, §3.1). At most one transaction per (sender, nonce) is ever mined, and a sender's
 * nonces are mined in order; the pool holds one transaction per (sender, nonce), and a different one replaces it only
 * with both fees raised by at least 10%; sending bytes already pooled or mined is harmless ("already known", "nonce too
 * low"). Fees: a transaction pays {@code min(maxFee, baseFee + tip)} per gas, 21,000 gas for a transfer without data
 * (and 21,000 + 16 a data byte otherwise); one whose maxFee is below the base fee waits in the pool. A reorg removes
 * blocks and does not put their transactions back in the pool (as anvil does). Deterministic and single-threaded: the
 * simulated world drives it; the sender of a transaction is given by the caller (signatures are not recovered).
 */
public final class FakeChain {
    /** What a send gave; only {@link #ACCEPTED} and {@link #REPLACED} put the bytes in the pool. */
    public enum SendResult { ACCEPTED, REPLACED, ALREADY_KNOWN, NONCE_TOO_LOW, UNDERPRICED, WRONG_CHAIN, MALFORMED }

    /** A transaction as the chain holds it. */
    public record Tx(String hash, String from, long nonce, String to, BigInteger valueWei, String data,
                     BigInteger maxFeePerGasWei, BigInteger maxPriorityFeePerGasWei, long gasLimit) {
    }

    /** A mined transaction's receipt; transfers never revert here, so status is always success. */
    public record Receipt(String hash, long blockNumber, String blockHash, long gasUsed,
                          BigInteger effectiveGasPriceWei) {
        public BigInteger feeWei() {
            return BigInteger.valueOf(gasUsed).multiply(effectiveGasPriceWei);
        }
    }

    /** A block: its number, hash and transactions in order. */
    public record Block(long number, String hash, List<Tx> txs) {
    }

    private final long chainId;
    private BigInteger baseFeeWei;
    private final TreeMap<String, TreeMap<Long, Tx>> pool = new TreeMap<>();
    private final List<Block> blocks = new ArrayList<>();
    private final TreeMap<String, Receipt> receipts = new TreeMap<>();
    private final TreeMap<String, Long> minedNonce = new TreeMap<>();
    private long blocksEverMined;

    public FakeChain(long chainId, BigInteger baseFeeWei) {
        this.chainId = chainId;
        this.baseFeeWei = baseFeeWei;
    }

    public long chainId() {
        return chainId;
    }

    public BigInteger baseFeeWei() {
        return baseFeeWei;
    }

    /** A base-fee spike (or fall): pooled transactions whose maxFee is below it wait. */
    public void setBaseFee(BigInteger wei) {
        baseFeeWei = wei;
    }

    /** Broadcast: signed EIP-1559 bytes from {@code from}. */
    public SendResult send(String from, String rawHex) {
        SignedTransaction t;
        byte[] raw;
        try {
            raw = SignedTransaction.bytes(rawHex);
            t = SignedTransaction.decode(raw);
        } catch (IllegalArgumentException e) {
            return SendResult.MALFORMED;
        }
        if (t.chainId().longValueExact() != chainId) {
            return SendResult.WRONG_CHAIN;
        }
        Tx tx = new Tx(SignedTransaction.hash(raw), from, t.nonce().longValueExact(), t.to(), t.valueWei(), t.data(),
                t.maxFeePerGasWei(), t.maxPriorityFeePerGasWei(), t.gasLimit().longValueExact());
        if (receipts.containsKey(tx.hash())) {
            return SendResult.NONCE_TOO_LOW; // mined already: what nodes say for the same bytes after mining
        }
        if (tx.nonce() < transactionCount(from)) {
            return SendResult.NONCE_TOO_LOW;
        }
        TreeMap<Long, Tx> mine = pool.computeIfAbsent(from, f -> new TreeMap<>());
        Tx pooled = mine.get(tx.nonce());
        if (pooled == null) {
            mine.put(tx.nonce(), tx);
            return SendResult.ACCEPTED;
        }
        if (pooled.hash().equals(tx.hash())) {
            return SendResult.ALREADY_KNOWN;
        }
        if (!bumped(pooled.maxFeePerGasWei(), tx.maxFeePerGasWei())
                || !bumped(pooled.maxPriorityFeePerGasWei(), tx.maxPriorityFeePerGasWei())) {
            return SendResult.UNDERPRICED;
        }
        mine.put(tx.nonce(), tx);
        return SendResult.REPLACED;
    }

    private static boolean bumped(BigInteger old, BigInteger now) {
        return now.multiply(BigInteger.TEN).compareTo(old.multiply(BigInteger.valueOf(11))) >= 0;
    }

    /** A pooled transaction disappears (evicted, or a node restarted): only a rebroadcast brings it back. */
    public boolean drop(String hash) {
        for (TreeMap<Long, Tx> mine : pool.values()) {
            if (mine.values().removeIf(t -> t.hash().equals(hash))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Mines one block of at most {@code maxTxs} transactions: for each sender in address order, its pooled
     * transactions at the next nonces, in order, while their maxFee covers the base fee.
     */
    public Block mine(int maxTxs) {
        long number = blocks.size() + 1;
        String hash = blockHash(++blocksEverMined);
        List<Tx> txs = new ArrayList<>();
        for (Map.Entry<String, TreeMap<Long, Tx>> e : pool.entrySet()) {
            TreeMap<Long, Tx> mine = e.getValue();
            long next = transactionCount(e.getKey());
            while (txs.size() < maxTxs && mine.containsKey(next)
                    && mine.get(next).maxFeePerGasWei().compareTo(baseFeeWei) >= 0) {
                Tx t = mine.remove(next);
                txs.add(t);
                long gas = 21_000 + 16L * ((t.data().length() - 2) / 2);
                BigInteger price = t.maxFeePerGasWei().min(baseFeeWei.add(t.maxPriorityFeePerGasWei()));
                receipts.put(t.hash(), new Receipt(t.hash(), number, hash, Math.min(gas, t.gasLimit()), price));
                next++;
            }
            minedNonce.put(e.getKey(), next);
        }
        // Pooled transactions whose nonce was just used by another one can never be mined: nodes drop them.
        for (Map.Entry<String, TreeMap<Long, Tx>> e : pool.entrySet()) {
            e.getValue().headMap(transactionCount(e.getKey())).clear();
        }
        Block b = new Block(number, hash, List.copyOf(txs));
        blocks.add(b);
        return b;
    }

    /** Removes the newest {@code depth} blocks; their transactions are not put back in the pool. */
    public void reorg(int depth) {
        for (int i = 0; i < depth && !blocks.isEmpty(); i++) {
            Block b = blocks.removeLast();
            for (Tx t : b.txs()) {
                receipts.remove(t.hash());
                minedNonce.merge(t.from(), -1L, Long::sum);
            }
        }
    }

    public Optional<Receipt> receipt(String hash) {
        return Optional.ofNullable(receipts.get(hash));
    }

    /** How many transactions {@code from} has mined: its next nonce. */
    public long transactionCount(String from) {
        return minedNonce.getOrDefault(from, 0L);
    }

    public long headNumber() {
        return blocks.size();
    }

    /** Every mined transaction, block by block: the chain's history, what the wallet checkers compare to the ledger. */
    public List<Block> blocks() {
        return List.copyOf(blocks);
    }

    /** Pooled transactions of {@code from}, by nonce. */
    public List<Tx> pooled(String from) {
        return List.copyOf(pool.getOrDefault(from, new TreeMap<>()).values());
    }

    private String blockHash(long n) {
        return "0x" + String.format("%064x", n * 0x9e3779b97f4a7c15L & Long.MAX_VALUE);
    }
}
