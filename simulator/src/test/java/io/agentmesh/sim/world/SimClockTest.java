package io.agentmesh.sim.world;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SimClockTest {
    private final SimLoop loop = new SimLoop(Trace.hashOnly());

    @Test
    void wallTimeIsTheEpochPlusVirtualTimeWithOffsetAndDrift() {
        SimClock clock = new SimClock(loop, 1_000_000, 250, 1_000, 0); // +250 ms, 0.1% fast
        assertEquals(1_000_250, clock.nowMillis());
        loop.runUntil(10_000_000_000L); // 10 s
        assertEquals(1_000_000 + 250 + 10_010, clock.nowMillis());
        assertEquals(260, clock.skewMillis());
    }

    @Test
    void aStepMovesWallTimeButNotMonotonicTime() {
        SimClock clock = new SimClock(loop, 0, 0, 0, 5_000);
        loop.runUntil(1_000_000_000L);
        long mono = clock.monotonicNanos();
        clock.jump(-3_000);
        assertEquals(-2_000, clock.nowMillis());
        assertEquals(mono, clock.monotonicNanos());
        assertEquals(1_000_005_000L, mono);
    }

    @Test
    void anExactClockFollowsVirtualTime() {
        SimClock clock = SimClock.exact(loop);
        loop.runUntil(1_500_000_000L);
        assertEquals(SimClock.DEFAULT_EPOCH_MILLIS + 1_500, clock.nowMillis());
        assertEquals(0, clock.skewMillis());
    }
}
