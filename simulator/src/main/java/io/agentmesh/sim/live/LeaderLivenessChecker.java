package io.agentmesh.sim.live;

import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.NamedChecker;
import io.agentmesh.sim.check.Verdict;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A majority that is up and connected elects a leader: no stretch of {@code boundMs} or more without a leader while
 * some majority of the nodes was up (process ready) with no link among them cut throughout. A stretch starts at the
 * later of "this majority formed" and "a leader was last seen"; a node counts as leader only when it belongs to a
 * majority that is up and connected (a leader cut off in a minority does not count). Read from the harness's
 * {@link LiveRecords.Topology} records and the status samples; consecutive failing samples form one violation.
 *
 * <p>Delayed links count as connected. While a direct-only cut is in force, relays may carry the link, so such a
 * pair never makes a majority "connected", and any leader counts.
 *
 * <p>A witness never leads, and it votes only for a server whose log is at least as long as its own
 * (docs/consensus.md, "What it cannot do"). So a majority with a witness in it can elect only while one of its servers
 * has applied at least as far as each of its witnesses (the status samples' applied index, taken in the same round):
 * a server restarted, or cut off, while the other server and the witness committed entries, cannot win until it
 * has them, and with the other server gone it cannot get them. Such a majority's clock starts when one of its
 * servers has caught up; the rounds it was held back are counted in the verdict.
 */
public final class LeaderLivenessChecker extends NamedChecker {
    public static final String NAME = "leader-with-majority";
    private final long boundMs;

    public LeaderLivenessChecker(long boundMs) {
        super(NAME);
        this.boundMs = boundMs;
    }

    @Override
    public Verdict check(History h) {
        List<String> nodes = h.nodes();
        int n = nodes.size();
        int majority = n / 2 + 1;
        List<LiveRecords.Topology> topologies = h.records(LiveRecords.Topology.class);
        if (topologies.isEmpty()) {
            return fail("no topology recorded: nothing to check");
        }
        // Samples by round time.
        Map<Long, List<LiveRecords.StatusSample>> rounds = new TreeMap<>();
        for (LiveRecords.StatusSample s : h.records(LiveRecords.StatusSample.class)) {
            rounds.computeIfAbsent(s.atMs(), t -> new ArrayList<>()).add(s);
        }
        // Per topology: since when each qualifying majority (bit mask of node indexes) qualified without a break.
        List<Map<Integer, Long>> since = new ArrayList<>();
        Map<Integer, Long> previous = Map.of();
        for (LiveRecords.Topology t : topologies) {
            Map<Integer, Long> now = new HashMap<>();
            for (int mask = 1; mask < (1 << n); mask++) {
                if (Integer.bitCount(mask) >= majority && qualifies(mask, t, nodes)) {
                    // a majority that formed (or changed nothing) keeps its start time
                    now.put(mask, previous.getOrDefault(mask, t.atMs()));
                }
            }
            since.add(now);
            previous = now;
        }
        List<ConsensusRecords.Witnesses> recorded = h.records(ConsensusRecords.Witnesses.class);
        int witnessMask = 0;
        for (String w : recorded.isEmpty() ? List.<String>of() : recorded.getLast().nodes()) {
            if (nodes.contains(w)) {
                witnessMask |= 1 << nodes.indexOf(w);
            }
        }
        // Per majority with a witness: since when one of its servers has held the witnesses' log without a break.
        Map<Integer, Long> logHeldSince = new HashMap<>();
        long heldBack = 0;
        List<String> violations = new ArrayList<>();
        long checked = 0;
        long episodeStart = -1;
        long episodeLast = -1;
        String episodeWhat = null;
        long lastLed = 0;
        int ti = 0;
        for (Map.Entry<Long, List<LiveRecords.StatusSample>> round : rounds.entrySet()) {
            long at = round.getKey();
            while (ti + 1 < topologies.size() && topologies.get(ti + 1).atMs() <= at) {
                ti++;
            }
            if (topologies.get(ti).atMs() > at) {
                continue;
            }
            LiveRecords.Topology topo = topologies.get(ti);
            int qualifying = 0;
            for (int mask : since.get(ti).keySet()) {
                qualifying |= mask;
                if ((mask & witnessMask) != 0) {
                    if (serverHoldsWitnessLog(mask, witnessMask, round.getValue(), nodes)) {
                        logHeldSince.putIfAbsent(mask, at);
                    } else {
                        logHeldSince.remove(mask);
                    }
                }
            }
            int members = qualifying;
            boolean anyLeader = !topo.directCuts().isEmpty();
            boolean led = round.getValue().stream().anyMatch(s -> s.up() && s.isLeader()
                    && (anyLeader || (members & (1 << nodes.indexOf(s.node()))) != 0));
            String failing = null;
            if (led) {
                lastLed = at;
            } else {
                int longest = 0;
                long longestFrom = Long.MAX_VALUE;
                boolean held = false;
                for (Map.Entry<Integer, Long> e : since.get(ti).entrySet()) {
                    long from = Math.max(e.getValue(), lastLed);
                    if ((e.getKey() & witnessMask) != 0) {
                        Long logHeld = logHeldSince.get(e.getKey());
                        if (logHeld == null) {
                            held |= at - from >= boundMs;
                            continue;
                        }
                        from = Math.max(from, logHeld);
                    }
                    if (at - from >= boundMs && (from < longestFrom
                            || (from == longestFrom && Integer.bitCount(e.getKey()) > Integer.bitCount(longest)))) {
                        longest = e.getKey();
                        longestFrom = from;
                    }
                }
                if (longest != 0) {
                    failing = names(longest, nodes) + " up and connected since " + since.get(ti).get(longest)
                            + " ms, no leader since " + lastLed + " ms";
                } else if (held) {
                    heldBack++;
                }
            }
            if (!since.get(ti).isEmpty()) {
                checked++;
            }
            if (failing != null) {
                if (episodeStart < 0) {
                    episodeStart = at;
                    episodeWhat = failing;
                }
                episodeLast = at;
            } else if (episodeStart >= 0) {
                violations.add(describe(episodeStart, episodeLast, episodeWhat));
                episodeStart = -1;
            }
        }
        if (episodeStart >= 0) {
            violations.add(describe(episodeStart, episodeLast, episodeWhat));
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " stretches of " + boundMs + " ms or more without a leader"
                    + " although a majority was up and connected; first: " + violations.getFirst(), violations);
        }
        return pass("never " + boundMs + " ms without a leader while a majority was up and connected ("
                + checked + " status rounds with a connected majority" + (witnessMask == 0 ? ""
                : "; " + heldBack + " rounds past the bound excused: the majority's servers lacked its witness's"
                + " log") + ")");
    }

    /**
     * Whether some server (non-witness) of {@code mask} has applied at least as far as every witness of it, by this
     * round's samples. A server that did not answer holds nothing; a witness that did not answer asks for nothing.
     */
    private static boolean serverHoldsWitnessLog(int mask, int witnessMask, List<LiveRecords.StatusSample> round,
                                                 List<String> nodes) {
        long witnessApplied = -1;
        long best = -2;
        for (LiveRecords.StatusSample s : round) {
            int i = nodes.indexOf(s.node());
            if (i < 0 || (mask & (1 << i)) == 0) {
                continue;
            }
            if ((witnessMask & (1 << i)) != 0) {
                witnessApplied = Math.max(witnessApplied, s.up() ? s.appliedIndex() : -1);
            } else if (s.up() && s.appliedIndex() >= 0) {
                best = Math.max(best, s.appliedIndex());
            }
        }
        return witnessApplied < 0 || best >= witnessApplied;
    }

    private static String describe(long from, long to, String what) {
        return "no leader from " + from + " ms to " + to + " ms: " + what;
    }

    private static boolean qualifies(int mask, LiveRecords.Topology t, List<String> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            if ((mask & (1 << i)) == 0) {
                continue;
            }
            if (!t.up().contains(nodes.get(i))) {
                return false;
            }
            for (int j = i + 1; j < nodes.size(); j++) {
                String link = LiveRecords.Topology.link(nodes.get(i), nodes.get(j));
                if ((mask & (1 << j)) != 0 && (t.cuts().contains(link) || t.directCuts().contains(link))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String names(int mask, List<String> nodes) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if ((mask & (1 << i)) != 0) {
                out.add(nodes.get(i));
            }
        }
        return "{" + String.join(",", out) + "}";
    }
}
