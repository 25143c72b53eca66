package io.agentmesh.sim.live;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/** One line per fault and phase of a live run, stamped with the run time; silent without a writer. */
final class LiveProgress {
    private final PrintWriter out;
    private final LongSupplier nowMs;

    LiveProgress(PrintWriter out, LongSupplier nowMs) {
        this.out = out;
        this.nowMs = nowMs;
    }

    void say(String line) {
        if (out != null) {
            synchronized (out) {
                out.printf(Locale.ROOT, "%8.1fs  %s%n", nowMs.getAsLong() / 1000.0, line);
                out.flush();
            }
        }
    }
}
