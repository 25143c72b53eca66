package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.RaftMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.agentmesh.node.consensus.HandDrivenMember.F;
import static io.agentmesh.node.consensus.HandDrivenMember.GROUP;
import static io.agentmesh.node.consensus.HandDrivenMember.ep;
import static io.agentmesh.node.consensus.HandDrivenMember.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A request's leaderCommit is lowered to its last entry's index, never below; every other field is kept. */
class CommitIndexClampTest {
    private final NodeId leader = id(2);

    private AppendEntriesRequest request(long prevIndex, long commitIndex) {
        return (AppendEntriesRequest) F.createAppendEntriesRequestBuilder().setGroupId(GROUP).setSender(ep(leader))
                .setTerm(7).setPreviousLogIndex(prevIndex).setPreviousLogTerm(6).setCommitIndex(commitIndex)
                .setLogEntries(List.of()).setQuerySequenceNumber(3).setFlowControlSequenceNumber(4).build();
    }

    @Test
    void aRequestEndingBelowItsLeaderCommitCarriesItsLastEntryIndexInstead() {
        AppendEntriesRequest clamped = (AppendEntriesRequest) CommitIndexClamp.clamp(request(4, 6), F);
        assertEquals(4, clamped.getCommitIndex(), "a follower at commit 5 must not be moved back to 4");
        assertEquals(4, clamped.getPreviousLogIndex());
        assertEquals(6, clamped.getPreviousLogTerm());
        assertEquals(7, clamped.getTerm());
        assertEquals(ep(leader), clamped.getSender());
        assertEquals(3, clamped.getQuerySequenceNumber());
        assertEquals(4, clamped.getFlowControlSequenceNumber());
    }

    @Test
    void aRequestThatCoversItsLeaderCommitAndOtherMessagesPassUnchanged() {
        RaftMessage covered = request(9, 6);
        assertSame(covered, CommitIndexClamp.clamp(covered, F));
        RaftMessage vote = HandDrivenMember.voteResponse(leader, 7, true);
        assertSame(vote, CommitIndexClamp.clamp(vote, F));
    }
}
