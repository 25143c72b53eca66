package io.agentmesh.node.wallet.chain;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JSON-RPC client and the signer against a real chain (anvil): the faults the spend driver must survive each
 * show up as the error kind the driver expects, and rebroadcasting the same committed bytes is what recovers.
 */
class JsonRpcChainClientAnvilTest {
    static Anvil anvil;
    static ChainClient chain;
    static Signer signer;
    static final BigInteger GWEI = BigInteger.valueOf(1_000_000_000L);
    static final BigInteger ONE_ETHER_IN_WEI = new BigInteger("1000000000000000000");

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        anvil = Anvil.start();
        chain = anvil.client();
        Path f = dir.resolve("k.json");
        Keystore.importKey(f, Anvil.KEY0, "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT);
        signer = Keystore.unlock(f, "p".toCharArray());
    }

    @AfterAll
    static void stop() throws Exception {
        if (anvil != null) {
            anvil.close();
        }
    }

    @BeforeEach
    void automineOn() throws Exception {
        anvil.automine(true);
    }

    private SignedTx transfer(BigInteger valueWei, BigInteger maxFeeWei) throws Exception {
        BigInteger nonce = chain.transactionCount(signer.address(), ChainClient.BlockTag.PENDING);
        return signer.sign(new Eip1559Tx(31337, nonce, BigInteger.valueOf(21_000), Anvil.ADDRESS2, valueWei,
                new byte[0], GWEI, maxFeeWei));
    }

