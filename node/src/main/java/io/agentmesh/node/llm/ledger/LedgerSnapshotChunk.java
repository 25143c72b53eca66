package io.agentmesh.node.llm.ledger;

import java.util.List;
import java.util.Objects;

/**
 * One chunk of an {@link LlmLedger} snapshot: some calls, some spend rows and some health facts, each list in the
 * ledger's sorted order and bounded ({@link LlmLedger#CALLS_PER_CHUNK} and the others). Chunks are cut
 * deterministically from the sorted state, because MicroRaft may fetch different chunks of one snapshot from
 * different members. Encoded, a chunk stays well under a wire frame (16 MiB) even with every text at its longest in
 * three-byte characters: 32 closed calls of 64 attempts are 3.4 MB, 1,024 rows 1.7 MB, 256 attempt ends 0.8 MB
 * (LedgerCodecTest).
 */
public record LedgerSnapshotChunk(List<LedgerCall> calls, List<SpendRow> spend, List<LedgerOp.AttemptEnd> ends) {
    public LedgerSnapshotChunk {
        calls = List.copyOf(Objects.requireNonNull(calls, "calls"));
        spend = List.copyOf(Objects.requireNonNull(spend, "spend"));
        ends = List.copyOf(Objects.requireNonNull(ends, "ends"));
        if (calls.size() > LlmLedger.CALLS_PER_CHUNK || spend.size() > LlmLedger.ROWS_PER_CHUNK
                || ends.size() > LlmLedger.ENDS_PER_CHUNK) {
            throw new IllegalArgumentException("a ledger snapshot chunk holds at most " + LlmLedger.CALLS_PER_CHUNK
                    + " calls, " + LlmLedger.ROWS_PER_CHUNK + " spend rows and " + LlmLedger.ENDS_PER_CHUNK
                    + " attempt ends; got " + calls.size() + ", " + spend.size() + ", " + ends.size());
        }
    }
}
