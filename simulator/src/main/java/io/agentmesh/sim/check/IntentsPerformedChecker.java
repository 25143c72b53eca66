package io.agentmesh.sim.check;

import io.agentmesh.sim.check.ConsensusRecords.Action;
import io.agentmesh.sim.check.ConsensusRecords.AppliedClaim;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;
import io.agentmesh.sim.check.ConsensusRecords.IntentsSettled;
import io.agentmesh.sim.check.ConsensusRecords.OutOfReach;
import io.agentmesh.sim.check.ConsensusRecords.OutcomeSeen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every intent is performed once a majority is connected long enough: within {@code boundMs} of the final heal
 * (every fault over, every node running), every running node shows an outcome for every intent, both those whose
 * request a node acknowledged and any other that reached a document. Each outcome is the same on every node. A
 * "succeeded" outcome names a call the outside world saw (same node, same fencing token), so no success is made up
 * and none is lost; any other outcome says nothing reached the outside world for sure, so it must name such a call
 * or at least a committed claim held by the node that reported it (the live world records only what a job did, not
 * a reconcile that decided to do nothing).
 *
 * <p>An {@code uncertain} outcome (the world may or may not have seen the action) is honest, not a lost intent, with
 * one exception: a node that performed the intent and then stayed up and in reach until its claim was taken over
 * reports what it did, so its intent must not end uncertain under a later claim. The new leader takes a claim with a
 * start mark over only once its holder is out of reach or has not reported within a wait (ActionCoordinator) far
 * beyond the executors' latency. "Up and in reach" is judged over the window from the call to the first commit of a
 * newer claim on the intent (the take-over; the end of the run when none was recorded), from every piece of evidence
 * the run has: the node crashed or failed, one of its links was cut (at the call or later in the window), a fault
 * the run does not track per node (disk stall, loss, delay, skew) was under way, or an {@link OutOfReach} record (a
 * live run's status samples: the node did not answer, or the node that took the claim over showed its link down)
 * overlaps the window. A fault after the take-over excuses nothing: the leader had already decided.
 *
 * <p>Times of different nodes are compared here (the call on the performer's clock, the take-over on the new
 * holder's, faults on the harness's). A simulated run has one clock; the processes of a live run share the machine's
 * wall clock, so the comparison is good to a few milliseconds, far below the failure detector's 2 s bound.
 */
public final class IntentsPerformedChecker implements Checker {
    public static final String NAME = "intents-performed";
    private static final String SUCCEEDED = "succeeded";
    private static final String UNCERTAIN = "uncertain";
    /** Fault kinds tracked per node elsewhere (node events, reachability); any other kind may silence a holder. */
    private static final Set<String> PER_NODE_FAULTS = Set.of("partition", "crash");
    private final long boundMs;

    public IntentsPerformedChecker(long boundMs) {
        this.boundMs = boundMs;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Whether {@code a.node()} was up, with every link, from the call until {@code untilMs} (when its claim was taken
     * over), with no fault that could have silenced it (a disk stall, loss, delay) under way meanwhile and no
     * evidence that it was out of reach for {@code takers} (the nodes that took its claim over) or for everyone.
     */
    static boolean stayedUpAndInReach(History h, Action a, long untilMs, Set<String> takers) {
        List<History.NodeEvent> events = h.nodeEvents().stream().filter(e -> e.node().equals(a.node())).toList();
        for (int i = 0; i < events.size(); i++) {
            History.NodeEvent e = events.get(i);
            // A crash ends the process that made the call when the node was not started again between the two: a
            // live harness records a kill just before it sends it, and the process may act in between.
            boolean endedTheCaller = nextStartMs(events, i) > a.atMs();
            // A failure on its own is noticed late (a live run's poller sees the process gone up to a round later),
            // and fails the run's node-health check anyway.
            if (e.kind() == History.NodeEventKind.FATAL && e.atMs() >= a.atMs()
                    || e.kind() == History.NodeEventKind.CRASH && endedTheCaller && e.atMs() <= untilMs) {
                return false;
            }
        }
        int cutAtCall = 0;
        for (History.Reachability r : h.reachability()) {
            if (!r.node().equals(a.node())) {
                continue;
            }
            if (r.atMs() <= a.atMs()) {
                cutAtCall = r.unreachablePeers();
            } else if (r.atMs() <= untilMs && r.unreachablePeers() > 0) {
                return false;
            }
        }
        if (cutAtCall > 0) {
            return false;
        }
        for (History.Fault f : h.faults()) {
            if (!PER_NODE_FAULTS.contains(f.kind()) && f.endMs() >= a.atMs() && f.startMs() <= untilMs) {
                return false;
            }
        }
        for (OutOfReach o : h.records(OutOfReach.class)) {
            if (o.node().equals(a.node()) && (o.seenBy() == null || takers.contains(o.seenBy()))
                    && o.toMs() >= a.atMs() && o.fromMs() <= untilMs) {
                return false;
            }
        }
        return true;
    }

    /** When the node of {@code events} (its own, in time order) was started after {@code events.get(i)}. */
    private static long nextStartMs(List<History.NodeEvent> events, int i) {
        for (int j = i + 1; j < events.size(); j++) {
            History.NodeEventKind k = events.get(j).kind();
            if (k == History.NodeEventKind.START || k == History.NodeEventKind.RESTART) {
                return events.get(j).atMs();
            }
        }
        return Long.MAX_VALUE;
    }

    /** When a claim newer than {@code a}'s on its intent was first seen committed, or -1 when none was recorded. */
    private static long takenOverAtMs(List<AppliedClaim> claims, Action a) {
        long at = -1;
        for (AppliedClaim c : claims) {
            if (newer(c, a) && (at < 0 || c.atMs() < at)) {
                at = c.atMs();
            }
        }
        return at;
    }

    private static boolean newer(AppliedClaim c, Action a) {
        return c.term() > a.term() || c.term() == a.term() && c.index() > a.index();
    }

    @Override
    public Verdict check(History h) {
        List<IntentsFinal> up = h.records(IntentsFinal.class).stream().filter(IntentsFinal::up).toList();
        if (up.isEmpty()) {
            return Verdict.fail(NAME, "no node was up at the end to show outcomes", List.of());
        }
        Set<String> acknowledged = new TreeSet<>();
        for (History.Write w : h.writes()) {
            if (w.kind().equals("intent") && w.acknowledged()) {
                acknowledged.add(w.key());
            }
        }
        Set<String> all = new TreeSet<>(acknowledged);
        up.forEach(f -> all.addAll(f.intents()));
        Set<String> acted = new TreeSet<>();
        Map<String, List<Action>> performs = new TreeMap<>();
        for (Action a : h.records(Action.class)) {
            acted.add(a.intentId() + "\u0000" + a.node() + "\u0000" + a.term() + "\u0000" + a.index());
            if (a.isPerform()) {
                performs.computeIfAbsent(a.intentId(), i -> new ArrayList<>()).add(a);
            }
        }
        Set<String> held = new TreeSet<>();
        Map<String, List<AppliedClaim>> claimsByIntent = new TreeMap<>();
        for (AppliedClaim c : h.records(AppliedClaim.class)) {
            held.add(c.intentId() + "\u0000" + c.holder() + "\u0000" + c.term() + "\u0000" + c.index());
            claimsByIntent.computeIfAbsent(c.intentId(), i -> new ArrayList<>()).add(c);
        }
        List<String> violations = new ArrayList<>();
        long lost = 0;
        Map<String, Long> statuses = new TreeMap<>();
        for (String id : all) {
            List<String> missing = new ArrayList<>();
            List<String> noOutcome = new ArrayList<>();
            Set<OutcomeSeen> seen = new java.util.LinkedHashSet<>();
            for (IntentsFinal f : up) {
                if (!f.intents().contains(id)) {
                    missing.add(f.node());
                }
                OutcomeSeen o = f.outcomes().get(id);
                if (o == null) {
                    noOutcome.add(f.node());
                } else {
                    seen.add(o);
                }
            }
            if (!missing.isEmpty() || !noOutcome.isEmpty()) {
                lost++;
                violations.add("intent " + id + (acknowledged.contains(id) ? " (request acknowledged)" : "")
                        + (missing.isEmpty() ? "" : " unknown on " + missing)
                        + (noOutcome.isEmpty() ? "" : " has no outcome on " + noOutcome));
            }
            if (seen.size() > 1) {
                violations.add("intent " + id + " has different outcomes on different nodes: " + seen);
            }
            for (OutcomeSeen o : seen) {
                statuses.merge(o.status(), 1L, Long::sum);
                String key = id + "\u0000" + o.performedBy() + "\u0000" + o.term() + "\u0000" + o.index();
                if (o.status().equals(SUCCEEDED) ? !acted.contains(key) : !acted.contains(key) && !held.contains(key)) {
                    violations.add("intent " + id + " has an outcome '" + o.status() + "' by " + o.performedBy()
                            + " under (" + o.term() + ", " + o.index() + ") that the outside world never saw performed"
                            + (o.status().equals(SUCCEEDED) ? "" : " and no journal holds as a claim"));
                }
                if (o.status().equals(UNCERTAIN)) {
                    List<AppliedClaim> claims = claimsByIntent.getOrDefault(id, List.of());
                    for (Action a : performs.getOrDefault(id, List.of())) {
                        if (a.term() == o.term() && a.index() == o.index()) {
                            continue;
                        }
                        long takenOver = takenOverAtMs(claims, a);
                        Set<String> takers = new TreeSet<>();
                        claims.stream().filter(c -> newer(c, a)).forEach(c -> takers.add(c.holder()));
                        if (stayedUpAndInReach(h, a, takenOver < 0 ? h.endMs() : takenOver, takers)) {
                            violations.add("intent " + id + " ended uncertain under (" + o.term() + ", " + o.index()
                                    + ") by " + o.performedBy() + ", but " + a.node() + " performed it under ("
                                    + a.term() + ", " + a.index() + ") at " + a.atMs() + " ms and stayed up and in"
                                    + " reach " + (takenOver < 0 ? "to the end" : "until " + takers + " took its"
                                    + " claim over at " + takenOver + " ms") + ": its result was lost");
                        }
                    }
                }
            }
        }
        List<IntentsSettled> settled = h.records(IntentsSettled.class);
        long took = settled.isEmpty() || h.finalHealMs() < 0 ? -1 : settled.getFirst().atMs() - h.finalHealMs();
        if (!all.isEmpty()) {
            if (took < 0) {
                violations.addFirst("not every running node showed every outcome " + (h.endMs() - h.finalHealMs())
                        + " ms after the final heal (bound " + boundMs + " ms)");
            } else if (took > boundMs) {
                violations.addFirst("every outcome was on every node only " + took + " ms after the final heal (bound "
                        + boundMs + " ms)");
            }
        }
        if (!violations.isEmpty()) {
            String summary = lost > 0 ? lost + " of " + all.size() + " intents without an outcome on every node"
                    : violations.getFirst();
            return Verdict.fail(NAME, summary, violations.size() > 50 ? violations.subList(0, 50) : violations);
        }
        return Verdict.pass(NAME, all.size() + " intents (" + acknowledged.size() + " acknowledged requests) with"
                + " the same outcome on all " + up.size() + " nodes " + (all.isEmpty() ? "" : took + " ms after the"
                + " final heal (bound " + boundMs + " ms); ") + "outcomes " + statuses);
    }
}
