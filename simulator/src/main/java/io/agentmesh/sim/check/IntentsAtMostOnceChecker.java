package io.agentmesh.sim.check;

import io.agentmesh.sim.check.ConsensusRecords.Action;
import io.agentmesh.sim.check.ConsensusRecords.AppliedClaim;
import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.ConsensusRecords.ObservationGap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every intent is performed at most once, and only by a node holding a committed claim (DESIGN.md invariant 6),
 * decided from what the outside world recorded ({@link Action}: every executor call, with its fencing token):
 * <ul>
 *   <li>at most one {@code perform} per intent, cluster-wide (a later leader's {@code reconcile} under the same
 *       idempotency key is how a half-done action is finished, not a second performance);</li>
 *   <li>each call's (intent, node, term, index) is a claim some node's journal had applied (so committed) before the
 *       call;</li>
 *   <li>the calling node believed itself leader of the claim's term at the time.</li>
 * </ul>
 * A call that falls in an {@link ObservationGap} of its node is checked for a committed claim only, and counted in
 * the verdict: when the claim was applied and what the node believed then were not observed.
 *
 * <p>Outcomes do not enter here: an {@code uncertain} outcome is how a later leader honestly declines to perform a
 * second time, and whether it was the honest answer is {@link IntentsPerformedChecker}'s question.
 */
public final class IntentsAtMostOnceChecker implements Checker {
    public static final String NAME = "intents-at-most-once";

    @Override
    public String name() {
        return NAME;
    }

    private record ClaimKey(String intentId, String holder, long term, long index) {
    }

    @Override
    public Verdict check(History h) {
        List<Action> actions = h.records(Action.class);
        Map<ClaimKey, AppliedClaim> claims = new TreeMap<>(java.util.Comparator.comparing(ClaimKey::intentId)
                .thenComparing(ClaimKey::holder).thenComparingLong(ClaimKey::term)
                .thenComparingLong(ClaimKey::index));
        Map<String, List<AppliedClaim>> claimsByIntent = new TreeMap<>();
        for (AppliedClaim c : h.records(AppliedClaim.class)) {
            claims.putIfAbsent(new ClaimKey(c.intentId(), c.holder(), c.term(), c.index()), c);
            claimsByIntent.computeIfAbsent(c.intentId(), i -> new ArrayList<>()).add(c);
        }
        Map<String, List<LeaderObservation>> observations = new TreeMap<>();
        for (LeaderObservation o : h.records(LeaderObservation.class)) {
            observations.computeIfAbsent(o.node(), n -> new ArrayList<>()).add(o);
        }
        List<ObservationGap> gaps = h.records(ObservationGap.class);
        List<String> violations = new ArrayList<>();
        Map<String, List<Action>> performs = new TreeMap<>();
        long reconciles = 0;
        List<String> unobserved = new ArrayList<>();
        for (Action a : actions) {
            if (a.isPerform()) {
                performs.computeIfAbsent(a.intentId(), i -> new ArrayList<>()).add(a);
            } else {
                reconciles++;
            }
            String what = a.node() + " called " + a.type() + " on " + a.intentId() + " under (" + a.term() + ", "
                    + a.index() + ") at " + a.atMs() + " ms";
            AppliedClaim claim = claims.get(new ClaimKey(a.intentId(), a.node(), a.term(), a.index()));
            boolean inGap = gaps.stream().anyMatch(g -> g.covers(a.node(), a.order()));
            if (inGap && claim != null) {
                unobserved.add(what);
                continue;
            }
            if (claim == null || claim.order() > a.order()) {
                List<String> known = new ArrayList<>();
                for (AppliedClaim c : claimsByIntent.getOrDefault(a.intentId(), List.of())) {
                    known.add(c.holder() + " (" + c.term() + ", " + c.index() + ") at " + c.atMs() + " ms");
                }
                violations.add(what + " without a committed claim (" + (claim != null ? "its claim committed only at "
                        + claim.atMs() + " ms" : "committed claims on it: " + (known.isEmpty() ? "none" : known))
                        + ")");
            }
            if (inGap) {
                continue;
            }
            LeaderObservation belief = before(observations.getOrDefault(a.node(), List.of()), a.order());
            if (belief == null || !belief.isLeader() || belief.term() != a.term()) {
                violations.add(what + " while it was " + (belief == null ? "not yet observed"
                        : belief.role() + " of term " + belief.term()));
            }
        }
        long doubles = 0;
        for (Map.Entry<String, List<Action>> e : performs.entrySet()) {
            if (e.getValue().size() > 1) {
                doubles++;
                List<String> each = new ArrayList<>();
                e.getValue().forEach(a -> each.add(a.node() + " under (" + a.term() + ", " + a.index() + ") at "
                        + a.atMs() + " ms"));
                violations.addFirst("intent " + e.getKey() + " performed " + e.getValue().size() + " times: "
                        + String.join("; ", each));
            }
        }
        if (!violations.isEmpty()) {
            String summary = doubles > 0 ? doubles + " intents performed more than once" + (violations.size() > doubles
                    ? ", " + (violations.size() - doubles) + " other violations" : "")
                    : violations.size() + " actions without a committed claim held by the leader";
            return Verdict.fail(NAME, summary, violations.size() > 50 ? violations.subList(0, 50) : violations);
        }
        return Verdict.pass(NAME, performs.size() + " intents performed once each (" + reconciles
                + " reconciles), every call under a committed claim held by the leader of its term" + (unobserved
                .isEmpty() ? "" : "; " + unobserved.size() + " calls made while their node was not observed were"
                + " checked for a committed claim only: " + String.join("; ", unobserved.subList(0,
                Math.min(5, unobserved.size())))));
    }

    /** The last observation with an order below {@code order}, or null. */
    private static LeaderObservation before(List<LeaderObservation> list, long order) {
        LeaderObservation out = null;
        for (LeaderObservation o : list) {
            if (o.order() >= order) {
                break;
            }
            out = o;
        }
        return out;
    }
}
