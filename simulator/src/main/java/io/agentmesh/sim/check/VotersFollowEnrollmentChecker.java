package io.agentmesh.sim.check;

import io.agentmesh.sim.check.ConsensusRecords.ExpectedVoters;
import io.agentmesh.sim.check.ConsensusRecords.MembersFinal;
import io.agentmesh.sim.check.ConsensusRecords.MembersSettled;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The Raft voters follow enrollment: once the faults end, every running consensus node names the same voters, and
 * they are the enrolled voter-role nodes (the first seven, minus removed ones). A node enrolled while the group ran
 * must end up voting, and a removed one must not; a group stuck half way through a membership change fails here.
 */
public final class VotersFollowEnrollmentChecker extends NamedChecker {
    public static final String NAME = "voters-follow-enrollment";

    public VotersFollowEnrollmentChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<ExpectedVoters> expected = h.records(ExpectedVoters.class);
        if (expected.isEmpty()) {
            return fail("the run recorded no expected voters: nothing to check");
        }
        TreeSet<String> want = new TreeSet<>(expected.getLast().voters());
        List<String> violations = new ArrayList<>();
        int checked = 0;
        for (MembersFinal f : h.records(MembersFinal.class)) {
            if (!f.up() || !want.contains(f.node())) {
                continue;
            }
            checked++;
            TreeSet<String> have = new TreeSet<>(f.voters());
            if (!have.equals(want)) {
                violations.add(f.node() + " (" + f.role().toLowerCase() + ") ends with voters " + have + ", expected "
                        + want);
            }
        }
        if (checked == 0) {
            return fail("no expected voter was running at the end");
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " of " + checked + " running voters disagree with"
                    + " enrollment", violations);
        }
        List<MembersSettled> settled = h.records(MembersSettled.class);
        String when = settled.isEmpty() || h.finalHealMs() < 0 ? ""
                : " " + (settled.getLast().atMs() - h.finalHealMs()) + " ms after the final heal";
        return pass(checked + " running voters name the " + want.size() + " enrolled voters " + want
                + when);
    }
}
