package io.agentmesh.sim.live;

import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.check.WitnessNeverLeadsChecker;
import io.agentmesh.sim.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import static io.agentmesh.sim.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sim live --witness}: two servers and a witness as real processes under partitions and crashes. The workload
 * talks to the servers only, every checker passes (convergence and the state checks over the servers), and
 * witness-never-leads decides from the witness's own consensus events, which the harness read.
 */
class LiveWitnessTest {
    /** Kills n1, n2 and the witness n3 once each in 20 s, and cuts links: each server's death is a failover. */
    private static final long SEED = 6;

    @Test
    void aWitnessNeedsTwoServersBesideItAndTheRefusalStartsNothing() {
        CliRun r = run("sim", "live", "--nodes", "2", "--witness", "--duration", "5s");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--witness needs 3..7 nodes"), r.err());
        assertEquals(0, LiveCluster.runningChildren());
    }

    @Test
    void twoServersAndAWitnessUnderPartitionsAndCrashesPassEveryCheckAndTheWitnessNeverLeads(@TempDir Path dir)
            throws Exception {
        StringWriter log = new StringWriter();
        LiveConfig config = LiveConfig.of(3, 0, SEED, 20_000, EnumSet.of(LiveFault.PARTITION, LiveFault.CRASH))
                .withWitness(true).withDir(dir.resolve("nodes"), true);
        assertTrue(config.rerunCommand().endsWith(" --witness"), config.rerunCommand());
        LiveResult r = LiveRun.run(config, new PrintWriter(log, true));
        StringWriter printed = new StringWriter();
        LiveCommand.print(r, new PrintWriter(printed, true));
        String context = log + "\n" + printed;
        assertTrue(r.passed(), context);

        Verdict witness = r.verdicts().stream().filter(v -> v.checker().equals(WitnessNeverLeadsChecker.NAME))
                .findFirst().orElseThrow();
        assertTrue(witness.summary().startsWith("witness n3 never stood for election"), witness.toString());
        History h = r.history();
        assertTrue(h.records(ConsensusRecords.LeaderObservation.class).stream().anyMatch(o -> o.node().equals("n3")),
                "the witness's role changes were read: " + context);
        assertTrue(h.writes().stream().noneMatch(w -> w.node().equals("n3")), "no request went to the witness");
        assertTrue(h.writes().stream().filter(History.Write::acknowledged).count() > 50, context);
        assertTrue(((Number) r.figures().get("performedLines")).longValue() > 5, context);
        assertTrue(h.records(LiveRecords.Performed.class).stream().noneMatch(p -> p.node().equals("n3")), context);
        assertFalse(h.finals().containsKey("n3"), "a witness holds no state to compare");
        assertFalse(Files.exists(r.dir().resolve("n3").resolve("state").resolve("performed.jsonl")));
        assertEquals(0, LiveCluster.runningChildren(), "no child process may outlive the run");
    }
}
