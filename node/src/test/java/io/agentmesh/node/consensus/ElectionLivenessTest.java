package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import io.microraft.model.message.PreVoteRequest;
import io.microraft.model.message.PreVoteResponse;
import io.microraft.model.message.VoteRequest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import static io.agentmesh.node.consensus.HandDrivenMember.heartbeat;
import static io.agentmesh.node.consensus.HandDrivenMember.id;
import static io.agentmesh.node.consensus.HandDrivenMember.preVoteRequest;
import static io.agentmesh.node.consensus.HandDrivenMember.preVoteResponse;
import static io.agentmesh.node.consensus.HandDrivenMember.voteRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node "a", driven message by message on virtual time, into the election states MicroRaft 0.7 handles badly by itself
 * ({@link ElectionLiveness}). 100 ms heartbeats, 300 ms leader timeout.
 */
class ElectionLivenessTest extends HandDrivenMemberBase {
    @Test
    void aFollowerWhosePreVoteWasOvertakenByItsLeaderActsAtItsRankedTurnWhenThatLeaderDies() throws IOException {
        startA(a, b, c);
        long detectedMs = preVoteAfterStalePreVoteMs();
        // a ranks first among b's survivors (a, c) in term 1: 300 ms leader timeout + 15 ms margin, as if its pre-vote
        // had never been overtaken (the watchdog alone would act 400-700 ms after).
        assertTrue(detectedMs >= 315 && detectedMs <= 317, "pre-vote " + detectedMs + " ms after the last heartbeat");
    }

    @Test
    void withoutStaggerTheWatchdogStillElectsANewLeaderAfterAStalePreVote() throws IOException {
        startA(ConsensusConfig.defaults().withElectionJitterMs(0).withElectionStaggerMs(0), a, b, c);
        long detectedMs = preVoteAfterStalePreVoteMs();
        // MicroRaft acts 300-400 ms after the last heartbeat; the watchdog one more heartbeat period after that.
        assertTrue(detectedMs > 400 && detectedMs <= 700, "pre-vote " + detectedMs + " ms after the last heartbeat");
    }

    /**
     * Leads a (members a, b, c) into a pre-vote overtaken by b's first heartbeat as leader of term 1, lets b die, and
     * returns when a asked for a pre-vote, in ms after b's last heartbeat; checks that a then stands for term 2.
     */
    private long preVoteAfterStalePreVoteMs() {
        m.receive(b, voteRequest(b, 1, 0, 0, true)); // a votes for b in term 1; no leader is known yet
        assertEquals(1, m.node.term());
        // a's next heartbeat tick finds no leader and starts a pre-vote for term 2...
        m.runFor(150);
        assertEquals(2, preVoteTerm());
        // ...which b's first heartbeat as leader of term 1 overtakes; c's late grant then completes the pre-vote
        // while a has a leader (MicroRaft: "No new election round, we already have a LEADER").
        m.receive(b, heartbeat(b, 1));
        m.receive(c, preVoteResponse(c, 2, true));
        assertEquals(Optional.of(b), m.node.leaderId());

        long lastHeardMs = m.thread.nowMs() - 2;
        int before = m.sent.size();
        m.runFor(2_000); // b is dead from here on

        HandDrivenMember.Sent preVote = m.sentSince(before, PreVoteRequest.class).stream().findFirst()
                .orElseThrow(() -> new AssertionError("a still names " + m.node.leaderId()
                        + " 2 s after b's last heartbeat and never asked for a pre-vote"));
        long detectedMs = preVote.atMs() - lastHeardMs;
        assertEquals(2, preVote.message().getTerm());
        assertEquals(Optional.empty(), m.node.leaderId());
        assertEquals(1, m.node.term(), "the term and the vote stay as they were");
        assertEquals(1, m.node.status().stuckFollowerResets());

        m.receive(c, preVoteResponse(c, 2, true)); // c grants: a stands for term 2
        assertEquals("CANDIDATE", m.node.status().role());
        assertEquals(2, m.node.term());
        return detectedMs;
    }

