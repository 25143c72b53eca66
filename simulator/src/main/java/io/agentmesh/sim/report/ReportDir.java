package io.agentmesh.sim.report;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --out}, the directory a run's JSON result and HTML report are written to, as a picocli mixin shared by
 * {@code sim run} and {@code sim live}, so both put their reports in the same place by default.
 */
public final class ReportDir {
    @Option(names = "--out", defaultValue = "sim-results", description = "Directory for the JSON result and the"
            + " HTML report (default ${DEFAULT-VALUE}).")
    Path dir;

    public Path path() {
        return dir;
    }
}
