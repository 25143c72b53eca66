package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MembershipReconcilerTest {
    private static NodeId id(int fill) {
        byte[] b = new byte[NodeId.LENGTH];
        Arrays.fill(b, (byte) fill);
        return new NodeId(b);
    }

    private static final NodeId N1 = id(1);
    private static final NodeId N2 = id(2);
    private static final NodeId N3 = id(3);
    private static final NodeId N4 = id(4);

    private static RaftEndpoint e(NodeId n) {
        return MeshEndpoint.of(n);
    }

    private static Enrolled voter(NodeId n) {
        return new Enrolled(n, Role.VOTER, true, false);
    }

    private static MembershipReconciler.Group group(List<RaftEndpoint> members, List<RaftEndpoint> voters,
                                                    Map<RaftEndpoint, Long> match, long commit) {
        return new MembershipReconciler.Group(members, voters, match, commit);
    }

    private static Optional<MembershipChangeMode> modeFor(MembershipReconciler.Group g, List<Enrolled> enrolled,
                                                          NodeId expected) {
        return MembershipReconciler.next(g, enrolled).map(c -> {
            assertEquals(e(expected), c.endpoint());
            return c.mode();
        });
    }

    @Test
    void aConnectedVoterOutsideTheGroupIsAddedAsALearnerFirst() {
        var g = group(List.of(e(N1), e(N2)), List.of(e(N1), e(N2)), Map.of(), 10);
        assertEquals(Optional.of(MembershipChangeMode.ADD_LEARNER),
                modeFor(g, List.of(voter(N1), voter(N2), voter(N3)), N3));
    }

    @Test
    void aDisconnectedVoterIsNotAddedBecauseItsVoteCouldNotCome() {
        var g = group(List.of(e(N1), e(N2)), List.of(e(N1), e(N2)), Map.of(), 10);
        assertEquals(Optional.empty(), MembershipReconciler.next(g,
                List.of(voter(N1), voter(N2), new Enrolled(N3, Role.VOTER, false, false))));
    }

    @Test
    void aLearnerIsPromotedOnlyOnceItHasCaughtUpToTheCommitIndex() {
        List<RaftEndpoint> members = List.of(e(N1), e(N2), e(N3));
        List<RaftEndpoint> voters = List.of(e(N1), e(N2));
        List<Enrolled> enrolled = List.of(voter(N1), voter(N2), voter(N3));
        assertEquals(Optional.empty(), MembershipReconciler.next(group(members, voters, Map.of(e(N3), 9L), 10),
                enrolled));
        assertEquals(Optional.of(MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER),
                modeFor(group(members, voters, Map.of(e(N3), 10L), 10), enrolled, N3));
    }

    @Test
    void aRemovedMemberLeavesBeforeAnythingIsAddedButNeverTheLastVoter() {
        var g = group(List.of(e(N1), e(N2)), List.of(e(N1), e(N2)), Map.of(), 10);
        List<Enrolled> enrolled = List.of(voter(N1), new Enrolled(N2, Role.VOTER, true, true), voter(N3));
        assertEquals(Optional.of(MembershipChangeMode.REMOVE_MEMBER), modeFor(g, enrolled, N2));
        var alone = group(List.of(e(N1)), List.of(e(N1)), Map.of(), 10);
        assertEquals(Optional.empty(), MembershipReconciler.next(alone,
                List.of(new Enrolled(N1, Role.VOTER, true, true))));
    }

    @Test
    void learnerRoleNodesStayOutOfTheGroupAndNothingIsStagedBeyondSevenVoters() {
        var g = group(List.of(e(N1)), List.of(e(N1)), Map.of(), 10);
        assertEquals(Optional.empty(), MembershipReconciler.next(g,
                List.of(voter(N1), new Enrolled(N2, Role.LEARNER, true, false))));
        List<RaftEndpoint> seven = new ArrayList<>();
        List<Enrolled> enrolled = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            if (i <= 7) {
                seven.add(e(id(i)));
            }
            enrolled.add(voter(id(i)));
        }
        assertEquals(Optional.empty(), MembershipReconciler.next(group(seven, seven, Map.of(), 10), enrolled));
    }

    @Test
    void atMostTwoLearnersAreStagedAtOnce() {
        var g = group(List.of(e(N1), e(N2), e(N3)), List.of(e(N1)), Map.of(), 10);
        assertEquals(Optional.empty(), MembershipReconciler.next(g,
                List.of(voter(N1), voter(N4), new Enrolled(N2, Role.LEARNER, true, false),
                        new Enrolled(N3, Role.LEARNER, true, false))));
    }

    private static Enrolled witness(NodeId n) {
        return new Enrolled(n, Role.WITNESS, true, false);
    }

    @Test
    void aWitnessIsAddedAsALearnerAndPromotedOnceCaughtUpLikeAVoter() {
        var two = group(List.of(e(N1), e(N2)), List.of(e(N1), e(N2)), Map.of(), 10);
        List<Enrolled> enrolled = List.of(voter(N1), voter(N2), witness(N3));
        assertEquals(Optional.of(MembershipChangeMode.ADD_LEARNER), modeFor(two, enrolled, N3));
        List<RaftEndpoint> members = List.of(e(N1), e(N2), e(N3));
        List<RaftEndpoint> voters = List.of(e(N1), e(N2));
        assertEquals(Optional.empty(), MembershipReconciler.next(group(members, voters, Map.of(e(N3), 9L), 10),
                enrolled));
        assertEquals(Optional.of(MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER),
                modeFor(group(members, voters, Map.of(e(N3), 10L), 10), enrolled, N3));
    }

    @Test
    void aRemovedServerStaysWhenOnlyAWitnessWouldBeLeftToLead() {
        var serverAndWitness = group(List.of(e(N1), e(N3)), List.of(e(N1), e(N3)), Map.of(), 10);
        assertEquals(Optional.empty(), MembershipReconciler.next(serverAndWitness,
                List.of(new Enrolled(N1, Role.VOTER, true, true), witness(N3))));
        // With another server left, the removed one goes; a removed witness goes whenever a server remains.
        var all = group(List.of(e(N1), e(N2), e(N3)), List.of(e(N1), e(N2), e(N3)), Map.of(), 10);
        assertEquals(Optional.of(MembershipChangeMode.REMOVE_MEMBER), modeFor(all,
                List.of(new Enrolled(N1, Role.VOTER, true, true), voter(N2), witness(N3)), N1));
        assertEquals(Optional.of(MembershipChangeMode.REMOVE_MEMBER), modeFor(all,
                List.of(voter(N1), voter(N2), new Enrolled(N3, Role.WITNESS, true, true)), N3));
    }
}
