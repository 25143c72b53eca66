package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.wallet.chain.ChainClient;
import io.agentmesh.node.wallet.chain.ChainException;
import io.agentmesh.node.wallet.chain.EthAddress;
import io.agentmesh.node.wallet.chain.SignedTx;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One node's chain client that remembers the hash of every transaction the node tried to send, whether or not the
 * chain took it: what a test compares with the committed variants ("only committed bytes are ever broadcast").
 */
final class RecordingChainClient implements ChainClient {
    private final ChainClient chain;
    private final List<String> sent = new ArrayList<>();

    RecordingChainClient(ChainClient chain) {
        this.chain = chain;
    }

    /** The hashes of every send attempted, in order. */
    synchronized List<String> sent() {
        return new ArrayList<>(sent);
    }

    @Override
    public String sendRawTransaction(byte[] raw) throws ChainException.LookAgain {
        synchronized (this) {
            sent.add(SignedTx.hashOf(raw));
        }
        return chain.sendRawTransaction(raw);
    }

    @Override
    public long chainId() throws ChainException {
        return chain.chainId();
    }

    @Override
    public BigInteger transactionCount(EthAddress address, BlockTag tag) throws ChainException {
        return chain.transactionCount(address, tag);
    }

    @Override
    public BigInteger balanceWei(EthAddress address, BlockTag tag) throws ChainException {
        return chain.balanceWei(address, tag);
    }

    @Override
    public Optional<Block> block(BlockTag tag) throws ChainException {
        return chain.block(tag);
    }

    @Override
    public Optional<Block> block(long number) throws ChainException {
        return chain.block(number);
    }

    @Override
    public List<ChainTx> transactions(long number) throws ChainException {
        return chain.transactions(number);
    }

    @Override
    public BigInteger maxPriorityFeePerGasWei() throws ChainException {
        return chain.maxPriorityFeePerGasWei();
    }

    @Override
    public BigInteger estimateGas(EthAddress from, EthAddress to, BigInteger valueWei, byte[] data)
            throws ChainException {
        return chain.estimateGas(from, to, valueWei, data);
    }

    @Override
    public Optional<Receipt> receipt(String txHash) throws ChainException {
        return chain.receipt(txHash);
    }
}
