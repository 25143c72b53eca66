package io.agentmesh.sim.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AgentEventsTest {

    @Test
    void instancesAreReadInStartOrderWithTheirFirstAndLastBeatAndStop() {
        List<AgentEvents.Instance> all = AgentEvents.parse("""
                start b 2000 2.5
                start a 1000 1.3
                beat a 1001 1.3
                beat b 2001 2.5
                beat a 1500 1.3
                stop a 1600 1.3
                beat b 2050 2.5
                beat b 20""");
        assertEquals(2, all.size());
        AgentEvents.Instance a = all.get(0);
        assertEquals(new AgentEvents.Instance("a", "1.3", 1000, 1001, 1500, 1600, 1600), a);
        assertEquals(new AgentEvents.Instance("b", "2.5", 2000, 2001, 2050, 2050, -1), all.get(1),
                "the unfinished last line is left for the next read");
        assertEquals(List.of(), AgentEvents.overlaps(all));
    }

    @Test
    void anInstanceWritingAfterALaterOneStartedIsAnOverlapEvenAcrossAThirdInstance() {
        List<AgentEvents.Instance> all = AgentEvents.parse("""
                start a 1000 1.1
                start b 2000 2.1
                beat b 2001 2.1
                start c 3000 3.1
                beat a 3100 1.1
                """);
        List<AgentEvents.Overlap> overlaps = AgentEvents.overlaps(all);
        assertEquals(2, overlaps.size());
        assertEquals(1100, overlaps.get(0).overlapMs(), "a wrote 1100 ms after b started");
        assertEquals("c 3.1", overlaps.get(1).later().key());
        assertEquals(100, overlaps.get(1).overlapMs());
    }

    @Test
    void aLineBeforeItsInstancesStartOrAMalformedLineIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> AgentEvents.parse("beat a 1000 1.1\n"));
        assertThrows(IllegalArgumentException.class, () -> AgentEvents.parse("start a x 1.1\n"));
        assertThrows(IllegalArgumentException.class, () -> AgentEvents.parse("hello a 1 1.1\n"));
    }
}
