package io.agentmesh.sim.live;

import picocli.CommandLine.Option;

/**
 * {@code --heap}, the heap of each node process a live cluster starts, as a picocli mixin: {@code sim live} and
 * {@code bench failover} both start such clusters and take the option with the same default.
 */
public final class NodeHeap {
    @Option(names = "--heap", defaultValue = "256m", description = "Heap of each node process (default"
            + " ${DEFAULT-VALUE}).")
    String heap;

    /** As given, e.g. {@code 256m}. */
    public String value() {
        return heap;
    }

    /** The JVM option that sets it, e.g. {@code -Xmx256m}. */
    public String jvmOption() {
        return "-Xmx" + heap;
    }
}
