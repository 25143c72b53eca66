package io.agentmesh.node.wallet.chain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.SignedRawTransaction;
import org.web3j.crypto.TransactionDecoder;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SignerTest {
    @TempDir
    Path dir;

    static Eip1559Tx transfer(long nonce, long tipWei, long maxFeeWei) {
        return new Eip1559Tx(31337, BigInteger.valueOf(nonce), BigInteger.valueOf(21_000), Anvil.ADDRESS1,
                new BigInteger("10000000000000000"), new byte[0], BigInteger.valueOf(tipWei),
                BigInteger.valueOf(maxFeeWei));
    }

    @Test
    void sameFieldsGiveTheSameBytesAndOtherFeesANewHash() throws Exception {
        Path f = dir.resolve("k.json");
        Keystore.importKey(f, Anvil.KEY0, "p".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT);
        Signer a = Keystore.unlock(f, "p".toCharArray());
        Signer b = Keystore.unlock(f, "p".toCharArray());
        SignedTx one = a.sign(transfer(0, 1_000_000_000L, 2_000_000_000L));
        assertEquals(one, b.sign(transfer(0, 1_000_000_000L, 2_000_000_000L)), "RFC 6979: deterministic");
        assertEquals(one.hash(), SignedTx.hashOf(one.raw()));
        SignedTx bumped = a.sign(transfer(0, 1_100_000_000L, 2_200_000_000L));
        assertNotEquals(one.hash(), bumped.hash());

        SignedRawTransaction decoded = (SignedRawTransaction) TransactionDecoder.decode(Numeric.toHexString(one.raw()));
        assertEquals(Anvil.ADDRESS0.hex(), decoded.getFrom());
        assertEquals(31337L, ((org.web3j.crypto.transaction.type.Transaction1559) decoded.getTransaction()).getChainId());
        assertEquals(BigInteger.ZERO, decoded.getNonce());
        assertEquals(Anvil.ADDRESS1.hex(), decoded.getTo());
        assertTrue(a.toString().contains(Anvil.ADDRESS0.hex()) && !a.toString().contains("ac0974"));
    }

    @Test
    void impossibleTransactionFieldsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> transfer(-1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> transfer(0, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> new Eip1559Tx(31337, BigInteger.ZERO,
                BigInteger.valueOf(21_000), Anvil.ADDRESS1, BigInteger.ONE.shiftLeft(256), new byte[0],
                BigInteger.ONE, BigInteger.TWO));
        assertThrows(IllegalArgumentException.class, () -> new SignedTx(new byte[]{1, 2}, "0x00"));
    }

    @Test
    void addressesAreParsedStrictly() {
        assertEquals(Anvil.ADDRESS1, EthAddress.parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"));
        assertEquals("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", Anvil.ADDRESS1.checksummed());
        for (String bad : new String[]{"", "0x123", "70997970c51812dc3a010c7d01b50e0d17dc79c8",
                "0x70997970c51812dc3a010c7d01b50e0d17dc79cz", "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> EthAddress.parse(bad), bad);
            assertTrue(e.getMessage().contains("address"), e.getMessage());
        }
    }
}
