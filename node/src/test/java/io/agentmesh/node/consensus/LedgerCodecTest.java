package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerSnapshotChunk;
import io.agentmesh.node.llm.ledger.LlmLedger;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

import static io.agentmesh.node.consensus.OperationCodecChecks.operation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LLM ledger's operations and snapshot chunks in Raft bytes: exact round trips, strict refusals. */
class LedgerCodecTest {
    private static final RaftCodec CODEC = RaftCodecTest.CODEC;
    private static final Target GPT = new Target("openai", "gpt-4o");
    private static final Target ROUTED = new Target("openrouter", "openai/gpt-4o-ünï");
    private static final FencingToken TOKEN = new FencingToken(3, 17);
    private static final long NOON = 1_796_299_200_000L;

    static List<LedgerOp> everyOp() {
        List<Budget> budgets = List.of(
                new Budget(Optional.empty(), Optional.empty(), Budget.Period.DAY, 5_000_000_000L,
                        Budget.Enforcement.HARD),
                new Budget(Optional.of("openai"), Optional.of("gpt-4o"), Budget.Period.MONTH, 1,
                        Budget.Enforcement.SOFT),
                new Budget(Optional.empty(), Optional.of("gpt-4o"), Budget.Period.DAY, Budget.MAX_LIMIT_NANO_USD,
                        Budget.Enforcement.SOFT));
        List<LedgerOp> ops = new ArrayList<>(List.of(
                new LedgerOp.Open("call-1", "node-a", 3, LedgerOp.Origin.ENDPOINT, NOON),
                new LedgerOp.Open("intent/llm-1", "node-b", 0, LedgerOp.Origin.INTENT, 0),
                new LedgerOp.AttemptStart("call-1", TOKEN, 1, GPT, 123_456, budgets, NOON),
                new LedgerOp.AttemptStart("call-1", TOKEN, LedgerOp.MAX_ATTEMPTS, ROUTED, 0, List.of(), 0),
                new LedgerOp.AttemptEnd("call-1", TOKEN, 1, GPT, Optional.empty(), 200, new Usage(1, 2, 3, 4, 4), true,
                        99, 1_000, 200, 0, "sk-…a1b2", NOON + 1),
                new LedgerOp.AttemptEnd("call-1", TOKEN, 2, ROUTED, Optional.of(ErrorClass.RATE_LIMITED), 429,
                        Usage.NONE, false, 0, 5, 0, NOON + 30_000, "", NOON + 2),
                new LedgerOp.Close("call-1", TOKEN, LedgerOp.CallStatus.ANSWERED, "", NOON + 3),
                new LedgerOp.Close("call-1", TOKEN, LedgerOp.CallStatus.FAILED, "budget: ✓ no room", NOON + 3),
                new LedgerOp.Settle("call-1", "node-c", 4, NOON + 4)));
        for (ErrorClass e : ErrorClass.values()) {
            ops.add(new LedgerOp.AttemptEnd("c", TOKEN, 3, GPT, Optional.of(e), 0, Usage.NONE, false, 0, 0, 0, 0, "k",
                    NOON));
        }
        return ops;
    }

    /** A ledger with open and closed calls, rows on two days and health facts: chunks of each kind. */
    static List<LedgerSnapshotChunk> chunks() {
        LlmLedger ledger = new LlmLedger();
        long i = 0;
        for (LedgerOp op : List.<LedgerOp>of(
                new LedgerOp.Open("a", "node-a", 1, LedgerOp.Origin.ENDPOINT, NOON),
                new LedgerOp.Open("b", "node-a", 1, LedgerOp.Origin.INTENT, NOON))) {
            ledger.apply(++i, op);
        }
        FencingToken a = new FencingToken(1, 1);
        FencingToken b = new FencingToken(1, 2);
        ledger.apply(++i, new LedgerOp.AttemptStart("a", a, 1, GPT, 50, List.of(), NOON));
        ledger.apply(++i, new LedgerOp.AttemptEnd("a", a, 1, GPT, Optional.of(ErrorClass.STREAM_CUT), 0, Usage.NONE,
                false, 0, 3, 0, 0, "k", NOON));
        ledger.apply(++i, new LedgerOp.AttemptStart("a", a, 2, ROUTED, 70, List.of(), NOON + 86_400_000L));
        ledger.apply(++i, new LedgerOp.AttemptEnd("a", a, 2, ROUTED, Optional.empty(), 200, new Usage(5, 0, 0, 2, 1),
                true, 9, 3, 1, 0, "k", NOON));
        ledger.apply(++i, new LedgerOp.Close("a", a, LedgerOp.CallStatus.ANSWERED, "", NOON));
        ledger.apply(++i, new LedgerOp.AttemptStart("b", b, 1, GPT, 80, List.of(), NOON));
        List<LedgerSnapshotChunk> out = new ArrayList<>();
        ledger.takeSnapshot(out::add);
        return out;
    }

