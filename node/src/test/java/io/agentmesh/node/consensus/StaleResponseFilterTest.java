package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import io.microraft.impl.RaftNodeImpl;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.PreVoteRequest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static io.agentmesh.node.consensus.HandDrivenMember.F;
import static io.agentmesh.node.consensus.HandDrivenMember.GROUP;
import static io.agentmesh.node.consensus.HandDrivenMember.ep;
import static io.agentmesh.node.consensus.HandDrivenMember.preVoteResponse;
import static io.agentmesh.node.consensus.HandDrivenMember.voteRequest;
import static io.agentmesh.node.consensus.HandDrivenMember.voteResponse;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A leader ignores what a follower answered to a request of an earlier term ({@link StaleResponseFilter}). */
class StaleResponseFilterTest extends HandDrivenMemberBase {
    @Test
    void anAnswerFromAnEarlierTermDoesNotMarkTheFollowerAsMatchingNorWedgeItsCatchUp() throws IOException {
        startA(a, b, c);
        m.runFor(1);
        // a leads term 1 (b's pre-vote and vote), with its new-term entry at index 1...
        m.receive(b, preVoteResponse(b, 1, true));
        m.receive(b, voteResponse(b, 1, true));
        assertEquals("LEADER", m.node.status().role());
        // ...votes for c in term 2 (a leadership transfer: not sticky), which never becomes leader...
        m.receive(c, voteRequest(c, 2, 1, 1, false));
        assertEquals(2, m.node.term());
        // ...and leads term 3, its new-term entry at index 2: it believes nothing about b yet.
        m.runFor(150);
        assertEquals(3, m.last(PreVoteRequest.class).orElseThrow().getTerm());
        m.receive(b, preVoteResponse(b, 3, true));
        m.receive(b, voteResponse(b, 3, true));
        assertEquals("LEADER", m.node.status().role());
        assertEquals(3, m.node.term());

        // b's success for a's request of term 1 (entries up to 1) arrives only now, from a stalled connection.
        m.receive(b, F.createAppendEntriesSuccessResponseBuilder().setGroupId(GROUP).setSender(ep(b)).setTerm(1)
                .setLastLogIndex(1).setQuerySequenceNumber(0).setFlowControlSequenceNumber(0).build());
        assertEquals(0, matchIndexOf(b), "an answer from term 1 says nothing about b's log in term 3");

        // b refuses a's term-3 request (prev index 1): a must step back and send b its log from index 1.
        AppendEntriesRequest refused = lastRequestTo(b);
        assertEquals(1, refused.getPreviousLogIndex());
        int before = m.sent.size();
        m.receive(b, F.createAppendEntriesFailureResponseBuilder().setGroupId(GROUP).setSender(ep(b)).setTerm(3)
                .setExpectedNextIndex(2).setQuerySequenceNumber(refused.getQuerySequenceNumber())
                .setFlowControlSequenceNumber(refused.getFlowControlSequenceNumber()).build());
        List<Long> prevIndices = m.sentSince(before, AppendEntriesRequest.class).stream()
                .filter(s -> s.to().equals(b)).map(s -> ((AppendEntriesRequest) s.message()).getPreviousLogIndex())
                .toList();
        assertEquals(List.of(0L), prevIndices);
    }

    private AppendEntriesRequest lastRequestTo(NodeId follower) {
        for (int i = m.sent.size() - 1; i >= 0; i--) {
            if (m.sent.get(i).to().equals(follower) && m.sent.get(i).message() instanceof AppendEntriesRequest r) {
                return r;
            }
        }
        throw new AssertionError("nothing sent to " + follower);
    }

    private long matchIndexOf(NodeId follower) {
        RaftNodeImpl impl = (RaftNodeImpl) m.node.raftNode();
        return impl.state().leaderState().getFollowerState(ep(follower)).matchIndex();
    }
}
