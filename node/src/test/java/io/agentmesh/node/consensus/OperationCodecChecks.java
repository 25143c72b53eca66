package io.agentmesh.node.consensus;

import io.agentmesh.protocol.bytes.BoundedWriter;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.SnapshotChunk;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks every family of Raft operations (journal, agent runs, LLM ledger, wallet ledger) must pass through
 * {@link RaftCodec}: exact round trips in each container, every truncation and trailing byte refused, flipped bytes
 * refused or decoded to a value that re-encodes exactly, and each kind refused in the container it does not belong in.
 */
final class OperationCodecChecks {
    private static final RaftCodec CODEC = RaftCodecTest.CODEC;

    private OperationCodecChecks() {
    }

    /** {@code op} round-trips on its own and as the operation of a log entry. */
    static void assertRoundTripsAloneAndInALogEntry(Object op) {
        assertEquals(op, CODEC.decodeOperation(CODEC.encodeOperation(op)), op.toString());
        LogEntry e = RaftCodecTest.F.createLogEntryBuilder().setIndex(9).setTerm(3).setOperation(op).build();
        assertEquals(op, CODEC.decodeLogEntry(CODEC.encodeLogEntry(e)).getOperation());
    }

    /** {@code chunk} round-trips on its own and inside a snapshot chunk; returns what the snapshot chunk decoded to. */
    static Object assertRoundTripsAloneAndInASnapshotChunk(Object chunk) {
        assertEquals(chunk, CODEC.decodeOperation(CODEC.encodeOperation(chunk)));
        Object decoded = CODEC.decodeSnapshotChunk(CODEC.encodeSnapshotChunk(snapshotChunk(2000, 7, 0, 1, chunk)))
                .getOperation();
        assertEquals(chunk, decoded);
        return decoded;
    }

    /** A snapshot chunk carrying {@code operation}, with a one-member group view. */
    static SnapshotChunk snapshotChunk(long index, int term, int chunkIndex, int chunkCount, Object operation) {
        return RaftCodecTest.F.createSnapshotChunkBuilder().setIndex(index).setTerm(term)
                .setSnapshotChunkIndex(chunkIndex).setSnapshotChunkCount(chunkCount).setOperation(operation)
                .setGroupMembersView(RaftCodecTest.F.createRaftGroupMembersViewBuilder().setLogIndex(1)
                        .setMembers(List.of(RaftCodecTest.A)).setVotingMembers(List.of(RaftCodecTest.A)).build())
                .build();
    }

    static void assertEveryTruncationAndTrailingByteIsRefused(List<?> ops) {
        for (Object op : ops) {
            byte[] valid = CODEC.encodeOperation(op);
            for (int len = 0; len < valid.length; len++) {
                byte[] cut = Arrays.copyOf(valid, len);
                assertThrows(CodecException.class, () -> CODEC.decodeOperation(cut), op + " cut at " + len);
            }
            byte[] longer = Arrays.copyOf(valid, valid.length + 1);
            assertThrows(CodecException.class, () -> CODEC.decodeOperation(longer));
        }
    }

    /** 200 random flips of one to three bytes past the header of each operation, from a seeded {@link Random}. */
    static void assertGarbageIsRefusedOrDecodesToAWellFormedValue(List<?> ops, long seed) {
        Random random = new Random(seed);
        for (Object op : ops) {
            byte[] valid = CODEC.encodeOperation(op);
            for (int k = 0; k < 200; k++) {
                byte[] bad = valid.clone();
                int flips = 1 + random.nextInt(3);
                for (int f = 0; f < flips; f++) {
                    bad[3 + random.nextInt(bad.length - 3)] ^= (byte) (1 + random.nextInt(255));
                }
                try {
                    Object decoded = CODEC.decodeOperation(bad);
                    // A flip may land on a value that is still valid (a digit of a time): then it re-encodes exactly.
                    assertTrue(Arrays.equals(bad, CODEC.encodeOperation(decoded)), "decoded " + decoded);
                } catch (CodecException expected) {
                    // refused: fine
                }
            }
        }
    }

    /** A snapshot chunk's operation is refused as a log entry's, and a log operation as a snapshot chunk's. */
    static void assertNoLogEntryNorSnapshotChunk(Object chunkOperation, Object logOperation) {
        LogEntry e = RaftCodecTest.F.createLogEntryBuilder().setIndex(1).setTerm(1).setOperation(chunkOperation)
                .build();
        byte[] bytes = CODEC.encodeLogEntry(e);
        RaftCodecTest.assertMessage("does not belong here", () -> CODEC.decodeLogEntry(bytes));
        if (logOperation != null) {
            byte[] chunkBytes = CODEC.encodeSnapshotChunk(snapshotChunk(2, 1, 0, 1, logOperation));
            RaftCodecTest.assertMessage("does not belong here", () -> CODEC.decodeSnapshotChunk(chunkBytes));
        }
    }

    /** [version][OPERATION kind][tag] then the body, as the codec lays it out. */
    static byte[] operation(int tag, Consumer<BoundedWriter> body) {
        BoundedWriter w = new BoundedWriter(1 << 16).u8(RaftCodec.FORMAT_VERSION).u8(RaftCodec.OPERATION).u8(tag);
        body.accept(w);
        return w.toByteArray();
    }
}