    @Test
    void everyLedgerOperationRoundTripsAloneAndInALogEntry() {
        everyOp().forEach(OperationCodecChecks::assertRoundTripsAloneAndInALogEntry);
    }

    @Test
    void everyErrorClassHasACode() {
        assertEquals(EnumSet.allOf(ErrorClass.class), EnumSet.copyOf(LedgerCodec.ERROR_CODES));
        assertEquals(ErrorClass.values().length, LedgerCodec.ERROR_CODES.size());
    }

    @Test
    void everyLedgerSnapshotChunkRoundTripsInASnapshotChunk() {
        List<LedgerSnapshotChunk> chunks = chunks();
        assertEquals(3, chunks.size(), "calls, rows and health facts");
        chunks.forEach(OperationCodecChecks::assertRoundTripsAloneAndInASnapshotChunk);
    }

    @Test
    void everyTruncationAndTrailingByteIsRefused() {
        OperationCodecChecks.assertEveryTruncationAndTrailingByteIsRefused(all());
    }

    @Test
    void garbageBytesAreRefusedWithACodecExceptionOrDecodeToAWellFormedValue() {
        OperationCodecChecks.assertGarbageIsRefusedOrDecodesToAWellFormedValue(all(), 12);
    }

    private static List<Object> all() {
        List<Object> all = new ArrayList<>(everyOp());
        all.addAll(chunks());
        return all;
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheReason() {
        RaftCodecTest.assertMessage("origin", () -> CODEC.decodeOperation(operation(RaftCodec.OP_LEDGER_OPEN,
                w -> w.text32("c").text32("n").i64(1).u8(2).i64(0))));
        RaftCodecTest.assertMessage("open term", () -> CODEC.decodeOperation(operation(RaftCodec.OP_LEDGER_OPEN,
                w -> w.text32("c").text32("n").i64(-1).u8(0).i64(0))));
        RaftCodecTest.assertMessage("callId", () -> CODEC.decodeOperation(operation(RaftCodec.OP_LEDGER_OPEN,
                w -> w.text32("").text32("n").i64(1).u8(0).i64(0))));
        RaftCodecTest.assertMessage("only Settle marks a call in doubt", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_CLOSE, w -> w.text32("c").i64(1).i64(1).u8(2).text32("").i64(0))));
        RaftCodecTest.assertMessage("unknown call status", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_CLOSE, w -> w.text32("c").i64(1).i64(1).u8(3).text32("").i64(0))));
        RaftCodecTest.assertMessage("attemptNumber", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_ATTEMPT_START, w -> w.text32("c").i64(1).i64(1).i32(0).text32("p").text32("m")
                        .i64(0).i32(0).i64(0))));
        RaftCodecTest.assertMessage("budgets", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_ATTEMPT_START, w -> w.text32("c").i64(1).i64(1).i32(1).text32("p").text32("m")
                        .i64(0).i32(LedgerOp.MAX_BUDGETS + 1).i64(0))));
        RaftCodecTest.assertMessage("limitUsd", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_ATTEMPT_START, w -> w.text32("c").i64(1).i64(1).i32(1).text32("p").text32("m")
                        .i64(0).i32(1).bool(false).bool(false).u8(0).i64(0).u8(0).i64(0))));
        RaftCodecTest.assertMessage("unknown error class", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_ATTEMPT_END, w -> w.text32("c").i64(1).i64(1).i32(1).text32("p").text32("m")
                        .u8(LedgerCodec.ERROR_CODES.size() + 1))));
        RaftCodecTest.assertMessage("ledger calls", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_SNAPSHOT_CHUNK, w -> w.i32(LlmLedger.CALLS_PER_CHUNK + 1))));
        RaftCodecTest.assertMessage("a target has", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_LEDGER_ATTEMPT_START, w -> w.text32("c").i64(1).i64(1).i32(1).text32("").text32("m"))));
    }

    @Test
    void aLedgerOperationIsNoSnapshotChunkAndALedgerChunkIsNoLogEntry() {
        OperationCodecChecks.assertNoLogEntryNorSnapshotChunk(chunks().getFirst(), everyOp().getFirst());
    }

    @Test
    void aWitnessAppliesLedgerOperationsAndInstallsALeadersSnapshotWithLedgerChunksKeepingOnlyItsCount() {
        WitnessStateMachine w = new WitnessStateMachine();
        long i = 0;
        for (LedgerOp op : everyOp()) {
            assertNull(w.runOperation(++i, op));
        }
        assertEquals(everyOp().size(), w.operationsApplied());
        List<Object> leaderSnapshot = new ArrayList<>(chunks());
        w.installSnapshot(100, leaderSnapshot);
        assertEquals(0, w.operationsApplied());
        assertEquals(100, w.lastApplied());
    }

    @Test
    void aFullChunkWithEveryTextAtItsLongestFitsAWireFrame() {
        String euro = "€"; // three UTF-8 bytes in one character: the most bytes a counted character takes
        String id = euro.repeat(LedgerOp.MAX_CALL_ID_CHARS);
        String node = euro.repeat(LedgerOp.MAX_NODE_ID_CHARS);
        Target t = new Target(euro.repeat(LedgerOp.MAX_NAME_CHARS), euro.repeat(LedgerOp.MAX_NAME_CHARS));
        List<io.agentmesh.node.llm.ledger.LedgerAttempt> attempts = new ArrayList<>();
        for (int n = 1; n <= LedgerOp.MAX_ATTEMPTS; n++) {
            attempts.add(new io.agentmesh.node.llm.ledger.LedgerAttempt(n, t, Long.MAX_VALUE, Long.MAX_VALUE, true,
                    Optional.of(ErrorClass.CANCELLED), Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE));
        }
        List<io.agentmesh.node.llm.ledger.LedgerCall> calls = new ArrayList<>();
        for (int i = 0; i < LlmLedger.CALLS_PER_CHUNK; i++) {
            calls.add(new io.agentmesh.node.llm.ledger.LedgerCall(id.substring(1) + i % 10, node, TOKEN,
                    LedgerOp.Origin.INTENT, 1, attempts, Optional.of(LedgerOp.CallStatus.FAILED),
                    euro.repeat(LedgerOp.MAX_MESSAGE_CHARS), 1, i + 1));
        }
        List<io.agentmesh.node.llm.ledger.SpendRow> rows = new ArrayList<>();
        for (int i = 0; i < LlmLedger.ROWS_PER_CHUNK; i++) {
            rows.add(new io.agentmesh.node.llm.ledger.SpendRow(i, t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        }
        List<LedgerOp.AttemptEnd> ends = new ArrayList<>();
        for (int i = 0; i < LlmLedger.ENDS_PER_CHUNK; i++) {
            ends.add(new LedgerOp.AttemptEnd(id, TOKEN, 1, t, Optional.empty(), 200, new Usage(1, 1, 1, 1, 1), true,
                    1, 1, 1, 1, euro.repeat(LedgerOp.MAX_NAME_CHARS), 1));
        }
        for (LedgerSnapshotChunk c : List.of(new LedgerSnapshotChunk(calls, List.of(), List.of()),
                new LedgerSnapshotChunk(List.of(), rows, List.of()), new LedgerSnapshotChunk(List.of(), List.of(),
                        ends))) {
            byte[] bytes = CODEC.encodeOperation(c);
            assertTrue(bytes.length < io.agentmesh.protocol.wire.WireCodec.MAX_FRAME_BYTES / 2, bytes.length + "");
            assertEquals(c, CODEC.decodeOperation(bytes));
        }
    }
}
