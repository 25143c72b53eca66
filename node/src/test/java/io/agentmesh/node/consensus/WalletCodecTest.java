package io.agentmesh.node.consensus;

import io.agentmesh.node.wallet.ledger.Decision;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.SpendState;
import io.agentmesh.node.wallet.ledger.Variant;
import io.agentmesh.node.wallet.ledger.VariantKind;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletOps;
import io.agentmesh.node.wallet.ledger.WalletPolicy;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static io.agentmesh.node.wallet.ledger.WalletOps.BOB;
import static io.agentmesh.node.wallet.ledger.WalletOps.CAROL;
import static io.agentmesh.node.wallet.ledger.WalletOps.GAS;
import static io.agentmesh.node.wallet.ledger.WalletOps.NOON;
import static io.agentmesh.node.wallet.ledger.WalletOps.WALLET;
import static io.agentmesh.node.wallet.ledger.WalletOps.gwei;
import static io.agentmesh.node.wallet.ledger.WalletOps.milliEth;
import static io.agentmesh.node.consensus.OperationCodecChecks.operation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wallet ledger's operations and snapshot chunks in Raft bytes: exact round trips, strict refusals. */
class WalletCodecTest {
    private static final RaftCodec CODEC = RaftCodecTest.CODEC;
    private static final String H = "0x" + "ab".repeat(32);
    private static final BigInteger MAX_WEI = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

    static List<WalletOp> everyOp() {
        WalletPolicy full = new WalletPolicy(MAX_WEI, BigInteger.ZERO, List.of(BOB, CAROL), 10_000,
                WalletPolicy.MAX_VELOCITY_WINDOW_MS, Optional.of(BigInteger.ONE), 1, true);
        String raw = WalletOps.raw(31_337, 5, gwei(1), gwei(2), GAS, BOB, milliEth(1), "0xdeadbeef");
        return List.of(
                new WalletOp.SyncChain("node-a", 3, 31_337, WALLET, 12, NOON),
                new WalletOp.SyncChain("nœud-ü", 0, Long.MAX_VALUE, BOB, 0, 0),
                new WalletOp.SetPolicy("node-a", 3, WalletOps.policy(), NOON),
                new WalletOp.SetPolicy("node-a", 3, full, NOON),
                new WalletOp.Claim("node-a", 3, "pay-✓-1", BOB, milliEth(5), "0x", GAS, gwei(50), "api", NOON),
                new WalletOp.Claim("node-a", 3, "k", CAROL, MAX_WEI, "0x00ff", WalletOp.MAX_GAS_LIMIT, BigInteger.ZERO,
                        "", 0),
                new WalletOp.Approve("node-a", 3, 17, "alice", NOON),
                new WalletOp.Reject("node-a", 3, 17, "alice", "too much", NOON),
                new WalletOp.Reject("node-a", 3, 17, "node-a", "", NOON),
                new WalletOp.Expire("node-a", 3, Long.MAX_VALUE, NOON),
                new WalletOp.Prepare("node-a", 3, 17, 5, VariantKind.TRANSFER, raw, WalletOps.hash(raw), gwei(2),
                        gwei(1), GAS, NOON),
                new WalletOp.Prepare("node-a", 3, 17, 5, VariantKind.CANCEL, "0x01", H, MAX_WEI, BigInteger.ZERO,
                        GAS, NOON),
                new WalletOp.Included("node-a", 3, 17, H, 1234, "0x" + "cd".repeat(32), true, NOON),
                new WalletOp.Included("node-a", 3, 17, H, 0, H, false, NOON),
                new WalletOp.Reorged("node-a", 3, 17, H, NOON),
                new WalletOp.Complete("node-a", 3, 17, H, 21_000, gwei(30), NOON),
                new WalletOp.Freeze("node-a", 3, "watchdog", "chain nonce 9 past ours (7) with no hash of ours",
                        NOON),
                new WalletOp.Unfreeze("node-a", 3, "alice", NOON));
    }

