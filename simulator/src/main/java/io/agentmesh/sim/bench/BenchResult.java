package io.agentmesh.sim.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.lang.management.ManagementFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What every benchmark prints: one JSON object with the benchmark's name, the machine it ran on, the parameters it
 * ran with and the figures it measured. Figure names carry their unit ({@code p99AckMs}, {@code writesPerSecond});
 * a figure may be a nested object (one per scenario or mesh size) or null when nothing was measured. Maps keep their
 * insertion order, so the JSON reads in the order the benchmark measured.
 */
@JsonPropertyOrder({"benchmark", "machine", "parameters", "figures"})
public record BenchResult(String benchmark, Machine machine, Map<String, Object> parameters,
                          Map<String, Object> figures) {
    public BenchResult {
        Objects.requireNonNull(benchmark, "benchmark");
        Objects.requireNonNull(machine, "machine");
        // LinkedHashMap, not Map.copyOf: order matters to the reader and a figure may be null.
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    }

    /** The result as indented JSON. */
    public String toJson() {
        try {
            return JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a benchmark result holds a value JSON cannot show: " + e.getMessage(), e);
        }
    }

    /**
     * The machine a benchmark ran on. Figures taken on a busy machine are pessimistic, so the 1-minute load
     * average is read before the run starts: {@code loaded} when it is at least half the cores (on the 2-core
     * machine of docs/benchmarks.md, one core's worth of someone else's work). Both are null where the platform
     * does not report a load average.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Machine(int cores, long memoryBytes, String os, String arch, String java, Double loadAverageAtStart,
                          Boolean loaded) {

        /** The machine this JVM runs on, now. */
        public static Machine probe() {
            var os = ManagementFactory.getOperatingSystemMXBean();
            int cores = Runtime.getRuntime().availableProcessors();
            double load = os.getSystemLoadAverage();
            long memory = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : -1;
            Double loadAverage = load < 0 ? null : Math.round(load * 100) / 100.0;
            return new Machine(cores, memory, System.getProperty("os.name") + " " + System.getProperty("os.version"),
                    System.getProperty("os.arch"), System.getProperty("java.vendor") + " "
                    + System.getProperty("java.version"), loadAverage,
                    loadAverage == null ? null : loadAverage >= cores / 2.0);
        }
    }
}
