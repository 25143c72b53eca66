package io.agentmesh.sim.run;

import io.agentmesh.sim.world.Link;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs that broke the node core before it was fixed (a snapshot skipping changes that waited for dependencies;
 * certificates arriving after a member's changes), kept as regressions.
 */
class CoreRegressionTest {
    private static void assertPasses(SimConfig config) {
        SimResult r = Simulation.run(config);
        assertTrue(r.passed(), () -> r.failures() + "\n  replay: " + r.replayCommand());
    }

    @Test
    void aNodeThatSnapshotsWhileChangesWaitForDependenciesRestartsWithAllOfThem() {
        // n3 cannot hear n2, so n1's changes (which depend on n2's) reach n3 before n2's do and wait there; n3
        // snapshots after each of its own writes, then crashes. Snapshotting at the store's change count then lost
        // the waiting changes at the restart (and every later write of n3 failed: "produced seq X after Y").
        FaultPlan plan = new FaultPlan(List.of(), List.of(
                new FaultPlan.Partition(500, 8_500, "cut link n2-n3", Link.between(Set.of(1), Set.of(2))),
                new FaultPlan.Crash(6_000, 2, 500)));
        assertPasses(SimConfig.of(3, 21, 9_000, EnumSet.noneOf(FaultKind.class)).withRates(40, 5)
                .withSnapshotEvery(1).withScript(plan));
    }

    @Test
    void changesRelayedFromAMemberTheNodeHasNotMetAreAccepted() {
        // Restarts and partitions leave nodes that get a member's changes through a peer before its certificate;
        // they used to reject them as from an unenrolled signer (and drop the peer after 16).
        assertPasses(SimConfig.of(5, 5074, 25_000, FaultKind.ALL).withRates(3, 5));
    }
}
