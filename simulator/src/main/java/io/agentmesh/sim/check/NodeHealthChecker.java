package io.agentmesh.sim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * No honest node hit a fatal error (a store refusing its writes), threw out of an event handler, sent a message the
 * wire codec could not round-trip, or logged an ERROR: from the consensus library in a simulated run ({@link
 * #LIBRARY_ERROR}), from anything in a live run ({@link #LOG_ERROR}). A library ERROR listed in {@link
 * KnownLibraryErrors} is counted, not failed.
 */
public final class NodeHealthChecker implements Checker {
    public static final String NAME = "node-health";
    /** Problem kind: the consensus library logged an ERROR on a simulated node. */
    public static final String LIBRARY_ERROR = "library-error";
    /** Problem kind: a live node's log has an ERROR line. */
    public static final String LOG_ERROR = "log-error";

    private final List<KnownLibraryErrors.Known> known;

    /** With the library ERRORs proven harmless ({@link KnownLibraryErrors#all()}). */
    public NodeHealthChecker() {
        this(KnownLibraryErrors.all());
    }

    /** With {@code known} as the library ERRORs that are counted, not failed. */
    public NodeHealthChecker(List<KnownLibraryErrors.Known> known) {
        this.known = List.copyOf(known);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Verdict check(History h) {
        List<History.Problem> problems = new ArrayList<>();
        Map<String, Integer> explained = new TreeMap<>();
        for (History.Problem p : h.problems()) {
            Optional<KnownLibraryErrors.Known> harmless = p.kind().equals(LIBRARY_ERROR) || p.kind().equals(LOG_ERROR)
                    ? KnownLibraryErrors.explain(known, p.detail()) : Optional.empty();
            if (harmless.isPresent()) {
                explained.merge(harmless.get().message(), 1, Integer::sum);
            } else {
                problems.add(p);
            }
        }
        String counted = explained.isEmpty() ? "" : "; known harmless library ERRORs " + explained;
        if (!problems.isEmpty()) {
            History.Problem first = problems.getFirst();
            return Verdict.fail(NAME, problems.size() + " problems, first: " + first.kind() + " on " + first.node()
                            + ": " + first.detail() + counted,
                    problems.stream().limit(50).map(p -> p.atMs() + " ms " + p.node() + " " + p.kind() + ": "
                            + p.detail()).toList());
        }
        return Verdict.pass(NAME, "no fatal error, uncaught exception, codec failure or library ERROR" + counted);
    }
}
