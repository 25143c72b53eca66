package io.agentmesh.sim.check;

import io.agentmesh.sim.check.DurabilityRecords.CatchUpDone;
import io.agentmesh.sim.check.DurabilityRecords.CatchUpFailed;
import io.agentmesh.sim.check.DurabilityRecords.MajorityAck;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Majority-durable writes keep their promise, and catch-up from a majority finds them:
 * <ol>
 *   <li>when a node acknowledged a write as majority-durable, the disks of a majority of the voters it counted over
 *       held the change (a witness holds nothing, so it never helps), and that voter set was not empty;</li>
 *   <li>when a catch-up from a majority completed on a node, its disk held every change acknowledged as
 *       majority-durable anywhere before the catch-up started.</li>
 * </ol>
 * A run without majority-durable writes or catch-ups passes with nothing to check. Catch-ups that time out are
 * allowed (a minority cannot catch up) and only counted.
 */
public final class MajorityDurableChecker extends NamedChecker {
    public static final String NAME = "majority-durable";

    public MajorityDurableChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<MajorityAck> acks = h.records(MajorityAck.class);
        List<CatchUpDone> catchUps = h.records(CatchUpDone.class);
        int failedCatchUps = h.records(CatchUpFailed.class).size();
        if (acks.isEmpty() && catchUps.isEmpty()) {
            return pass("no majority-durable write or catch-up in this run: nothing to check");
        }
        List<String> violations = new ArrayList<>();
        for (MajorityAck a : acks) {
            Set<String> voters = new TreeSet<>(a.voters());
            long holding = a.holders().stream().filter(voters::contains).count();
            int majority = voters.size() / 2 + 1;
            if (voters.isEmpty() || holding < majority) {
                violations.add("write " + a.writeId() + " (change " + shortActor(a.actor()) + "/" + a.seq()
                        + ") was acknowledged as majority-durable by " + a.node() + " at " + a.ackedMs()
                        + " ms when the disks of " + holding + " of its " + voters.size() + " voters " + voters
                        + " held it (" + majority + " needed; held by " + a.holders() + ")");
            }
        }
        long checkedPairs = 0;
        for (CatchUpDone c : catchUps) {
            for (MajorityAck a : acks) {
                if (a.ackedMs() >= c.askedMs()) {
                    continue; // acknowledged after the voters were asked: not promised to this catch-up
                }
                checkedPairs++;
                if (c.vector().getOrDefault(a.actor(), 0L) < a.seq()) {
                    violations.add("catch-up on " + c.node() + " (asked at " + c.askedMs() + " ms, done at "
                            + c.doneMs() + " ms) completed without write " + a.writeId() + " (change "
                            + shortActor(a.actor()) + "/" + a.seq() + "), acknowledged as majority-durable by "
                            + a.node() + " at " + a.ackedMs() + " ms (counted over voters " + new TreeSet<>(a.voters())
                            + ", held by " + a.holders() + ")");
                }
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " broken majority-durability promises", violations.size() > 50
                    ? violations.subList(0, 50) : violations);
        }
        return pass(acks.size() + " majority-durable writes each held by a majority of voters when acknowledged; "
                + catchUps.size() + " completed catch-ups each held every earlier one (" + checkedPairs
                + " pairs checked); " + failedCatchUps + " catch-ups timed out");
    }

    private static String shortActor(String hex) {
        return hex.length() > 8 ? hex.substring(0, 8) : hex;
    }
}
