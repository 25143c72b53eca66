package io.agentmesh.sim.report;

import io.agentmesh.sim.check.Verdict;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** What {@code sim run} and {@code sim live} print on the terminal about a run's checks. */
public final class ConsoleReport {
    /** Violations printed per checker; the HTML and JSON reports hold all of them. */
    private static final int VIOLATIONS_SHOWN = 5;

    private ConsoleReport() {
    }

    /** The overall verdict, then each checker's verdict with its first few violations. */
    public static void verdicts(boolean passed, List<Verdict> verdicts, PrintWriter out) {
        long passedChecks = verdicts.stream().filter(Verdict::passed).count();
        out.printf(Locale.ROOT, "verdict: %s (%d of %d checks passed)%n", passed ? "PASS" : "FAIL", passedChecks,
                verdicts.size());
        for (Verdict v : verdicts) {
            out.println("  " + v);
            v.violations().stream().limit(VIOLATIONS_SHOWN).forEach(x -> out.println("      " + x));
            if (v.violations().size() > VIOLATIONS_SHOWN) {
                out.println("      ... " + (v.violations().size() - VIOLATIONS_SHOWN) + " more in the report");
            }
        }
    }
}