    @Test
    void aFollowerThatKeepsHearingItsLeaderIsLeftAloneDespiteAStalePreVote() throws IOException {
        startA(a, b, c);
        m.receive(b, voteRequest(b, 1, 0, 0, true));
        m.runFor(150);
        assertEquals(2, preVoteTerm());
        int before = m.sent.size();
        for (int i = 0; i < 30; i++) {
            m.receive(b, heartbeat(b, 1));
            m.runFor(99);
        }
        assertEquals(Optional.of(b), m.node.leaderId());
        assertEquals(0, m.node.status().stuckFollowerResets());
        assertEquals(List.of(), m.sentSince(before, PreVoteRequest.class));
    }

    @Test
    void aFollowerThatJustVotedRefusesPreVotesUntilTheWinnerCouldHaveSpoken() throws IOException {
        startA(a, b, c);
        m.receive(b, heartbeat(b, 1));
        m.runFor(350); // b is dead: its heartbeats timed out on a
        m.receive(c, voteRequest(c, 2, 0, 0, false)); // c stands for term 2 and a votes for it
        assertEquals(2, m.node.term());
        assertEquals(Optional.empty(), m.node.leaderId(), "c's first AppendEntries has not reached a yet");

        // b (or any node that has not heard c win) asks to stand for term 3 before c's AppendEntries arrive: a refuses,
        // as a follower of a live leader would, so c is not deposed by a round it already won.
        m.runFor(150);
        m.receive(b, preVoteRequest(b, 3, 0, 0));
        assertEquals(false, m.last(PreVoteResponse.class).orElseThrow().isGranted());
        assertEquals(1, m.node.status().voteTimerResets());

        // Nobody won after all (c never speaks): once the leader timeout has passed since the vote, a grants.
        m.runFor(300);
        m.receive(b, preVoteRequest(b, 3, 0, 0));
        assertEquals(true, m.last(PreVoteResponse.class).orElseThrow().isGranted());
    }

    @Test
    void aPreVoteRefusedWithAHigherTermMovesTheFollowerUpToIt() throws IOException {
        startA(a, b);
        m.runFor(1);
        assertEquals(1, preVoteTerm());
        // A refusal because a's log is older carries the term a asked for: nothing to adopt.
        m.receive(b, preVoteResponse(b, 1, false));
        assertEquals(0, m.node.term());
        // b was cut off as a candidate and came back with term 45: it refuses because its term is bigger.
        m.receive(b, preVoteResponse(b, 45, false));
        assertEquals(45, m.node.term());
        assertEquals(1, m.node.status().higherTermsAdopted());
        m.runFor(150);
        assertEquals(46, preVoteTerm(), "the next pre-vote asks for the term after b's");
    }

    @Test
    void aRefusalFromANonMemberMovesNothing() throws IOException {
        startA(a, b);
        m.runFor(1);
        NodeId stranger = id(9);
        m.receive(stranger, preVoteResponse(stranger, 1_000, false));
        assertEquals(0, m.node.term());
        assertEquals(0, m.node.status().higherTermsAdopted());
    }

    @Test
    void aCandidateWhoseRoundTimedOutPreVotesInsteadOfRaisingItsTerm() throws IOException {
        startA(a, b, c);
        m.runFor(1); // no leader: a pre-votes for term 1
        m.receive(b, preVoteResponse(b, 1, true));
        assertEquals("CANDIDATE", m.node.status().role());
        assertEquals(1, m.node.term());
        int before = m.sent.size();
        // Nobody answers a's votes: its round times out (100-110 ms plus the jitter).
        m.runFor(300);
        assertEquals(List.of(), m.sentSince(before, VoteRequest.class), "no vote request for term 2 without a pre-vote");
        assertEquals(2, preVoteTerm(), "a asks whether term 2 would be granted");
        assertEquals(1, m.node.term(), "term and vote kept");
        assertEquals("FOLLOWER", m.node.status().role());
        assertEquals(1, m.node.status().candidatePreVotes());
    }

    @Test
    void aCandidateThatLostToALeaderItHasNotHeardYetLeavesThatLeaderInPlace() throws IOException {
        startA(a, b, c);
        m.runFor(1);
        m.receive(b, preVoteResponse(b, 1, true));
        assertEquals("CANDIDATE", m.node.status().role());
        // c won term 1 with b's vote; its first heartbeat has not reached a yet, and a's round times out. Its
        // pre-vote for term 2 is refused by b, which hears c ("the leader is still alive": refusal in term 1).
        m.runFor(300);
        m.receive(b, preVoteResponse(b, 1, false));
        m.receive(c, heartbeat(c, 1));
        assertEquals(Optional.of(c), m.node.leaderId());
        assertEquals(1, m.node.term(), "c's term 1 stands: nobody moved to term 2");
        assertEquals(0, m.sentSince(0, VoteRequest.class).stream().filter(v -> v.message().getTerm() > 1).count());
    }

