package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.agentmesh.node.net.RelayBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Mesh formation through relays, and round trip and throughput relayed versus direct. Prints JSON. */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = "Benchmark mesh formation through relays and relayed vs direct latency and throughput.")
public final class RelayBench implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "5", description = "Nodes (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs; medians are reported (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--round-trips", defaultValue = "2000", description = "Round trips per run (default ${DEFAULT-VALUE}).")
    int roundTrips;

    @Option(names = "--seconds", defaultValue = "2", description = "Seconds of bulk transfer per run (default ${DEFAULT-VALUE}).")
    int seconds;

    @Override
    public Integer call() throws Exception {
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(RelayBenchmark.run(nodes, runs, roundTrips, seconds)));
        return 0;
    }
}