    /** A ledger with spends in every state a snapshot can carry, keys, days and velocity rows. */
    static List<WalletSnapshotChunk> chunks() {
        WalletOps.Log log = new WalletOps.Log().ready(7);
        Spend a = claimed(log, "a", milliEth(100));
        Spend big = claimed(log, "big", milliEth(600));
        log.apply(new WalletOp.Approve(WalletOps.NODE, 1, big.id(), "alice", NOON));
        Spend r = claimed(log, "r", milliEth(1));
        log.apply(new WalletOp.Reject(WalletOps.NODE, 1, r.id(), "alice", "no", NOON));
        a = assertInstanceOf(WalletResult.Prepared.class, log.apply(WalletOps.prepare(a, 7, 2, 40))).spend();
        String h = a.variants().getFirst().hash();
        log.apply(new WalletOp.Included(WalletOps.NODE, 1, a.id(), h, 9, H, true, NOON));
        log.apply(new WalletOp.Complete(WalletOps.NODE, 1, a.id(), h, GAS, gwei(30), NOON));
        Spend b = claimed(log, "b", milliEth(2));
        b = assertInstanceOf(WalletResult.Prepared.class, log.apply(WalletOps.prepare(b, 8, 2, 40))).spend();
        log.apply(WalletOps.cancel(b, 8, 3, 44));
        log.apply(new WalletOp.Freeze(WalletOps.NODE, 1, "watchdog", "balance", NOON));
        List<WalletSnapshotChunk> chunks = new ArrayList<>();
        log.ledger.takeSnapshot(chunks::add);
        return chunks;
    }

    private static Spend claimed(WalletOps.Log log, String key, BigInteger value) {
        return assertInstanceOf(WalletResult.Claimed.class, log.apply(WalletOps.claim(key, BOB, value, NOON)))
                .spend();
    }

    @Test
    void everyWalletOperationRoundTripsAloneAndInALogEntry() {
        everyOp().forEach(OperationCodecChecks::assertRoundTripsAloneAndInALogEntry);
    }

    @Test
    void everySpendStateHasACode() {
        assertEquals(EnumSet.allOf(SpendState.class), EnumSet.copyOf(WalletCodec.STATE_CODES));
        assertEquals(SpendState.values().length, WalletCodec.STATE_CODES.size());
    }

    @Test
    void everyWalletSnapshotChunkRoundTripsInASnapshotChunkAndRebuildsTheLedger() {
        List<WalletSnapshotChunk> chunks = chunks();
        assertEquals(5, chunks.size(), "header, spends, keys, days and velocity");
        List<WalletSnapshotChunk> decoded = new ArrayList<>();
        for (WalletSnapshotChunk c : chunks) {
            decoded.add((WalletSnapshotChunk) OperationCodecChecks.assertRoundTripsAloneAndInASnapshotChunk(c));
        }
        WalletLedger rebuilt = new WalletLedger();
        rebuilt.installSnapshot(2000, decoded);
        List<WalletSnapshotChunk> again = new ArrayList<>();
        rebuilt.takeSnapshot(again::add);
        assertEquals(chunks, again);
    }

    @Test
    void everyTruncationAndTrailingByteIsRefused() {
        OperationCodecChecks.assertEveryTruncationAndTrailingByteIsRefused(all());
    }

    @Test
    void garbageBytesAreRefusedWithACodecExceptionOrDecodeToAWellFormedValue() {
        OperationCodecChecks.assertGarbageIsRefusedOrDecodesToAWellFormedValue(all(), 14);
    }