    @Test
    void followersOfASilentLeaderActInARankOrderThatTurnsWithTheTerm() throws IOException {
        // Two survivors (a and c) of leader b: a ranks first in one term and second in the next.
        long inTerm1 = preVoteAfterLastHeartbeatMs(1);
        long inTerm2 = preVoteAfterLastHeartbeatMs(2);
        long first = Math.min(inTerm1, inTerm2);
        long second = Math.max(inTerm1, inTerm2);
        // 300 ms leader timeout + 15 ms margin, then 60 ms per rank; MicroRaft alone acts at its first tick after
        // 300 ms, anywhere in 300-400 ms.
        assertTrue(first >= 315 && first <= 317, "first-ranked pre-vote " + first + " ms after the last heartbeat");
        assertTrue(second >= 375 && second <= 377, "second-ranked pre-vote " + second + " ms after the last heartbeat");
    }

    @Test
    void aFollowerThatGrantedAnotherSurvivorsPreVoteWaitsForThatCampaignBeforeItsOwn() throws IOException {
        // In term 2, a ranks second among b's survivors (a, c): alone it would pre-vote 375 ms after b's last heartbeat.
        // c, first, asks 330 ms after it and a grants; a then leaves c two staggers (120 ms) to win before it asks.
        long preVote = preVoteAfterLastHeartbeatMs(2, 330);
        assertTrue(preVote >= 450 && preVote <= 452, "pre-vote " + preVote + " ms after the last heartbeat");
    }

    @Test
    void aPreVoteRefusedWhileTheLeaderWasStillHeardDoesNotHoldTheFollowerBack() throws IOException {
        // c asks 200 ms after b's last heartbeat: a still counts b alive and refuses, so nothing is under way.
        long preVote = preVoteAfterLastHeartbeatMs(2, 200);
        assertTrue(preVote >= 375 && preVote <= 377, "pre-vote " + preVote + " ms after the last heartbeat");
    }

    /** A fresh member a, follower of b in {@code term}: when, after b's last heartbeat, a asks for a pre-vote. */
    private long preVoteAfterLastHeartbeatMs(int term) throws IOException {
        return preVoteAfterLastHeartbeatMs(term, -1);
    }

    /**
     * As {@link #preVoteAfterLastHeartbeatMs(int)}, with c asking a for a pre-vote of the next term {@code
     * cAsksAfterMs} after b's last heartbeat (none if negative); c's answer is checked against MicroRaft's rules.
     */
    private long preVoteAfterLastHeartbeatMs(int term, long cAsksAfterMs) throws IOException {
        java.nio.file.Path at = dir.resolve("term-" + term);
        java.nio.file.Files.createDirectories(at);
        try (HandDrivenMember member = new HandDrivenMember(a, List.of(a, b, c), at)) {
            for (int i = 0; i < 5; i++) {
                member.receive(b, heartbeat(b, term));
                member.runFor(37);
            }
            member.receive(b, heartbeat(b, term));
            long lastHeardMs = member.thread.nowMs() - 1;
            int before = member.sent.size();
            if (cAsksAfterMs >= 0) {
                member.runFor(cAsksAfterMs - 1);
                member.receive(c, preVoteRequest(c, term + 1, 0, 0));
                assertEquals(cAsksAfterMs > 300, member.last(PreVoteResponse.class).orElseThrow().isGranted(),
                        "a grants c's pre-vote once b's 300 ms have passed");
            }
            member.runFor(1_000);
            HandDrivenMember.Sent preVote = member.sentSince(before, PreVoteRequest.class).stream().findFirst()
                    .orElseThrow(() -> new AssertionError("no pre-vote within 1 s of b's last heartbeat"));
            return preVote.atMs() - lastHeardMs;
        }
    }

    private int preVoteTerm() {
        return m.last(PreVoteRequest.class).map(PreVoteRequest::getTerm).orElse(-1);
    }
}
