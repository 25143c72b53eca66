package io.agentmesh.node.consensus;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bounded log of a member's role changes and applied claims, read in pages after a sequence number. */
class ConsensusEventsTest {

    @Test
    void aReaderGetsWhatCameAfterItsLastSequenceNumberInOrder() {
        ConsensusEvents events = new ConsensusEvents(1_000, 10);
        events.roleChanged(1_001, "FOLLOWER", 1, null);
        events.roleChanged(1_002, "LEADER", 2, "n1");
        events.claimApplied(1_003, "intent-1", "n1", 2, 5);
        ConsensusEvents.Page all = events.after(0, 1_010);
        assertEquals(1_000, all.startedMillis());
        assertEquals(1_010, all.nowMillis());
        assertEquals(1, all.firstSeq());
        assertEquals(4, all.nextSeq());
        assertEquals(List.of("FOLLOWER", "LEADER"), all.roles().stream().map(ConsensusEvents.RoleChanged::role)
                .toList());
        assertEquals(new ConsensusEvents.ClaimApplied(3, 1_003, "intent-1", "n1", 2, 5), all.claims().getFirst());
        ConsensusEvents.Page later = events.after(2, 1_011);
        assertEquals(List.of(), later.roles());
        assertEquals(1, later.claims().size());
    }

    @Test
    void onlyTheNewestEventsAreKeptAndTheReaderSeesTheHole() {
        ConsensusEvents events = new ConsensusEvents(0, 3);
        for (int i = 0; i < 5; i++) {
            events.claimApplied(i, "intent-" + i, "n1", 1, i);
        }
        ConsensusEvents.Page page = events.after(0, 10);
        assertEquals(3, page.claims().size());
        assertEquals(3, page.firstSeq(), "events 1 and 2 were dropped");
        assertThrows(IllegalArgumentException.class, () -> new ConsensusEvents(0, 0));
    }
}
