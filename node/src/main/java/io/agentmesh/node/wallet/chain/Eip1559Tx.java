package io.agentmesh.node.wallet.chain;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Objects;

/**
 * The fields of one EIP-1559 (type 2) transaction, before signing. {@link #maxCostWei()} is the most it can take
 * from the wallet: the value plus every unit of the gas limit at the maximum fee.
 */
public record Eip1559Tx(long chainId, BigInteger nonce, BigInteger gasLimit, EthAddress to, BigInteger valueWei,
                        byte[] data, BigInteger maxPriorityFeePerGasWei, BigInteger maxFeePerGasWei) {
    public Eip1559Tx {
        Objects.requireNonNull(to, "to");
        data = data == null ? new byte[0] : data.clone();
        if (chainId <= 0) {
            throw new IllegalArgumentException("chain id must be positive, got " + chainId);
        }
        for (var f : new Object[][]{{"nonce", nonce}, {"gas limit", gasLimit}, {"value", valueWei},
                {"max priority fee", maxPriorityFeePerGasWei}, {"max fee", maxFeePerGasWei}}) {
            BigInteger v = (BigInteger) f[1];
            if (v == null || v.signum() < 0 || v.bitLength() > 256) {
                throw new IllegalArgumentException(f[0] + " must be between 0 and 2^256-1, got " + v);
            }
        }
        if (maxPriorityFeePerGasWei.compareTo(maxFeePerGasWei) > 0) {
            throw new IllegalArgumentException("the priority fee " + maxPriorityFeePerGasWei
                    + " is above the max fee " + maxFeePerGasWei);
        }
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** value + gasLimit x maxFeePerGas: what the transaction can cost the wallet at most. */
    public BigInteger maxCostWei() {
        return valueWei.add(gasLimit.multiply(maxFeePerGasWei));
    }

    /** The same transaction with other fees (a bump or a re-price keeps every other field). */
    public Eip1559Tx withFees(BigInteger maxPriorityFeePerGasWei, BigInteger maxFeePerGasWei) {
        return new Eip1559Tx(chainId, nonce, gasLimit, to, valueWei, data, maxPriorityFeePerGasWei, maxFeePerGasWei);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Eip1559Tx t && chainId == t.chainId && nonce.equals(t.nonce) && gasLimit.equals(t.gasLimit)
                && to.equals(t.to) && valueWei.equals(t.valueWei) && Arrays.equals(data, t.data)
                && maxPriorityFeePerGasWei.equals(t.maxPriorityFeePerGasWei) && maxFeePerGasWei.equals(t.maxFeePerGasWei);
    }

    @Override
    public int hashCode() {
        return Objects.hash(chainId, nonce, to, valueWei, Arrays.hashCode(data), maxFeePerGasWei);
    }
}
