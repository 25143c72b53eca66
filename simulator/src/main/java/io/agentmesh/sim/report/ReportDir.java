package io.agentmesh.sim.report;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --out}, the directory a run's JSON result and HTML report are written to, as a picocli mixin shared by
 * {@code sim run} and {@code sim live}, so both put their reports in the same place by default.
 */
public final class ReportDir {
    /** Under the temporary directory, not the current one: a run must not litter wherever it was started. */
    public static final String DEFAULT_DIR = "${sys:java.io.tmpdir}/agentmesh-sim-results";

    @Option(names = {"--results-dir", "--out"}, paramLabel = "DIR", defaultValue = DEFAULT_DIR,
            description = "Directory for the JSON result and the HTML report (default ${DEFAULT-VALUE}; the run"
                    + " prints the report's path).")
    Path dir;

    public Path path() {
        return dir;
    }
}
