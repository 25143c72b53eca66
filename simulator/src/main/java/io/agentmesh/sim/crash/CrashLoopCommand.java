package io.agentmesh.sim.crash;

import io.agentmesh.sim.bench.BenchOptions;
import io.agentmesh.sim.bench.BenchResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code agentmesh bench crash-loop}: kill -9 loop over the durable store, its result as JSON on stdout. */
@Command(name = "crash-loop", mixinStandardHelpOptions = true,
        description = {
                "Starts a writer JVM on a store, SIGKILLs it after a random time, reopens the store and checks that"
                        + " every acknowledged write is there with its exact bytes and that the store still takes"
                        + " writes. Repeats --kills times and prints the result as JSON. --seed drives the run"
                        + " lengths and the change contents; a failing store is kept in the scratch directory.",
                "Exit status 0 when nothing acknowledged was lost and every store stayed usable, 1 otherwise."})
public final class CrashLoopCommand implements Callable<Integer> {
    @Option(names = "--kills", defaultValue = "1000", description = "SIGKILLs to deliver (default ${DEFAULT-VALUE}).")
    int kills;

    @Mixin
    BenchOptions.SeededRun run;

    @Option(names = "--writers", defaultValue = "4", description = "Concurrent writer threads in the child"
            + " (default ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--window", defaultValue = "64", description = "Appends each writer keeps in flight"
            + " (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--min-run-ms", defaultValue = "50", description = "Shortest child run before the kill,"
            + " from process start (default ${DEFAULT-VALUE}).")
    int minRunMs;

    @Option(names = "--max-run-ms", defaultValue = "1500", description = "Longest child run before the kill"
            + " (default ${DEFAULT-VALUE}).")
    int maxRunMs;

    @Option(names = "--kills-per-store", defaultValue = "10", description = "Kills on one store before starting a"
            + " fresh one (default ${DEFAULT-VALUE}).")
    int killsPerStore;

    @Option(names = "--open-first-fraction", defaultValue = "0", description = "Share of rounds whose run time"
            + " counts from the store being open instead of from process start (default ${DEFAULT-VALUE}).")
    double openFirstFraction;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Path work = run.scratch().create("crash-loop");
        CrashLoop.Result result = CrashLoop.run(new CrashLoop.Config(kills, work, run.seed(), writers, window,
                minRunMs, maxRunMs, killsPerStore, quiet ? null : System.err, false, openFirstFraction));
        run.output().print(result.toBenchResult(machine));
        if (result.passed()) {
            run.scratch().cleanUp(work);
        } else {
            System.err.println("crash-loop: FAILED; evidence kept in " + work);
        }
        return result.passed() ? 0 : 1;
    }
}
