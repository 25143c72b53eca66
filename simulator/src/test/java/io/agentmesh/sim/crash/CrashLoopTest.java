package io.agentmesh.sim.crash;

import io.agentmesh.sim.bench.BenchResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrashLoopTest {
    @TempDir
    Path dir;

    /**
     * DESIGN.md invariant 3 under kill -9. Half the rounds run 100-800 ms from process start, so many of their
     * kills land while the JVM starts or the store opens (recovering the previous kill's log); the other half run
     * 100-800 ms after the store is open, while four writers have 64 appends each in flight, however slow the
     * machine. The 1,000-kill run is in docs/storage.md.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aHundredKillsLoseNoAcknowledgedWriteAndLeaveEveryStoreWritable() throws Exception {
        CrashLoop.Result result = CrashLoop.run(new CrashLoop.Config(100, dir, 42, 4, 64, 100, 800, 10, System.err,
                false, 0.5));
        String json = json(result);
        System.out.println(json);
        assertEquals(100, result.kills());
        assertEquals(0, result.unexpectedExitStatus(), "every kill must be a SIGKILL (exit status 137)");
        assertTrue(result.acknowledgedWrites() > 10_000, "the loop must actually write: " + json);
        assertEquals(0, result.lost(), json);
        assertEquals(0, result.unwritableStores(), json);
        assertEquals(0, result.vectorErrors(), json);
        assertTrue(result.failures().isEmpty(), json);
    }

    /** The loop's negative control: a writer that acknowledges before durability must be caught losing writes. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theLoopReportsLossesWhenTheWriterAcknowledgesBeforeTheChangeIsDurable() throws Exception {
        CrashLoop.Result result = CrashLoop.run(new CrashLoop.Config(5, dir, 7, 4, 64, 300, 600, 10, System.err,
                true, 1.0));
        String json = json(result);
        System.out.println(json);
        assertEquals(5, result.kills());
        assertTrue(result.lost() > 0, "acknowledging queued writes must show up as losses: " + json);
    }

    private static String json(CrashLoop.Result result) {
        return result.toBenchResult(BenchResult.Machine.probe()).toJson();
    }
}
