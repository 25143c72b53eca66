package io.agentmesh.sim.check;

import io.agentmesh.sim.check.AgentRecords.Life;
import io.agentmesh.sim.check.AgentRecords.Pause;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Never two agent processes alive at once beyond the documented bound (docs/agents.md, "The start bound" and "The
 * agent-overlap checker").
 *
 * <p>The bound is 0 ms: a new leader waits P + G + margin after its election, by which time the old leader has
 * stepped down and its process is dead, and a killed node's process is dead G + the watchdog's notice after the kill,
 * well before a new leader is even elected. The one thing the bound rests on that the simulator breaks on purpose is
 * the old node's thread running on time: a {@code stall} fault can hold it inside a blocking store call, and every
 * millisecond it is held delays its step-down, hence its SIGTERM, by a millisecond. So two lives may overlap by at
 * most the total length of the pauses of the superseded life's node (the older fence) that began before the overlap
 * ended (the pause's
 * length, not more: after it the node steps down on its next check, and the margin covers that check's P). The fence
 * covers what the time bound does not.
 */
public final class AgentOverlapChecker extends NamedChecker {
    public static final String NAME = "agent-overlap";

    public AgentOverlapChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<Life> lives = new ArrayList<>(h.records(Life.class));
        if (lives.isEmpty()) {
            return pass("no agent process ran: nothing to check");
        }
        lives.sort(Comparator.comparingLong(Life::startMs));
        List<Pause> pauses = h.records(Pause.class);
        long runEnd = h.endMs();
        List<String> violations = new ArrayList<>();
        long pausedOverlaps = 0;
        long longestAllowed = 0;
        for (int i = 0; i < lives.size(); i++) {
            Life older = lives.get(i);
            for (int j = i + 1; j < lives.size(); j++) {
                Life newer = lives.get(j);
                if (newer.startMs() >= older.endOr(runEnd)) {
                    break; // sorted by start: no later life can overlap this one either
                }
                long overlapEnd = Math.min(older.endOr(runEnd), newer.endOr(runEnd));
                long overlapMs = overlapEnd - newer.startMs();
                if (overlapMs <= 0) {
                    continue;
                }
                // The run that should have been gone is the superseded one: the older fence, which may have started
                // second (a leader whose paused thread starts its process before it sees its step-down).
                Life stale = compareFences(older.fence(), newer.fence()) <= 0 ? older : newer;
                // From the first of the two starts: a stale life that started second was decided on its node thread
                // when a pause there ended, and its process comes up a spawn's latency after that, so its pause may
                // end just before the stale life's own start (seed 44: the pause ends at 30,753, the spawn at 30,776).
                long allowedMs = allowance(pauses, stale, older.startMs(), overlapEnd);
                if (overlapMs > allowedMs) {
                    violations.add("two agent processes alive at once for " + overlapMs + " ms (allowed " + allowedMs
                            + " ms of node-thread pauses on " + stale.node() + ", whose run is superseded): " + older
                            + " and " + newer);
                } else {
                    pausedOverlaps++;
                    longestAllowed = Math.max(longestAllowed, overlapMs);
                }
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " overlaps of agent processes beyond the bound",
                    violations.size() > 50 ? violations.subList(0, 50) : violations);
        }
        return pass(lives.size() + " agent process lives, none alive at once with another"
                + (pausedOverlaps == 0 ? "" : " except " + pausedOverlaps + " overlaps within a pause of the older"
                + " one's node thread (longest " + longestAllowed + " ms)"));
    }

    /** Orders fences "term.index" by term, then index; text that is not a fence sorts by itself. */
    static int compareFences(String a, String b) {
        long[] x = parse(a);
        long[] y = parse(b);
        if (x == null || y == null) {
            return a.compareTo(b);
        }
        int byTerm = Long.compare(x[0], y[0]);
        return byTerm != 0 ? byTerm : Long.compare(x[1], y[1]);
    }

    private static long[] parse(String fence) {
        int dot = fence.indexOf('.');
        try {
            return dot < 0 ? null : new long[] {Long.parseLong(fence.substring(0, dot)),
                    Long.parseLong(fence.substring(dot + 1))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The pauses of {@code stale}'s node that were still on after {@code sinceMs} (the first of the two lives' starts)
     * and began before {@code untilMs} (the end of the overlap), in total.
     */
    static long allowance(List<Pause> pauses, Life stale, long sinceMs, long untilMs) {
        long total = 0;
        for (Pause p : pauses) {
            if (p.node().equals(stale.node()) && p.startMs() < untilMs && p.endMs() > sinceMs) {
                total += p.lengthMs();
            }
        }
        return total;
    }
}
