package io.agentmesh.sim.world;

import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.ChangeStoreContractTest;
import org.junit.jupiter.api.AfterEach;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The simulated store keeps the whole ChangeStore contract. Here its fsyncs complete on a real timer thread (0.2 ms
 * each), so the contract's own blocking waits and concurrent writers work unchanged; in a simulated world the
 * node's virtual-time scheduler plays that role.
 */
class SimulatedChangeStoreContractTest extends ChangeStoreContractTest {
    private final SimDisk disk = new SimDisk("contract");
    private final ScheduledExecutorService fsyncThread = Executors.newSingleThreadScheduledExecutor();

    @Override
    protected ChangeStore openStore() {
        return disk.open(DiskTimer.of(fsyncThread), () -> 200_000L, 0, 64);
    }

    @AfterEach
    void stopTimer() {
        fsyncThread.shutdownNow();
    }
}
