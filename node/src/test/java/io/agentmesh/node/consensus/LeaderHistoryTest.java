package io.agentmesh.node.consensus;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LeaderHistoryTest {

    @Test
    void aChangeOfTermOrLeaderAddsAnEntryAndARoleChangeAloneDoesNot() {
        LeaderHistory h = new LeaderHistory(8);
        h.observe(100, 1, null);
        h.observe(150, 1, "node1a");
        h.observe(160, 1, "node1a"); // this node's own role changed, the leader did not
        h.observe(900, 2, null);
        h.observe(950, 2, "node1b");
        assertEquals(List.of(new LeaderHistory.Entry(1, null, 100), new LeaderHistory.Entry(1, "node1a", 150),
                new LeaderHistory.Entry(2, null, 900), new LeaderHistory.Entry(2, "node1b", 950)), h.entries());
    }

    @Test
    void keepsOnlyTheNewestEntries() {
        LeaderHistory h = new LeaderHistory(3);
        for (int term = 1; term <= 5; term++) {
            h.observe(term * 10L, term, "node1" + term);
        }
        assertEquals(List.of(3L, 4L, 5L), h.entries().stream().map(LeaderHistory.Entry::term).toList());
    }

    @Test
    void refusesANonPositiveCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new LeaderHistory(0));
    }
}