    /**
     * The receipt of a transaction sent while automining: anvil mines on arrival, but on a task of its own, so the
     * block can land a moment after the send returned (seen on a loaded machine).
     */
    private static ChainClient.Receipt minedReceipt(SignedTx tx) {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> chain.receipt(tx.hash()), Optional::isPresent).orElseThrow();
    }

    @Test
    void signedBytesAreMinedUnderTheHashComputedBeforeSending() throws Exception {
        BigInteger before = chain.balanceWei(Anvil.ADDRESS2, ChainClient.BlockTag.LATEST);
        SignedTx tx = transfer(ONE_ETHER_IN_WEI, GWEI.multiply(BigInteger.TEN));
        assertEquals(tx.hash(), chain.sendRawTransaction(tx.raw()));
        ChainClient.Receipt r = minedReceipt(tx);
        assertTrue(r.succeeded());
        assertEquals(signer.address(), r.from());
        assertEquals(BigInteger.valueOf(21_000), r.gasUsed());
        assertTrue(r.feeWei().signum() > 0);
        assertEquals(before.add(ONE_ETHER_IN_WEI), chain.balanceWei(Anvil.ADDRESS2, ChainClient.BlockTag.LATEST));
        var mined = chain.transactions(r.blockNumber());
        assertTrue(mined.stream().anyMatch(t -> t.hash().equals(tx.hash()) && t.from().equals(signer.address())
                && t.to().equals(Optional.of(Anvil.ADDRESS2)) && t.valueWei().equals(ONE_ETHER_IN_WEI)), mined.toString());
        assertEquals(r.blockHash(), chain.block(r.blockNumber()).orElseThrow().hash());
    }

    @Test
    void resendingKnownOrMinedBytesIsLookAgainNeverAFailure() throws Exception {
        anvil.automine(false);
        SignedTx tx = transfer(BigInteger.ONE, GWEI.multiply(BigInteger.TEN));
        chain.sendRawTransaction(tx.raw());
        assertTrue(chain.receipt(tx.hash()).isEmpty(), "pending: no receipt yet");
        // "already imported" (anvil), "already known" (geth): the same bytes are in the pool.
        assertThrows(ChainException.LookAgain.class, () -> chain.sendRawTransaction(tx.raw()));
        anvil.mine();
        assertTrue(chain.receipt(tx.hash()).isPresent());
        // "nonce too low": the same bytes are in a block.
        var e = assertThrows(ChainException.LookAgain.class, () -> chain.sendRawTransaction(tx.raw()));
        assertTrue(e.getMessage().toLowerCase().contains("nonce"), e.getMessage());
    }

    @Test
    void aDroppedTransactionIsMinedWhenTheSameBytesAreSentAgain() throws Exception {
        anvil.automine(false);
        SignedTx tx = transfer(BigInteger.TWO, GWEI.multiply(BigInteger.TEN));
        chain.sendRawTransaction(tx.raw());
        anvil.rpc("anvil_dropTransaction", tx.hash());
        anvil.mine();
        assertTrue(chain.receipt(tx.hash()).isEmpty(), "dropped: never mined");
        assertEquals(tx.hash(), chain.sendRawTransaction(tx.raw()));
        anvil.mine();
        assertTrue(chain.receipt(tx.hash()).orElseThrow().succeeded());
    }

    @Test
    void aBaseFeeSpikeRefusesTheLowFeeVariantAndABumpedVariantOfTheSameNonceIsMined() throws Exception {
        anvil.automine(false);
        anvil.rpc("anvil_setNextBlockBaseFeePerGas", "0x" + GWEI.multiply(BigInteger.valueOf(50)).toString(16));
        SignedTx low = transfer(BigInteger.TEN, GWEI.multiply(BigInteger.TEN));
        // anvil refuses a max fee below the next base fee; geth would pool it. Either way: look again, then bump.
        assertThrows(ChainException.LookAgain.class, () -> chain.sendRawTransaction(low.raw()));
        BigInteger nonce = chain.transactionCount(signer.address(), ChainClient.BlockTag.PENDING);
        SignedTx bumped = signer.sign(new Eip1559Tx(31337, nonce, BigInteger.valueOf(21_000), Anvil.ADDRESS2,
                BigInteger.TEN, new byte[0], GWEI.multiply(BigInteger.TWO), GWEI.multiply(BigInteger.valueOf(100))));
        chain.sendRawTransaction(bumped.raw());
        anvil.mine();
        assertTrue(chain.receipt(bumped.hash()).isPresent());
        assertTrue(chain.receipt(low.hash()).isEmpty());
    }

    @Test
    void aSameNonceReplacementWithoutAFeeBumpIsRefusedAsLookAgain() throws Exception {
        anvil.automine(false);
        BigInteger nonce = chain.transactionCount(signer.address(), ChainClient.BlockTag.PENDING);
        Eip1559Tx first = new Eip1559Tx(31337, nonce, BigInteger.valueOf(21_000), Anvil.ADDRESS2, BigInteger.ONE,
                new byte[0], GWEI, GWEI.multiply(BigInteger.TEN));
        SignedTx a = signer.sign(first);
        chain.sendRawTransaction(a.raw());
        SignedTx cancel = signer.sign(new Eip1559Tx(31337, nonce, BigInteger.valueOf(21_000), signer.address(),
                BigInteger.ZERO, new byte[0], GWEI, GWEI.multiply(BigInteger.TEN)));
        assertThrows(ChainException.LookAgain.class, () -> chain.sendRawTransaction(cancel.raw()), "underpriced");
        SignedTx cancel11 = signer.sign(new Eip1559Tx(31337, nonce, BigInteger.valueOf(21_000), signer.address(),
                BigInteger.ZERO, new byte[0], GWEI.multiply(BigInteger.valueOf(2)), GWEI.multiply(BigInteger.valueOf(11))));
        chain.sendRawTransaction(cancel11.raw());
        anvil.mine();
        assertTrue(chain.receipt(cancel11.hash()).isPresent(), "the +10% variant replaced the first");
        assertTrue(chain.receipt(a.hash()).isEmpty());
    }

    @Test
    void aReorgRemovesTheReceiptAndTheSameBytesAreMinedAgain() throws Exception {
        SignedTx tx = transfer(BigInteger.valueOf(3), GWEI.multiply(BigInteger.TEN));
        chain.sendRawTransaction(tx.raw());
        ChainClient.Receipt first = minedReceipt(tx);
        anvil.rpc("anvil_reorg", 1, java.util.List.of());
        Optional<ChainClient.Receipt> after = chain.receipt(tx.hash());
        assertTrue(after.isEmpty() || !after.get().blockHash().equals(first.blockHash()),
                "the block that held it is no longer canonical");
        if (after.isEmpty()) {
            chain.sendRawTransaction(tx.raw());
        }
        if (chain.receipt(tx.hash()).isEmpty()) {
            // anvil may put a reorged transaction back in its pool, where automining (which mines on arrival)
            // leaves it until the next block.
            anvil.mine();
        }
        assertTrue(minedReceipt(tx).succeeded(), "the same bytes were mined again");
    }

    @Test
    void aChainIdMismatchIsDefinite() throws Exception {
        assertEquals(31337, chain.chainId());
        chain.requireChainId(31337);
        var e = assertThrows(ChainException.Definite.class, () -> chain.requireChainId(1));
        assertTrue(e.getMessage().contains("chain 31337"), e.getMessage());
    }

    @Test
    void anUnreachableNodeAndAnOversizedAnswerAreLookAgain() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ChainClient dead = new JsonRpcChainClient(URI.create("http://127.0.0.1:" + port), 500, 1_000, 1 << 20);
        assertInstanceOf(ChainException.LookAgain.class, assertThrows(ChainException.class, dead::chainId));
        assertThrows(ChainException.LookAgain.class, () -> dead.sendRawTransaction(new byte[]{1}));
        assertThrows(IllegalArgumentException.class, () -> new JsonRpcChainClient(URI.create("ftp://x"), 1, 1, 1));
        var tooSmall = new JsonRpcChainClient(anvil.url(), 500, 2_000, 8);
        assertThrows(ChainException.LookAgain.class, tooSmall::chainId, "an answer over the bound is refused");
        assertFalse(chain.block(ChainClient.BlockTag.LATEST).isEmpty());
    }
}
