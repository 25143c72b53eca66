package io.agentmesh.sim.world;

import io.agentmesh.node.consensus.RaftLogStore;
import io.agentmesh.node.consensus.RaftLogStoreContractTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The simulator's Raft store keeps the store contract (its object plays the disk, so a crash and reopen is
 * {@link SimulatedRaftStore#crash()}), and each durable point that writes blocks the attached node for one fsync.
 */
class SimulatedRaftStoreTest extends RaftLogStoreContractTest {
    private static final long FSYNC = 2_000_000;

    @Override
    protected RaftLogStore openStore() {
        return new SimulatedRaftStore();
    }

    @Override
    protected RaftLogStore crashAndReopen(RaftLogStore crashed) {
        ((SimulatedRaftStore) crashed).crash();
        return crashed;
    }

    @Test
    void aFlushThatWritesBlocksTheNodeForOneFsyncAndAnEmptyOneCostsNothing() {
        SimLoop loop = new SimLoop(Trace.hashOnly());
        SimScheduler node = new SimScheduler(loop, "n1", 0);
        SimulatedRaftStore raft = ((SimulatedRaftStore) store).attach(DiskTimer.of(node), () -> FSYNC);
        long[] nextRanAt = {-1};
        node.execute(() -> {
            try {
                init(raft, 1); // three durable points
                raft.flush(); // nothing to write
                raft.persistLogEntries(List.of(entry(1, 1)));
                raft.flush();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            node.execute(() -> nextRanAt[0] = loop.nowNanos());
        });
        loop.runUntil(1_000_000_000L);
        assertEquals(4 * FSYNC, nextRanAt[0], "the node's next task waited for four fsyncs");
    }

    @Test
    void aFailedStoreRefusesEveryCallUntilTheNodeRestarts() throws IOException {
        SimulatedRaftStore raft = (SimulatedRaftStore) store;
        init(raft, 1);
        raft.failWith(new IOException("disk on fire"));
        assertThrows(IOException.class, raft::flush);
        assertThrows(IOException.class, raft::restore);
        raft.crash();
        assertEquals(1, raft.restore().orElseThrow().getTermPersistentState().getTerm());
    }
}
