package io.agentmesh.sim.run;

import io.agentmesh.sim.live.LiveFault;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnumIdsTest {
    @Test
    void idsAreLowerCaseWithDashesAndReadBackInAnyCaseAndOrder() {
        assertEquals("double-perform", PlantedBug.DOUBLE_PERFORM.id());
        Set<PlantedBug> bugs = PlantedBug.parse(" Double-Perform,ack-before-fsync ,");
        assertEquals(EnumSet.of(PlantedBug.ACK_BEFORE_FSYNC, PlantedBug.DOUBLE_PERFORM), bugs);
        assertEquals("ack-before-fsync,double-perform", PlantedBug.format(bugs));
        assertEquals(bugs, PlantedBug.parse(PlantedBug.format(bugs)));
    }

    @Test
    void noneAndAllWhereAllIsDefined() {
        assertEquals(Set.of(), LiveFault.parse("none"));
        assertEquals(Set.of(), PlantedBug.parse(""));
        assertEquals("none", LiveFault.format(Set.of()));
        assertEquals("", PlantedBug.format(Set.of()));
        assertEquals(LiveFault.ALL, LiveFault.parse("all"));
        assertEquals("partition,crash,relay,delay", LiveFault.format(LiveFault.parse("delay,all")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PlantedBug.parse("all"));
        assertTrue(e.getMessage().startsWith("unknown planted bug 'all'; known: ack-before-fsync,"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LiveFault.parse("crash,meteor"));
        assertEquals("unknown live fault 'meteor'; known: partition, crash, relay, delay (or all, none)",
                e.getMessage());
    }
}