    private static List<Object> all() {
        List<Object> all = new ArrayList<>(everyOp());
        all.addAll(chunks());
        return all;
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheReason() {
        byte[] bob = java.util.HexFormat.of().parseHex(BOB.substring(2));
        RaftCodecTest.assertMessage("chainId is >= 1", () -> CODEC.decodeOperation(operation(RaftCodec.OP_WALLET_SYNC,
                w -> w.text32("n").i64(1).i64(0).fixed(bob).i64(0).i64(0))));
        RaftCodecTest.assertMessage("term", () -> CODEC.decodeOperation(operation(RaftCodec.OP_WALLET_SYNC,
                w -> w.text32("n").i64(-1).i64(1).fixed(bob).i64(0).i64(0))));
        RaftCodecTest.assertMessage("no leading zero", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_WALLET_CLAIM, w -> w.text32("n").i64(1).text32("k").fixed(bob).bytes8(new byte[] {0, 1})
                        .bytes32(new byte[0]).i64(GAS).bytes8(new byte[] {1}).text32("").i64(0))));
        RaftCodecTest.assertMessage("valueWei", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_WALLET_CLAIM, w -> w.text32("n").i64(1).text32("k").fixed(bob).bytes8(new byte[33])
                        .bytes32(new byte[0]).i64(GAS).bytes8(new byte[] {1}).text32("").i64(0))));
        RaftCodecTest.assertMessage("gasLimit", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_WALLET_CLAIM, w -> w.text32("n").i64(1).text32("k").fixed(bob).bytes8(new byte[] {1})
                        .bytes32(new byte[0]).i64(20_999).bytes8(new byte[] {1}).text32("").i64(0))));
        RaftCodecTest.assertMessage("unknown variant kind", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_WALLET_PREPARE, w -> w.text32("n").i64(1).i64(1).i64(0).u8(2))));
        RaftCodecTest.assertMessage("spends", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_WALLET_SNAPSHOT_CHUNK, w -> w.bool(false).i32(WalletLedger.SPENDS_PER_CHUNK + 1))));
        RaftCodecTest.assertMessage("data", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_WALLET_CLAIM, w -> w.text32("n").i64(1).text32("k").fixed(bob).bytes8(new byte[] {1})
                        .i32(WalletOp.MAX_DATA_BYTES + 1))));
    }

    @Test
    void aWalletOperationIsNoSnapshotChunkAndAWalletChunkIsNoLogEntry() {
        OperationCodecChecks.assertNoLogEntryNorSnapshotChunk(chunks().getFirst(), everyOp().getFirst());
    }

    @Test
    void aWitnessIgnoresWalletOperationsAndAWalletSnapshotKeepingOnlyItsCount() {
        WitnessStateMachine w = new WitnessStateMachine();
        long i = 0;
        for (WalletOp op : everyOp()) {
            assertNull(w.runOperation(++i, op));
        }
        assertEquals(everyOp().size(), w.operationsApplied());
        w.installSnapshot(100, new ArrayList<>(chunks()));
        assertEquals(0, w.operationsApplied());
        assertEquals(100, w.lastApplied());
    }

    @Test
    void aFullChunkWithEveryFieldAtItsLongestFitsAWireFrame() {
        String euro = "€"; // three UTF-8 bytes in one character
        String data = "0x" + "ee".repeat(WalletOp.MAX_DATA_BYTES);
        String raw = "0x" + "02".repeat(WalletOp.MAX_RAW_BYTES);
        List<Variant> variants = new ArrayList<>();
        for (int v = 0; v < WalletOp.MAX_VARIANTS; v++) {
            variants.add(new Variant(VariantKind.TRANSFER, raw, "0x" + String.format("%064x", v), MAX_WEI, MAX_WEI,
                    WalletOp.MAX_GAS_LIMIT, MAX_WEI, Long.MAX_VALUE, euro.repeat(WalletOp.MAX_NODE_ID_CHARS),
                    Long.MAX_VALUE));
        }
        List<Spend> spends = new ArrayList<>();
        for (int i = 0; i < WalletLedger.SPENDS_PER_CHUNK; i++) {
            spends.add(new Spend(i + 1, euro.repeat(WalletOp.MAX_IDEMPOTENCY_KEY_CHARS - 1) + i % 10, BOB, MAX_WEI,
                    data, WalletOp.MAX_GAS_LIMIT, MAX_WEI, euro.repeat(WalletOp.MAX_NAME_CHARS),
                    euro.repeat(WalletOp.MAX_NODE_ID_CHARS), Long.MAX_VALUE, SpendState.PREPARED,
                    OptionalLong.of(Long.MAX_VALUE), variants, Optional.empty(), Optional.empty(),
                    Optional.of(new Decision(euro.repeat(WalletOp.MAX_NAME_CHARS),
                            euro.repeat(WalletOp.MAX_REASON_CHARS), 1)), MAX_WEI, 1, 1, 0));
        }
        List<WalletSnapshotChunk.KeyRow> keys = new ArrayList<>();
        for (int i = 0; i < WalletLedger.ROWS_PER_CHUNK; i++) {
            keys.add(new WalletSnapshotChunk.KeyRow(euro.repeat(WalletOp.MAX_IDEMPOTENCY_KEY_CHARS), i + 1));
        }
        for (WalletSnapshotChunk c : List.of(new WalletSnapshotChunk(Optional.empty(), spends, List.of(), List.of(),
                List.of()), new WalletSnapshotChunk(Optional.empty(), List.of(), keys, List.of(), List.of()))) {
            byte[] bytes = CODEC.encodeOperation(c);
            assertTrue(bytes.length < io.agentmesh.protocol.wire.WireCodec.MAX_FRAME_BYTES * 3 / 4, bytes.length + "");
            assertEquals(c, CODEC.decodeOperation(bytes));
        }
    }
}
