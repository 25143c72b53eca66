package io.agentmesh.node.consensus;

import io.microraft.RaftEndpoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GroupDiscoveryTest {
    private static final String GROUP = "agent1";
    private static final MeshEndpoint A = new MeshEndpoint("a");
    private static final MeshEndpoint B = new MeshEndpoint("b");
    private static final MeshEndpoint C = new MeshEndpoint("c");
    private static final MeshEndpoint D = new MeshEndpoint("d");
    private static final List<RaftEndpoint> ABC = List.of(A, B, C);

    private static GroupMessage.Info noGroup(MeshEndpoint from, List<RaftEndpoint> founders) {
        return new GroupMessage.Info(GROUP, from, founders, List.of(), List.of(), List.of(), 0);
    }

    private static GroupMessage.Info inGroup(MeshEndpoint from, List<RaftEndpoint> initial, List<RaftEndpoint> voters,
                                             long index) {
        return new GroupMessage.Info(GROUP, from, List.of(), initial, voters, voters, index);
    }

    @Test
    void aFounderFoundsOnlyOnceEveryOtherFounderSaidItIsInNoGroupWithTheSameList() {
        GroupDiscovery a = new GroupDiscovery(GROUP, A, ABC);
        assertEquals(Optional.empty(), a.decide());
        assertEquals(Optional.empty(), a.onInfo(noGroup(B, ABC)));
        assertEquals(List.of(C), a.waitingFor());
        GroupDiscovery.Decision d = a.onInfo(noGroup(C, ABC)).orElseThrow();
        assertEquals(new GroupDiscovery.Decision.Start(ABC, true), d);
    }

    @Test
    void foundersWithDifferentPeerListsNeverFound() {
        GroupDiscovery a = new GroupDiscovery(GROUP, A, List.of(A, B));
        assertEquals(Optional.empty(), a.onInfo(noGroup(B, ABC)));
        assertEquals(List.of(B), a.waitingFor());
        assertEquals(1, a.disagreeing().size());
    }

    @Test
    void anAnswerFromAGroupMemberWinsOverFounding() {
        GroupDiscovery a = new GroupDiscovery(GROUP, A, ABC);
        a.onInfo(noGroup(B, ABC));
        // C founded in the meantime (with A and B, whose answers it had): A starts with that group, as a founder.
        GroupDiscovery.Decision d = a.onInfo(inGroup(C, ABC, ABC, 0)).orElseThrow();
        assertEquals(new GroupDiscovery.Decision.Start(ABC, true), d);
    }

    @Test
    void aNodeWithoutAFoundingListWaitsUntilAMemberAnswersAndThenJoinsItsGroup() {
        GroupDiscovery d = new GroupDiscovery(GROUP, D, List.of());
        assertEquals(Optional.empty(), d.decide());
        assertEquals(Optional.empty(), d.onInfo(noGroup(A, ABC)));
        GroupDiscovery.Decision joined = d.onInfo(inGroup(B, List.of(A, B), ABC, 4)).orElseThrow();
        assertEquals(new GroupDiscovery.Decision.Start(ABC, false), joined, "the current members, not the initial");
    }

    @Test
    void aFounderNoLongerAmongTheVotersJoinsAsALearnerNotAsAVoterOfTheInitialGroup() {
        GroupDiscovery c = new GroupDiscovery(GROUP, C, ABC);
        GroupDiscovery.Decision joined = c.onInfo(inGroup(A, ABC, List.of(A, B), 9)).orElseThrow();
        assertEquals(new GroupDiscovery.Decision.Start(List.of(A, B), false), joined);
    }

    @Test
    void aSingleFounderFoundsAtOnce() {
        assertEquals(new GroupDiscovery.Decision.Start(List.of(A), true),
                new GroupDiscovery(GROUP, A, List.of(A)).decide().orElseThrow());
    }

    @Test
    void aMemberWhoseLogIsEmptyAfterTheGroupChangedIsRefusedWithWhatToDo() {
        GroupDiscovery d = new GroupDiscovery(GROUP, D, List.of());
        GroupDiscovery.Decision refused = d.onInfo(inGroup(A, ABC, List.of(A, B, C, D), 7)).orElseThrow();
        var r = assertInstanceOf(GroupDiscovery.Decision.Refuse.class, refused);
        assertTrue(r.reason().contains("lost its log") && r.reason().contains("agentmesh node remove")
                && r.reason().contains("new key"), r.reason());
    }

    @Test
    void aNodeTheLeaderAddedAsALearnerWhileItWasStillAskingJoinsAsALearner() {
        GroupDiscovery d = new GroupDiscovery(GROUP, D, List.of());
        GroupMessage.Info info = new GroupMessage.Info(GROUP, A, List.of(), ABC, List.of(A, B, C, D), ABC, 8);
        assertEquals(new GroupDiscovery.Decision.Start(ABC, false), d.onInfo(info).orElseThrow());
    }

    @Test
    void aFoundingListMustNameItsOwnNode() {
        assertThrows(IllegalArgumentException.class, () -> new GroupDiscovery(GROUP, D, ABC));
    }
}
