package io.agentmesh.node.wallet.chain;

import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

import java.math.BigInteger;

/**
 * The unlocked wallet key, able to sign and nothing else: raw EIP-1559 bytes and their hash. Signing is RFC 6979
 * deterministic (web3j's {@code ECKeyPair.sign}), so the same fields always give the same bytes and hash: a leader that
 * re-signs an uncommitted PREPARE after a crash proposes what its predecessor would have.
 *
 * <p>Obtained from {@link Keystore#unlock}; never printed ({@link #toString()} shows the address only), never
 * serialized. web3j keeps the key as an immutable BigInteger, so it cannot be wiped from memory: keep one instance
 * per node.
 */
public final class Signer {
    private final Credentials credentials;
    private final EthAddress address;

    Signer(ECKeyPair keyPair) {
        this.credentials = Credentials.create(keyPair);
        this.address = new EthAddress(credentials.getAddress());
    }

    /** The account this key signs for. */
    public EthAddress address() {
        return address;
    }

    /** Signs {@code tx}: the bytes to send and their hash. */
    public SignedTx sign(Eip1559Tx tx) {
        RawTransaction raw = RawTransaction.createTransaction(tx.chainId(), tx.nonce(), tx.gasLimit(), tx.to().hex(),
                tx.valueWei(), Numeric.toHexString(tx.data()), tx.maxPriorityFeePerGasWei(), tx.maxFeePerGasWei());
        return SignedTx.of(TransactionEncoder.signMessage(raw, credentials));
    }

    /** The address of a raw private key (for import). */
    static EthAddress addressOf(BigInteger privateKey) {
        return new Signer(ECKeyPair.create(privateKey)).address;
    }

    @Override
    public String toString() {
        return "Signer[" + address + "]";
    }
}
