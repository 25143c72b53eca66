package io.agentmesh.node.llm.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Two ledgers answer every read the same. */
final class LedgerSnapshotAssert {
    private LedgerSnapshotAssert() {
    }

    static void sameReads(LlmLedger expected, LlmLedger actual) {
        assertEquals(expected.openCalls(), actual.openCalls());
        assertEquals(expected.closedCalls(), actual.closedCalls());
        assertEquals(expected.spend(), actual.spend());
        assertEquals(expected.recentEnds(), actual.recentEnds());
        assertEquals(expected.reservedNanoUsd(), actual.reservedNanoUsd());
        for (LedgerCall c : expected.openCalls()) {
            assertEquals(expected.call(c.callId()), actual.call(c.callId()));
        }
    }
}
