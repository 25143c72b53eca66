package io.agentmesh.sim.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeshCostTest {
    private static final long SECOND = 1_000_000_000L;

    private static MeshCost at(long seconds, long frames, long bytes, long cpuMs, long duplicates, long allocated) {
        return new MeshCost(seconds * SECOND, frames, bytes, cpuMs * 1_000_000L, duplicates, allocated,
                Map.of("young", new long[]{seconds, 10 * seconds}));
    }

    @Test
    void perChangeFiguresAreWhatTheWritesAddedBeyondTheBackgroundRates() {
        // Background: 100 frames/s, 1,000 bytes/s, 0.5 cores, 1 MB/s allocated.
        MeshCost.Window background = new MeshCost.Window(at(0, 0, 0, 0, 0, 0),
                at(10, 1_000, 10_000, 5_000, 0, 10_000_000));
        // 10 s with 50 writes: background 1,000 frames + 10,000 bytes + 5 s CPU, and 24 frames, 12,000 bytes,
        // 8 ms CPU and 1 duplicate per write.
        MeshCost.Window writing = new MeshCost.Window(at(20, 5_000, 50_000, 10_000, 3, 20_000_000),
                at(30, 5_000 + 1_000 + 50 * 24, 50_000 + 10_000 + 50 * 12_000, 10_000 + 5_000 + 50 * 8, 53,
                        20_000_000 + 10_000_000 + 50 * 40_000));
        Map<String, Object> r = writing.perChange(50, background);
        assertEquals(24.0, r.get("framesPerChange"));
        assertEquals(12_000L, r.get("bytesPerChange"));
        assertEquals(8.0, r.get("cpuMsPerChange"));
        assertEquals(1.0, r.get("duplicatesPerChange"));
        assertEquals(40_000L, r.get("allocatedBytesPerChange"));
        assertEquals(44.0, r.get("framesPerChangeAll"), "with the background: (1,000 + 1,200) / 50");
    }

    @Test
    void theBackgroundIsGivenPerSecondAndPerNode() {
        MeshCost.Window background = new MeshCost.Window(at(0, 0, 0, 0, 0, 0), at(4, 400, 8_000, 2_000, 0, 0));
        Map<String, Object> r = background.asBackground(5);
        assertEquals(100L, r.get("framesPerSecond"));
        assertEquals(2_000L, r.get("bytesPerSecond"));
        assertEquals(0.5, r.get("cpuCores"));
        assertEquals(0.1, r.get("cpuCoresPerNode"));
        assertEquals(Map.of("collections", 4L, "ms", 40L), ((Map<?, ?>) r.get("gc")).get("young"));
    }

    @Test
    void aFullMeshSendsHeartbeatsAndDigestsOverEveryOrderedPairOfNodes() {
        Map<String, Object> five = MeshBackground.expected(5, 5, 100);
        Map<String, Object> twentyFive = MeshBackground.expected(25, 25, 100);
        // 200 ms heartbeats, each acked, and a 500 ms anti-entropy round, over n(n-1) directed links.
        assertEquals(2L * 20 * 5, five.get("heartbeatAndAckFramesPerSecond"));
        assertEquals(20L * 2, five.get("digestFramesPerSecond"));
        assertEquals(2L * 600 * 5, twentyFive.get("heartbeatAndAckFramesPerSecond"));
        assertEquals(600L * 2, twentyFive.get("digestFramesPerSecond"));
        int digest5 = (Integer) five.get("digestBytes");
        int digest25 = (Integer) twentyFive.get("digestBytes");
        assertTrue(digest25 > 4 * digest5, "a digest carries one entry per actor: " + digest5 + " vs " + digest25);
    }
}
