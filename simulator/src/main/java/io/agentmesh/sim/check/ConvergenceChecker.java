package io.agentmesh.sim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * After the final heal, within {@code boundMs}, every node that is up holds the same heads, the same durable
 * changes (version vector) and the same AgentState view, and still does at the end of the run.
 */
public final class ConvergenceChecker extends NamedChecker {
    public static final String NAME = "convergence";
    private final long boundMs;

    public ConvergenceChecker(long boundMs) {
        super(NAME);
        this.boundMs = boundMs;
    }

    @Override
    public Verdict check(History h) {
        if (h.finalHealMs() < 0) {
            return fail("the run recorded no final heal");
        }
        List<History.NodeFinal> up = h.finals().values().stream().filter(History.NodeFinal::up).toList();
        if (up.isEmpty()) {
            return fail("no node was up at the end");
        }
        List<String> violations = new ArrayList<>();
        History.NodeFinal ref = up.getFirst();
        for (History.NodeFinal f : up.subList(1, up.size())) {
            if (!f.heads().equals(ref.heads())) {
                violations.add(f.node() + " has heads " + abbreviate(f.heads()) + ", " + ref.node() + " has "
                        + abbreviate(ref.heads()));
            }
            if (!f.vector().equals(ref.vector())) {
                violations.add(f.node() + " holds changes " + diff(f.vector(), ref.vector()) + " relative to "
                        + ref.node());
            }
            if (!Objects.equals(f.viewDigest(), ref.viewDigest())) {
                violations.add(f.node() + " reads a different AgentState than " + ref.node());
            }
            if (f.pendingChanges() > 0) {
                violations.add(f.node() + " still holds " + f.pendingChanges() + " changes waiting for dependencies");
            }
        }
        if (ref.pendingChanges() > 0) {
            violations.add(ref.node() + " still holds " + ref.pendingChanges() + " changes waiting for dependencies");
        }
        long took = h.convergedMs() < 0 ? -1 : h.convergedMs() - h.finalHealMs();
        if (took < 0) {
            violations.addFirst("not converged " + (h.endMs() - h.finalHealMs()) + " ms after the final heal (bound "
                    + boundMs + " ms)");
        } else if (took > boundMs) {
            violations.addFirst("converged only " + took + " ms after the final heal (bound " + boundMs + " ms)");
        }
        if (!violations.isEmpty()) {
            return fail(violations.getFirst(), violations);
        }
        return pass(up.size() + " nodes identical " + took + " ms after the final heal (bound "
                + boundMs + " ms)");
    }

    private static String abbreviate(List<String> heads) {
        return heads.stream().map(s -> s.substring(0, Math.min(8, s.length()))).toList().toString();
    }

    private static String diff(Map<String, Long> mine, Map<String, Long> ref) {
        List<String> out = new ArrayList<>();
        java.util.TreeSet<String> actors = new java.util.TreeSet<>(mine.keySet());
        actors.addAll(ref.keySet());
        for (String a : actors) {
            long x = mine.getOrDefault(a, 0L);
            long y = ref.getOrDefault(a, 0L);
            if (x != y) {
                out.add(a.substring(0, 8) + ":" + x + " vs " + y);
            }
        }
        return out.toString();
    }
}
