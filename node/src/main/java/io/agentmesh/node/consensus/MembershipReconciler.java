package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.Role;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The leader's rule for keeping the Raft members in step with enrollment: one membership change at a time, each
 * decided from the committed member list and the enrolled nodes.
 *
 * <ol>
 *   <li>A removed member leaves first ({@code REMOVE_MEMBER}), voter or learner; a voter only while a voter that may
 *       lead (not a witness) remains, so never the last voter, and never so that a witness is left to lead alone
 *       (MicroRaft makes a sole voter leader without an election).</li>
 *   <li>A learner enrolled as a voter is promoted once it has caught up (its match index reached the commit index),
 *       while there are fewer than {@link Voters#MAX} voters. Promoting earlier would raise the quorum with a member
 *       that cannot acknowledge yet.</li>
 *   <li>A connected voter-role node that is not a member is added as a learner first (MicroRaft's {@code
 *       ADD_LEARNER}: the quorum does not change while it catches up), if a learner slot is free (MicroRaft allows
 *       {@link #MAX_LEARNERS}) and it could still be promoted. (MicroRaft never lets a node of the group's initial
 *       member list be a learner; no founder needs to be one: a founder leaves the group only by removal, and a
 *       removed key never returns, since a machine comes back under a new key. See docs/identity.md.)</li>
 * </ol>
 * Witness-role nodes count as voter-role nodes here: added as learners, promoted once caught up (a witness keeps
 * the log only, but it must hold all of it to vote). Learner-role nodes are not Raft members at all: they perform
 * nothing and read outcomes from the replicated state, so they need nothing from the journal, and MicroRaft's two
 * learner slots stay free for voters being staged.
 *
 * <p>Pure: {@link ConsensusNode} feeds it the leader's report and carries the change out.
 */
final class MembershipReconciler {
    /** MicroRaft's limit on learners in a group ({@code RaftGroupMembers.MAX_LEARNER_COUNT}). */
    static final int MAX_LEARNERS = 2;

    /** One membership change and why, for the log line. */
    record Change(RaftEndpoint endpoint, MembershipChangeMode mode, String reason) {
    }

    /**
     * What the leader knows when it reconciles.
     *
     * @param members        the committed members (voters and learners)
     * @param voters         the committed voting members
     * @param matchIndices  each follower's match index, from the leader's report
     * @param commitIndex   the leader's commit index
     */
    record Group(Collection<RaftEndpoint> members, Collection<RaftEndpoint> voters,
                 Map<RaftEndpoint, Long> matchIndices, long commitIndex) {
    }

    private MembershipReconciler() {
    }

    static Optional<Change> next(Group group, List<Enrolled> enrolled) {
        Set<String> removed = new TreeSet<>();
        Set<String> wantedVoters = new TreeSet<>();
        Set<String> witnesses = new TreeSet<>();
        for (Enrolled e : enrolled) {
            if (e.role() == Role.WITNESS) {
                witnesses.add(e.node().toString());
            }
            if (e.removed()) {
                removed.add(e.node().toString());
            } else if (votes(e.role())) {
                wantedVoters.add(e.node().toString());
            }
        }
        List<RaftEndpoint> members = sorted(group.members());
        List<RaftEndpoint> voters = sorted(group.voters());
        for (RaftEndpoint m : members) {
            boolean leaderRemains = !voters.contains(m)
                    || voters.stream().anyMatch(v -> !v.equals(m) && !witnesses.contains(id(v)));
            if (removed.contains(id(m)) && leaderRemains) {
                return Optional.of(new Change(m, MembershipChangeMode.REMOVE_MEMBER, "its enrollment was revoked"));
            }
        }
        List<RaftEndpoint> learners = members.stream().filter(m -> !voters.contains(m)).toList();
        if (voters.size() < Voters.MAX) {
            for (RaftEndpoint l : learners) {
                long match = group.matchIndices().getOrDefault(l, 0L);
                if (wantedVoters.contains(id(l)) && match >= group.commitIndex()) {
                    return Optional.of(new Change(l, MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER,
                            "it is enrolled as a voter and has caught up (match index " + match + ")"));
                }
            }
        }
        if (voters.size() + learners.size() < Voters.MAX) {
            for (Enrolled e : enrolled.stream().sorted(Comparator.comparing(x -> x.node().toString())).toList()) {
                MeshEndpoint endpoint = MeshEndpoint.of(e.node());
                if (e.removed() || !votes(e.role()) || !e.connected() || members.contains(endpoint)) {
                    continue;
                }
                if (learners.size() < MAX_LEARNERS) {
                    return Optional.of(new Change(endpoint, MembershipChangeMode.ADD_LEARNER, "it is enrolled as a "
                            + e.role().name().toLowerCase(java.util.Locale.ROOT) + "; it votes once it has caught up"));
                }
            }
        }
        return Optional.empty();
    }

    /** Voters and witnesses vote; learner-role nodes stay out of the group. */
    private static boolean votes(Role role) {
        return role == Role.VOTER || role == Role.WITNESS;
    }

    private static List<RaftEndpoint> sorted(Collection<RaftEndpoint> endpoints) {
        return endpoints.stream().sorted(Comparator.comparing(MembershipReconciler::id)).toList();
    }

    private static String id(RaftEndpoint e) {
        return (String) e.getId();
    }
}
