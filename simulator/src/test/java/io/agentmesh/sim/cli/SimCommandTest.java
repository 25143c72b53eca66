package io.agentmesh.sim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.agentmesh.sim.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimCommandTest {
    @Test
    void simRunPrintsTheVerdictTheFiguresAndTheReplayCommandAndWritesTheReports(@TempDir Path dir) {
        CliRun r = run("sim", "run", "--nodes", "3", "--seed", "7", "--duration", "10s", "--faults", "crash,partition",
                "--out", dir.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verdict: PASS"), r.out());
        assertTrue(r.out().contains("speed"));
        assertTrue(r.out().contains("convergence"));
        assertTrue(r.out().contains("PASS one-leader-per-term"), r.out());
        assertTrue(r.out().contains("PASS intents-at-most-once"), r.out());
        assertTrue(r.out().contains("PASS intents-performed"), r.out());
        assertTrue(r.out().contains(" performed twice, 0 lost"), r.out());
        assertTrue(r.out().contains("replay:  agentmesh sim run --nodes 3 --seed 7 --duration 10s --faults"
                + " partition,crash\n"), r.out());
        assertTrue(Files.exists(dir.resolve("sim-7.json")));
        assertTrue(Files.exists(dir.resolve("sim-7.html")));
    }

    @Test
    void theLlmWorkloadAddsItsCheckersItsFiguresAndItsOptionToTheReplayCommand() {
        CliRun r = run("sim", "run", "--nodes", "3", "--seed", "5", "--duration", "15s", "--faults", "crash,partition",
                "--llm-intents-per-second", "1", "--no-report");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("PASS llm-ledger-covers-bills"), r.out());
        assertTrue(r.out().contains("PASS llm-attempt-recorded-before-sent"), r.out());
        assertTrue(r.out().contains("  llm           "), r.out());
        assertTrue(r.out().contains("--llm-intents-per-second 1"), r.out());
        CliRun bad = run("sim", "run", "--nodes", "3", "--seed", "5", "--duration", "3s", "--no-consensus",
                "--llm-intents-per-second", "1", "--no-report");
        assertEquals(2, bad.exit(), bad.out() + bad.err());
        assertTrue(bad.err().contains("the LLM workload needs consensus"), bad.err());
    }

    @Test
    void aFailingRunExitsWithOneAndSaysHowToReplayIt(@TempDir Path dir) {
        CliRun r = run("sim", "run", "--nodes", "3", "--seed", "3", "--duration", "3s", "--faults", "none",
                "--plant", "corrupt-signatures", "--no-report");
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verdict: FAIL"));
        assertTrue(r.out().contains("FAIL no-rejected-changes"));
        assertTrue(r.out().contains("--plant corrupt-signatures"));
    }

    @Test
    void noConsensusRunsTheStateLayerAloneAndSaysSoInTheReplayCommand() {
        CliRun r = run("sim", "run", "--nodes", "3", "--seed", "7", "--duration", "3s", "--faults", "none",
                "--no-consensus", "--no-report");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("(6 of 6 checks passed)"), r.out());
        assertTrue(r.out().contains("--no-consensus"), r.out());
        CliRun i = run("sim", "run", "--nodes", "3", "--seed", "7", "--duration", "3s", "--faults", "none",
                "--intent-rate", "2", "--no-report");
        assertTrue(i.out().contains("(12 of 12 checks passed)"), i.out());
        assertTrue(i.out().contains("--intent-rate 2"), i.out());
    }

    @Test
    void aPlantedDoublePerformanceFailsTheAtMostOnceCheck() {
        CliRun r = run("sim", "run", "--nodes", "3", "--seed", "3", "--duration", "4s", "--faults", "none",
                "--intent-rate", "2", "--plant", "double-perform", "--no-report");
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("FAIL intents-at-most-once"), r.out());
    }

    @Test
    void witnessMakesTheLastNodeAWitnessAndIsCheckedAndReplayed() {
        CliRun r = run("sim", "run", "--nodes", "3", "--witness", "--seed", "8", "--duration", "5s", "--faults",
                "crash", "--no-report");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("PASS witness-never-leads: witness n3 never stood for election"), r.out());
        assertTrue(r.out().contains("--faults crash --witness\n"), r.out());
        CliRun bad = run("sim", "run", "--nodes", "2", "--witness", "--no-report");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--witness needs consensus and 3..7 nodes"), bad.err());
    }

    @Test
    void traceStreamsTheEventLog() {
        CliRun r = run("sim", "run", "--nodes", "2", "--seed", "1", "--duration", "2s", "--faults", "none",
                "--no-report", "--trace");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains(" world boot n1"), r.out().substring(0, Math.min(500, r.out().length())));
        assertTrue(r.out().contains("recv n2 Heartbeat"));
        assertTrue(r.out().contains(" consensus LEADER term "), "leader changes are in the event log");
        assertTrue(r.out().contains("fault plan:"));
    }

    @Test
    void badArgumentsExitWithTwoAndOneClearLine() {
        CliRun r = run("sim", "run", "--faults", "meteor", "--no-report");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown fault 'meteor'"), r.err());
    }

    @Test
    void severalSeedsRunInOneCommand() {
        CliRun r = run("sim", "run", "--nodes", "3", "--seed", "100", "--seeds", "3", "--duration", "3s",
                "--faults", "crash", "--no-report");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("3 of 3 seeds passed"), r.out());
    }

    @Test
    void theMainCommandOffersSimRunAndBenchCrashLoop() {
        CommandLine cli = SimMain.commandLine();
        assertNotNull(cli.getSubcommands().get("sim").getSubcommands().get("run"));
        assertNotNull(cli.getSubcommands().get("bench").getSubcommands().get("crash-loop"));
        assertTrue(run("sim", "run", "--help").out().contains("--faults"));
    }

    @Test
    void helpListsPlantAndTheResultsDirectoryOutsideTheCurrentOne() {
        String help = run("sim", "run", "--help").out();
        assertTrue(help.contains("--plant=BUG"), help);
        assertTrue(help.contains("--results-dir"), help);
        String tmp = Path.of(System.getProperty("java.io.tmpdir")).resolve("agentmesh-sim-results").toString();
        assertTrue(help.replace("\n", "").replaceAll("\\s+", "").contains(tmp.replaceAll("\\s+", "")),
                "the default is under the temporary directory: " + help);
    }
}
