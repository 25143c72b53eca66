package io.agentmesh.sim.cli;

import io.agentmesh.sim.bench.BackupBenchmark;
import io.agentmesh.sim.bench.AgentBenchmark;
import io.agentmesh.sim.bench.FailoverBenchmark;
import io.agentmesh.sim.bench.LlmBenchmark;
import io.agentmesh.sim.bench.RelayBenchmark;
import io.agentmesh.sim.bench.ReplicationBenchmark;
import io.agentmesh.sim.bench.StateBenchmark;
import io.agentmesh.sim.bench.StoreBenchmark;
import io.agentmesh.sim.bench.WorkspaceBenchmark;
import io.agentmesh.sim.bench.WriteBenchmark;
import io.agentmesh.sim.crash.CrashLoopCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;

/**
 * Entry point of the simulator jar: {@code agentmesh sim ...} and {@code agentmesh bench ...}. Errors print one line
 * (what went wrong), never a stack trace, unless AGENTMESH_DEBUG is set.
 */
@Command(name = "agentmesh", mixinStandardHelpOptions = true, version = "agentmesh 0.1.0",
        description = "Simulate a mesh under faults, and run benchmarks.",
        subcommands = {SimCommand.class, CommandLine.HelpCommand.class})
public final class SimMain {
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The command tree, for tests and for embedding. */
    public static CommandLine commandLine() {
        Quiet.nodeLogs();
        CommandLine cli = new CommandLine(new SimMain());
        cli.addSubcommand("bench", new CommandLine(new Bench()));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("agentmesh: " + (e instanceof IllegalArgumentException
                    || e instanceof java.io.IOException ? e.getMessage() : e.toString()));
            if (System.getenv("AGENTMESH_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli;
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Benchmarks; each prints one JSON result (benchmark, machine, parameters, figures).",
            subcommands = {CrashLoopCommand.class, StoreBenchmark.class, WriteBenchmark.class,
                    ReplicationBenchmark.class, RelayBenchmark.class, FailoverBenchmark.class, StateBenchmark.class,
                    WorkspaceBenchmark.class, AgentBenchmark.class, LlmBenchmark.class, BackupBenchmark.class,
                    io.agentmesh.sim.bench.WalletBenchmark.class, io.agentmesh.sim.bench.ReadBenchmark.class,
                    io.agentmesh.sim.bench.NodeThreadBenchmark.class, io.agentmesh.sim.bench.MemoryBenchmark.class,
                    CommandLine.HelpCommand.class})
    static final class Bench {
    }
}
