package io.agentmesh.sim.live;

import io.agentmesh.sim.check.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short live run on real processes: three nodes, partitions and crashes, every checker passes. Seed 6 kills each
 * of the three nodes once (and cuts links three times), so whoever leads first is killed or deposed: the run sees a
 * failover.
 */
class LiveRunTest {

    @Test
    void threeNodesUnderPartitionsAndCrashesPassEveryCheck(@TempDir Path dir) throws Exception {
        StringWriter log = new StringWriter();
        LiveConfig config = LiveConfig.of(3, 0, 6, 20_000, EnumSet.of(LiveFault.PARTITION, LiveFault.CRASH))
                .withDir(dir.resolve("nodes"), true);
        LiveResult r = LiveRun.run(config, new PrintWriter(log, true));
        StringWriter printed = new StringWriter();
        LiveCommand.print(r, new PrintWriter(printed, true));
        String context = log + "\n" + printed;
        assertTrue(r.passed(), context);
        assertEquals(LiveRun.checkers(1, 1).size(), r.verdicts().size());
        assertTrue(r.verdicts().stream().allMatch(Verdict::passed), context);
        // The run did what it says: faults happened, writes and intents were acknowledged and performed.
        assertTrue(((Number) r.figures().get("acknowledged")).longValue() > 100, context);
        assertTrue(((Number) r.figures().get("intentsAcknowledged")).longValue() > 10, context);
        assertTrue(((Number) r.figures().get("performedLines")).longValue() > 10, context);
        assertTrue(((Number) r.figures().get("partitions")).intValue()
                + ((Number) r.figures().get("kills")).intValue() + ((Number) r.figures().get("sigterms")).intValue()
                >= 3, context);
        assertTrue(((Number) r.figures().get("termsWithLeader")).intValue() >= 2, "a failover: " + context);
        assertTrue(!r.history().heals().isEmpty(), context);

        Path html = LiveReport.write(r, dir.resolve("out"));
        String page = Files.readString(html);
        assertTrue(page.contains("<h2>Leader</h2>") && page.contains("<svg") && page.contains("PASS"));
        String json = Files.readString(dir.resolve("out").resolve("live-6.json"));
        assertTrue(json.contains("\"mode\" : \"live\"") && json.contains("\"terms\""));
        assertEquals(0, LiveCluster.runningChildren(), "no child process may outlive the run");
    }
}
