package io.agentmesh.node.consensus;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the consensus codec (docs/fuzzing.md): the Consensus frames a peer sends
 * ({@link RaftCodec#decodePayload}), and what the Raft log store and snapshots read back (log entries, operations
 * with the action journal's and the LLM ledger's, {@link LedgerCodec}, snapshot chunks, member views, endpoints).
 * The first byte picks the reader. Bad bytes must give a {@link CodecException} and nothing else.
 */
class RaftCodecFuzzTest {
    private final RaftCodec codec = new RaftCodec();

    @FuzzTest(maxDuration = "10s")
    void decodersGiveAValueOrACodecException(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        try {
            switch (Byte.toUnsignedInt(input[0]) % 6) {
                case 0 -> codec.decodePayload(rest);
                case 1 -> codec.decodeLogEntry(rest);
                case 2 -> codec.decodeOperation(rest);
                case 3 -> codec.decodeSnapshotChunk(rest);
                case 4 -> codec.decodeMembersView(rest);
                default -> codec.decodeEndpoint(rest);
            }
        } catch (CodecException refused) {
            // the documented refusal
        }
    }
}
