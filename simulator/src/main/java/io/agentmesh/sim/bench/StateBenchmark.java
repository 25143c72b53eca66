package io.agentmesh.sim.bench;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code agentmesh bench state}: the JMH benchmarks of {@link AgentStateBenchmarks}, each in a forked JVM, printed
 * as one {@link BenchResult}. JMH's own progress goes to stderr, so stdout holds only the JSON.
 */
@Command(name = "state", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"JMH micro-benchmarks of the agent state (Automerge document) alone: a local commit, a peer"
                + " change applied, and save, load, first change after a load and reads on a document of --entries"
                + " memory entries. Prints JSON; JMH's progress goes to stderr.",
                "Benchmarks: appendMemory, applyChange, save, load, firstApplyChangeAfterLoad, memoryCountAndLast50,"
                        + " memoryAll, validate."},
        footer = {"", "Example:", "  agentmesh bench state --include 'appendMemory|applyChange'"})
public final class StateBenchmark implements Callable<Integer> {
    @Option(names = "--entries", defaultValue = "100000", description = "Memory entries (one change each) in the"
            + " document that save, load and the reads work on (default ${DEFAULT-VALUE}).")
    int entries;

    @Option(names = "--include", defaultValue = ".*", description = "Regular expression: run only the benchmarks"
            + " whose name it finds (default: all).")
    String include;

    @Option(names = "--forks", description = "JVMs per benchmark (default: 1).")
    Integer forks;

    @Option(names = "--warmup-iterations", description = "Unmeasured iterations (default: each benchmark's own).")
    Integer warmupIterations;

    @Option(names = "--iterations", description = "Measured iterations (default: each benchmark's own).")
    Integer iterations;

    @Option(names = "--iteration-ms", description = "Length of an iteration of the timed benchmarks (default:"
            + " 2000); single-shot ones run one call per iteration.")
    Integer iterationMs;

    @Mixin
    BenchOptions.Output output;

    @Override
    public Integer call() throws Exception {
        if (entries < 1) {
            throw new IllegalArgumentException("--entries must be >= 1");
        }
        Pattern.compile(include); // a bad expression is the user's error, reported before any JVM starts
        BenchResult.Machine machine = BenchResult.Machine.probe();
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(AgentStateBenchmarks.class.getName() + "\\.(" + include + ")$")
                .param("entries", Integer.toString(entries))
                .shouldFailOnError(true);
        if (forks != null) {
            options.forks(forks);
        }
        if (warmupIterations != null) {
            options.warmupIterations(warmupIterations);
        }
        if (iterations != null) {
            options.measurementIterations(iterations);
        }
        if (iterationMs != null) {
            options.warmupTime(TimeValue.milliseconds(iterationMs)).measurementTime(TimeValue.milliseconds(iterationMs));
        }
        Collection<RunResult> results = new Runner(options.build(),
                OutputFormatFactory.createFormatInstance(System.err, VerboseMode.NORMAL)).run();
        if (results.isEmpty()) {
            throw new IllegalArgumentException("--include '" + include + "' matches no benchmark");
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        for (RunResult r : results) {
            String benchmark = r.getParams().getBenchmark();
            figures.put(benchmark.substring(benchmark.lastIndexOf('.') + 1), figure(r.getPrimaryResult()));
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("entries", entries);
        parameters.put("include", include);
        parameters.put("harness", "JMH " + org.openjdk.jmh.util.Version.getPlainVersion());
        output.print(new BenchResult("state", machine, parameters, figures));
        return 0;
    }

    /** A JMH score under a name that carries its unit: {@code msPerOp}, {@code opsPerSecond}. */
    private static Map<String, Object> figure(Result<?> result) {
        String unit = unitName(result.getScoreUnit());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(unit, round(result.getScore()));
        // Half-width of JMH's 99.9% confidence interval; null when there are too few samples to tell.
        double error = result.getScoreError();
        m.put(unit + "Error", Double.isNaN(error) ? null : round(error));
        m.put("samples", result.getSampleCount());
        return m;
    }

    /** JMH's unit as a name: "ops/s" is opsPerSecond, "ms/op" msPerOp, "us/op" usPerOp. */
    static String unitName(String jmhUnit) {
        String[] parts = jmhUnit.split("/");
        StringBuilder name = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].equals("s") ? "second" : parts[i];
            name.append("Per").append(p.substring(0, 1).toUpperCase(Locale.ROOT)).append(p.substring(1));
        }
        return name.toString();
    }

    /** Four significant digits are more than a benchmark's noise allows. */
    private static double round(double value) {
        if (value == 0 || Double.isNaN(value) || Double.isInfinite(value)) {
            return value;
        }
        return new java.math.BigDecimal(value).round(new java.math.MathContext(4)).doubleValue();
    }
}
