package io.agentmesh.node.wallet.ledger;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Test helpers for the wallet ledger: a log that applies operations at increasing indices, operations with sensible
 * defaults, and signed-looking EIP-1559 transactions (real RLP, a dummy signature: the ledger reads the fields and
 * hashes the bytes, it does not recover the signer).
 */
public final class WalletOps {
    public static final long CHAIN = 31_337;
    public static final String WALLET = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
    public static final String BOB = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    public static final String CAROL = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
    /** 2026-12-03 12:00 UTC. */
    public static final long NOON = 1_796_299_200_000L;
    public static final long GWEI = 1_000_000_000L;
    public static final BigInteger ETH = BigInteger.TEN.pow(18);
    public static final long GAS = 21_000;
    public static final String NODE = "node-a";

    private WalletOps() {
    }

    public static BigInteger gwei(long n) {
        return BigInteger.valueOf(n * GWEI);
    }

    public static BigInteger milliEth(long n) {
        return ETH.divide(BigInteger.valueOf(1000)).multiply(BigInteger.valueOf(n));
    }

    /**
     * A policy: 1 ETH per transaction, 3 ETH a day, any recipient, 100 spends a minute, approval above 0.5 ETH
     * (timeout one hour), no kill switch.
     */
    public static WalletPolicy policy() {
        return new WalletPolicy(ETH, ETH.multiply(BigInteger.valueOf(3)), List.of(), 100, 60_000,
                Optional.of(ETH.divide(BigInteger.TWO)), 3_600_000, false);
    }

    /** Applies operations at increasing log indices, as Raft would. */
    public static final class Log {
        public final WalletLedger ledger = new WalletLedger();
        public long index;

        public WalletResult apply(WalletOp op) {
            return ledger.apply(++index, op);
        }

        /** Binds the ledger to {@link #CHAIN} and {@link #WALLET} at chain nonce {@code nonce}, with {@link #policy()}. */
        public Log ready(long nonce) {
            apply(new WalletOp.SyncChain(NODE, 1, CHAIN, WALLET, nonce, NOON));
            apply(new WalletOp.SetPolicy(NODE, 1, policy(), NOON));
            return this;
        }
    }

    public static WalletOp.Claim claim(String key, String to, BigInteger valueWei, long atMillis) {
        return new WalletOp.Claim(NODE, 1, key, to, valueWei, "0x", GAS, gwei(50), "api", atMillis);
    }

    /** A transfer variant of {@code s} at {@code nonce} with fees (tip, maxFee) in gwei. */
    public static WalletOp.Prepare prepare(Spend s, long nonce, long tipGwei, long maxFeeGwei) {
        return prepare(s, nonce, tipGwei, maxFeeGwei, s.to(), s.valueWei(), s.data(), VariantKind.TRANSFER, 1);
    }

    public static WalletOp.Prepare cancel(Spend s, long nonce, long tipGwei, long maxFeeGwei) {
        return prepare(s, nonce, tipGwei, maxFeeGwei, WALLET, BigInteger.ZERO, "0x", VariantKind.CANCEL, 1);
    }

    public static WalletOp.Prepare prepare(Spend s, long nonce, long tipGwei, long maxFeeGwei, String to,
                                           BigInteger value, String data, VariantKind kind, long term) {
        String raw = raw(CHAIN, nonce, gwei(tipGwei), gwei(maxFeeGwei), GAS, to, value, data);
        return new WalletOp.Prepare(NODE, term, s.id(), nonce, kind, raw, hash(raw), gwei(maxFeeGwei),
                gwei(tipGwei), GAS, NOON);
    }

    public static String hash(String raw) {
        return SignedTransaction.hash(SignedTransaction.bytes(raw));
    }

    /** A type-2 transaction with a dummy signature, {@code 0x} hex. */
    public static String raw(long chainId, long nonce, BigInteger tip, BigInteger maxFee, long gas, String to,
                             BigInteger value, String data) {
        HexFormat hex = HexFormat.of();
        byte[] list = list(integer(BigInteger.valueOf(chainId)), integer(BigInteger.valueOf(nonce)), integer(tip),
                integer(maxFee), integer(BigInteger.valueOf(gas)), string(hex.parseHex(to.substring(2))),
                integer(value), string(hex.parseHex(data.substring(2))), list(), integer(BigInteger.ONE),
                integer(BigInteger.valueOf(12345)), integer(BigInteger.valueOf(67890)));
        return "0x02" + hex.formatHex(list);
    }

    public static byte[] integer(BigInteger v) {
        byte[] b = v.toByteArray();
        int skip = 0;
        while (skip < b.length && b[skip] == 0) {
            skip++;
        }
        byte[] out = new byte[b.length - skip];
        System.arraycopy(b, skip, out, 0, out.length);
        return string(out);
    }

    public static byte[] string(byte[] b) {
        if (b.length == 1 && (b[0] & 0xff) < 0x80) {
            return b;
        }
        return concat(header(0x80, b.length), b);
    }

    public static byte[] list(byte[]... items) {
        byte[] payload = concat(items);
        return concat(header(0xc0, payload.length), payload);
    }

    private static byte[] header(int base, int length) {
        if (length <= 55) {
            return new byte[] {(byte) (base + length)};
        }
        byte[] len = BigInteger.valueOf(length).toByteArray();
        int skip = len[0] == 0 ? 1 : 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(base + 55 + len.length - skip);
        out.write(len, skip, len.length - skip);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
