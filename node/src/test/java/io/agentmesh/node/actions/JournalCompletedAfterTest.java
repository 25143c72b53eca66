package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ActionJournal#completedAfter}: completions after a log index, oldest first, bounded, open ones left out. */
class JournalCompletedAfterTest {
    @Test
    void completionsAfterAnIndexComeOldestFirstAndOpenClaimsAreLeftOut() {
        ActionJournal journal = new ActionJournal(100);
        long i = 0;
        for (int n = 0; n < 4; n++) {
            JournalResult.Claimed c = (JournalResult.Claimed) journal.runOperation(++i,
                    new Claim("i" + n, n % 2 == 0 ? "job" : "llm", "a", 1));
            if (n != 2) {
                journal.runOperation(++i, new Complete("i" + n, c.entry().claim(), "succeeded", "r", n));
            }
        }
        List<JournalEntry> all = journal.completedAfter(0, 10);
        assertEquals(List.of("i0", "i1", "i3"), all.stream().map(JournalEntry::intentId).toList());
        long afterFirst = all.getFirst().completion().index();
        assertEquals(List.of("i1", "i3"), journal.completedAfter(afterFirst, 10).stream()
                .map(JournalEntry::intentId).toList());
        assertEquals(List.of("i0"), journal.completedAfter(0, 1).stream().map(JournalEntry::intentId).toList());
        assertEquals(List.of(), journal.completedAfter(all.getLast().completion().index(), 10));
        assertThrows(IllegalArgumentException.class, () -> journal.completedAfter(0, -1));
    }
}
