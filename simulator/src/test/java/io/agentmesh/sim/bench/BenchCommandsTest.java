package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.sim.cli.CliRun;
import io.agentmesh.sim.cli.SimMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static io.agentmesh.sim.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandsTest {
    @Test
    void everyBenchmarkOfDocsBenchmarksMdKeepsItsCommandName() {
        var bench = SimMain.commandLine().getSubcommands().get("bench").getSubcommands();
        for (String name : List.of("writes", "replication", "crash-loop", "store", "relay", "failover", "state",
                "workspace", "agent")) {
            assertTrue(bench.containsKey(name), "agentmesh bench " + name + " is missing");
        }
    }

    @Test
    void aBenchmarkPrintsOneResultWithMachineParametersAndFiguresAndWritesTheSameToOut(@TempDir Path dir)
            throws Exception {
        Path out = dir.resolve("results/store.json");
        CliRun r = run("bench", "store", "--seconds", "1", "--warmup-seconds", "0", "--writers", "2",
                "--pipelined-window", "0", "--open-changes", "0", "--dir", dir.resolve("scratch").toString(),
                "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        List<String> fields = new ArrayList<>();
        json.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("benchmark", "machine", "parameters", "figures"), fields);
        assertEquals("store", json.get("benchmark").asText());
        assertTrue(json.get("machine").get("cores").asInt() >= 1);
        assertEquals(2, json.get("parameters").get("writers").get(0).asInt());
        assertTrue(json.get("figures").get("fsyncCeiling").get("fsyncsPerSecond").asLong() > 0, r.out());
        assertTrue(json.get("figures").get("closedLoop2Writers").get("appendsPerSecond").asLong() > 0, r.out());
        assertEquals(json, new ObjectMapper().readTree(Files.readString(out)));
        assertTrue(Files.isDirectory(dir.resolve("scratch")), "a directory given with --dir stays");
    }

    @Test
    void aResultKeepsTheOrderOfItsFiguresAndShowsAnUnmeasuredFigureAsNull() throws Exception {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("p99Ms", null);
        figures.put("acknowledgedWritesPerSecond", 10);
        figures.put("maxMs", 3.5);
        BenchResult result = new BenchResult("example", BenchResult.Machine.probe(), Map.of("writes", 0), figures);
        JsonNode json = new ObjectMapper().readTree(result.toJson());
        List<String> names = new ArrayList<>();
        json.get("figures").fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("p99Ms", "acknowledgedWritesPerSecond", "maxMs"), names);
        assertTrue(json.get("figures").get("p99Ms").isNull());
    }

    @Test
    void jmhUnitsBecomeFigureNamesThatCarryTheUnit() {
        assertEquals("opsPerSecond", StateBenchmark.unitName("ops/s"));
        assertEquals("msPerOp", StateBenchmark.unitName("ms/op"));
        assertEquals("usPerOp", StateBenchmark.unitName("us/op"));
    }

    @Test
    void badBenchmarkArgumentsExitWithTwoAndSayWhatIsWrongBeforeAnyWork() {
        CliRun relay = run("bench", "relay", "--nodes", "1");
        assertEquals(2, relay.exit(), relay.err());
        assertTrue(relay.err().contains("--nodes must be >= 2"), relay.err());
        assertFalse(relay.out().contains("\"benchmark\""), relay.out());

        CliRun state = run("bench", "state", "--include", "(unclosed");
        assertEquals(2, state.exit(), state.err());
        assertTrue(state.err().contains("Unclosed group"), state.err());
    }

    /** A command with only the shared --verbose, saying one formatted and one literal line. */
    @Command(name = "rounds")
    static final class Rounds implements Callable<Integer> {
        @Mixin
        BenchOptions.Verbose verbose;

        @Override
        public Integer call() {
            BenchOptions.Progress progress = verbose.progress();
            progress.say("round %d: %.1f s", 1, 2.5);
            progress.say("100% of 3 nodes up");
            return 0;
        }
    }

    @Test
    void roundLinesGoToStderrWithVerboseAndNowhereWithout() {
        for (boolean verbose : new boolean[] {true, false}) {
            StringWriter err = new StringWriter();
            StringWriter out = new StringWriter();
            CommandLine cli = new CommandLine(new Rounds());
            cli.setErr(new PrintWriter(err));
            cli.setOut(new PrintWriter(out));
            assertEquals(0, verbose ? cli.execute("--verbose") : cli.execute());
            String expected = verbose ? "round 1: 2.5 s" + System.lineSeparator() + "100% of 3 nodes up"
                    + System.lineSeparator() : "";
            assertEquals(expected, err.toString(), "--verbose " + verbose);
            assertEquals("", out.toString(), "stdout carries only the JSON result");
        }
    }
}
