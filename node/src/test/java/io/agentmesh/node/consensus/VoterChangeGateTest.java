package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.microraft.model.message.AppendEntriesRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.agentmesh.node.consensus.HandDrivenMember.F;
import static io.agentmesh.node.consensus.HandDrivenMember.GROUP;
import static io.agentmesh.node.consensus.HandDrivenMember.ep;
import static io.agentmesh.node.consensus.HandDrivenMember.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leader changes the voters only after {@code beforeVoterChange} (what makes majority-durable writes safe under
 * the next voters) has completed, and asks it with the voters the change leads to; a learner's addition, which leaves
 * the voters as they are, does not wait. A sole founder leads at once; the test plays the joining node.
 */
class VoterChangeGateTest {
    private final NodeId self = id(1);
    private final NodeId joiner = id(2);
    private final List<List<NodeId>> asked = new ArrayList<>();
    private final List<CompletableFuture<Void>> gates = new ArrayList<>();
    private HandDrivenMember m;

    @TempDir
    Path dir;

    @AfterEach
    void close() throws IOException {
        if (m != null) {
            m.close();
        }
    }

    @Test
    void aLearnerIsPromotedOnlyOnceTheGateBeforeTheVoterChangeCompletedAndAFailedGateIsRetried() throws IOException {
        m = new HandDrivenMember(self, List.of(self), dir, ConsensusConfig.defaults().withElectionJitterMs(0),
                b -> b.enrolled(() -> List.of(new Enrolled(self, Role.VOTER, true, false),
                                new Enrolled(joiner, Role.VOTER, true, false)))
                        .membershipTuning(250, 100)
                        .beforeVoterChange(next -> {
                            asked.add(next);
                            CompletableFuture<Void> gate = new CompletableFuture<>();
                            gates.add(gate);
                            return gate;
                        }));
        for (int i = 0; i < 100 && asked.isEmpty(); i++) {
            answerAppends(100);
        }
        assertEquals(List.of(List.of(self, joiner)), asked, "asked once, with the voters after the promotion");
        assertEquals(List.of(self), m.node.committedVoters().voters(), "the learner was added without waiting");
        assertTrue(m.node.effectiveVoters().index() > 0, "the learner's addition is in the log");

        answerAppends(2_000);
        assertEquals(1, asked.size(), "one change at a time: no second ask while the first waits");
        assertEquals(List.of(self), m.node.committedVoters().voters(), "not promoted while the gate is closed");

        gates.getFirst().completeExceptionally(new IllegalStateException("the next voters do not hold it yet"));
        answerAppends(300);
        assertTrue(asked.size() >= 2, "a failed gate is asked again at the next round");
        assertEquals(List.of(self), m.node.committedVoters().voters());

        gates.getLast().complete(null);
        for (int i = 0; i < 50 && m.node.committedVoters().voters().size() < 2; i++) {
            answerAppends(100);
        }
        assertEquals(List.of(self, joiner), m.node.committedVoters().voters(), "promoted once the gate opened");
    }

    /** Runs {@code ms} of virtual time, acknowledging every append the leader sends the joiner. */
    private void answerAppends(long ms) {
        for (long t = 0; t < ms; t += 10) {
            int from = m.sent.size();
            m.runFor(10);
            for (HandDrivenMember.Sent s : m.sentSince(from, AppendEntriesRequest.class)) {
                if (s.to().equals(joiner)) {
                    AppendEntriesRequest r = (AppendEntriesRequest) s.message();
                    m.receive(joiner, F.createAppendEntriesSuccessResponseBuilder().setGroupId(GROUP)
                            .setSender(ep(joiner)).setTerm(r.getTerm())
                            .setLastLogIndex(r.getPreviousLogIndex() + r.getLogEntries().size())
                            .setQuerySequenceNumber(r.getQuerySequenceNumber())
                            .setFlowControlSequenceNumber(r.getFlowControlSequenceNumber()).build());
                }
            }
        }
    }
}
