package io.agentmesh.sim.run;

import io.agentmesh.sim.world.SimLoop;
import io.agentmesh.sim.world.SimScheduler;
import io.agentmesh.sim.world.Trace;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seed 192's disk-model error as a unit (docs/agents.md): a node thread that makes several blocking fsyncs in one
 * event while its disk stalls is held until the stall ends plus their latency, not once per fsync for the whole
 * rest of the stall. (The seed itself no longer reaches that state since the change store stopped blocking.)
 */
class StallChargeTest {
    private static final long MS = 1_000_000;

    @Test
    void threeBlockingFsyncsInOneEventDuringAStallHoldTheThreadUntilItsEndPlusTheirLatency() {
        SimLoop loop = new SimLoop(Trace.hashOnly());
        SimScheduler node = new SimScheduler(loop, "n4", 0);
        long stallEnd = 1_490 * MS;
        long[] readyAfter = {-1};
        node.execute(() -> {
            for (int i = 0; i < 3; i++) {
                node.block(SimNode.stalledFsyncNanos(2 * MS, stallEnd, node.readyNanos()));
            }
            readyAfter[0] = node.readyNanos();
        });
        loop.runUntil(10_000 * MS);
        assertEquals(stallEnd + 2 * 2 * MS, readyAfter[0], "the first fsync ends with the stall, the next two take"
                + " their latency");
    }
}
