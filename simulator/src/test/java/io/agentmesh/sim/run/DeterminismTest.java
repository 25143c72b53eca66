package io.agentmesh.sim.run;

import io.agentmesh.sim.world.Trace;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeterminismTest {
    private static final SimConfig CONFIG = SimConfig.of(5, 42, 15_000, EnumSet.allOf(FaultKind.class))
            .withRates(10, 5);

    @Test
    void theSameSeedGivesTheSameEventLogTraceHashVerdictsAndFinalState() {
        Trace first = new Trace(true, null);
        Trace second = new Trace(true, null);
        SimResult a = Simulation.run(CONFIG, first);
        SimResult b = Simulation.run(CONFIG, second);
        assertTrue(a.figures().events() > 1_000, "the run did something");
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(first.lines(), second.lines());
        assertEquals(a.verdicts(), b.verdicts());
        assertEquals(a.history().finals(), b.history().finals());
        assertEquals(a.figures().writes(), b.figures().writes());
    }

    @Test
    void keepingOrPrintingTheEventLogDoesNotChangeTheHash() {
        assertEquals(Simulation.run(CONFIG, new Trace(true, null)).traceHash(), Simulation.run(CONFIG).traceHash());
    }

    @Test
    void anotherSeedGivesAnotherRun() {
        assertNotEquals(Simulation.run(CONFIG).traceHash(), Simulation.run(CONFIG.withSeed(43)).traceHash());
    }
}
