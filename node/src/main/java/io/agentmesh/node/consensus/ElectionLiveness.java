package io.agentmesh.node.consensus;

import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.RaftNodeStatus;
import io.microraft.RaftRole;
import io.microraft.impl.RaftNodeImpl;
import io.microraft.impl.state.RaftState;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.InstallSnapshotRequest;
import io.microraft.model.message.PreVoteResponse;
import io.microraft.model.message.RaftMessage;
import io.microraft.model.message.VoteRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Closes four holes in MicroRaft 0.7's elections from outside the library, and staggers the survivors of a silent
 * leader, through {@link RaftNodeImpl}'s public methods, on the node thread. Each only drops election state or moves to a higher term, which Raft allows at any
 * time; none grants a vote or touches the log, so they cannot cost safety.
 *
 * <h2>A follower stuck naming a dead leader</h2>
 * A follower that started a pre-vote and then hears a leader of its <em>own</em> term keeps its pre-candidate state:
 * MicroRaft clears it only on a term or role change, and its pre-vote and election tasks return early once a leader
 * is known. Its heartbeat task then never acts on that leader's silence, because every branch requires no
 * pre-candidate state. If the leader dies while all survivors are in that state, nobody ever starts an election
 * (seen live: both survivors of a killed 3-node leader named it for over 20 s). So such a follower, at its turn to act
 * on the leader's silence ("Staggered candidates" below), drops the stale leader and pre-candidate state ({@code
 * toFollower} in the same term: term and vote are kept) and runs MicroRaft's own pre-vote. On a loaded machine the
 * state is common (a heartbeat late enough to start a pre-vote, then the leader heard again): measured live, 5 nodes
 * on 2 cores under load, every failover that took more than one term had survivors in it, and when it acted only at the
 * backstop below (T + 2P, out of rank order) a leader was named 551-772 ms after the kill against 336-475 ms without.
 * As a backstop, for followers that take no turn (no stagger configured, a contact we did not see), every heartbeat
 * period this class also looks for a follower naming a leader it has not heard from (AppendEntries or
 * InstallSnapshot) for longer than MicroRaft itself would have waited (leader timeout plus one period) plus one more
 * period, and does the same.
 *
 * <h2>A refused pre-vote that carries a higher term</h2>
 * A node cut off while a candidate raises its term with every election round (MicroRaft retries elections without
 * a pre-vote), so it comes back with a high term and an old log. Its own pre-votes are refused (log too old), and it
 * refuses everyone else's ("my term is bigger"), but MicroRaft's pre-vote response handler ignores the term in a
 * refusal, so the others never move up to it: with two voters, nobody can be elected again. Like etcd's Raft, a
 * follower here adopts the higher term a refusal carries, then pre-votes for the term after it. Only the "term is
 * bigger" refusal can carry a term above the requester's next term (a refusal for an older log carries exactly the
 * next term, one for a live leader at most that), so only that one is adopted, and only from a known member while
 * the pre-vote it answers is still open.
 *
 * <h2>A candidate whose round timed out disrupting the leader just elected</h2>
 * MicroRaft's candidate, when its election round times out, starts the next round at once in a higher term, without
 * a pre-vote. A candidate that lost a round to a faster one and has not yet heard the winner's first AppendEntries
 * does exactly that, and every follower that also has not heard the winner yet moves to the higher term; the new
 * leader then learns of that term from their answers and steps down. Measured live (5 nodes, 100 kills of the
 * leader): 4 failovers took 1.0-4.3 s although a leader was named within 0.4-0.5 s, each after such a deposition.
 * Like etcd's Raft, a candidate here whose round timed out becomes a follower in its own term (term and vote kept)
 * and runs a pre-vote first: followers that heard the new leader refuse it ("the leader is still alive"), the winner's
 * AppendEntries reach it, and the election is over. A true split vote costs one pre-vote round trip more.
 *
 * <h2>A voter deposing the leader it just elected</h2>
 * Raft's rule for followers restarts the election timer when a follower grants a vote (the paper's Figure 2). MicroRaft
 * does not: its vote handler leaves the last-heartbeat time of the dead leader in place, and its heartbeat task, at the
 * voter's next tick (every P), finds no leader named yet and starts a pre-vote at once. Until the winner's first
 * AppendEntries arrives, every other voter is in the same state and grants it, so the voter becomes a candidate of the
 * next term and deposes the winner. On a busy machine the winner's first AppendEntries often comes later than a tick:
 * measured live (5 nodes on 2 cores with 2 busy threads and 20 writes/s, 100 kills of the leader), 65 failovers took
 * more than one term and 28 took over 1 s to the next action, 2-7 terms each. So a follower here that has just voted
 * for a candidate of its current term counts the vote as heard from a leader ({@code leaderHeartbeatReceived}): for
 * the next T it refuses pre-votes ("the leader is still alive"), as a follower of a live leader would. The winner
 * needed a majority of such votes, so no pre-vote can win during those T and the winner's AppendEntries arrive first.
 * If nobody won (a split vote), the next pre-vote succeeds T after the votes, as in the paper.
 *
 * <h2>Staggered candidates</h2>
 * MicroRaft's follower acts on a silent leader at its first heartbeat tick after the timeout T, so the survivors of a
 * dead leader start pre-votes within one period P (100 ms) of each other, in an order set by when each process happened
 * to start. On a loaded machine a round trip through busy node threads is as long as that, so two or three of them
 * often pre-vote and then campaign in one term and split the vote (measured live, 5 nodes on 2 cores under load: every
 * failover over 1 s was an election of 2-4 terms, split among the first candidates). Here the followers of a silent
 * leader act in a rank order they all compute alike: the voting members other than that leader and the witnesses,
 * sorted by id and rotated by the term (so no node is always first). Rank r may act {@code FIRST_MARGIN_MS + r *
 * electionStaggerMs} after T, measured from its own last contact with the leader: MicroRaft's heartbeat task is
 * deferred until then ({@link RaftExecutor#gateHeartbeatTicks}), and runs then rather than at the next period. The
 * first usually has been elected before the second may start (a voter that voted refuses pre-votes, section above),
 * so the rest only act if the first could not (dead too, log behind, paused). The small margin lets every voter's own
 * T elapse before the first pre-vote reaches it: a pre-vote refused because "the leader is still alive" costs a whole
 * pre-vote round. Followers that name no leader (after a split vote, at boot) are not deferred: the election backoff
 * separates those rounds.
 *
 * <p>A follower that has just granted another survivor's pre-vote also waits: its turn comes no sooner than {@code 2 x
 * electionStaggerMs} after the grant. On a loaded machine the first-ranked candidate's pre-vote, vote and first
 * AppendEntries can take longer than one stagger (measured live, 5 nodes on 2 cores with 2 busy threads and 20
 * writes/s: single-term failovers named a leader 456 ms after the kill at p50, ~140 ms after the first pre-vote
 * could start); the next-ranked follower then pre-voted while the first one's votes were still on their way,
 * the voters that had not voted yet granted it, and the two split the term (12 of 100 failovers took 2-3 terms,
 * and they were the slowest). The grant is what tells a follower that a campaign it would only disturb is under
 * way; if that campaign fails, it acts one wait later.
 *
 * <p>Node thread only. The checks run as tasks on {@link RaftExecutor}, after the MicroRaft tasks queued before
 * them, and stop with it.
 */
final class ElectionLiveness {
    private static final Logger log = LoggerFactory.getLogger(ElectionLiveness.class);

    private final String self;
    private final RaftExecutor executor;
    private final DilatedClock raftClock;
    private final Supplier<RaftNode> raftNode;
    private final long periodSecs;
    private final long silenceLimitMillis;
    // Leader endpoint id -> last AppendEntries or InstallSnapshot from it, in MicroRaft (dilated) ms. One entry per
    // member that ever led: a handful.
    private final Map<Object, Long> lastHeardMillis = new HashMap<>();
    private long armedAtMillis = -1;
    private long stuckFollowerResets;
    private long higherTermsAdopted;
    private long candidateRoundsRetriedWithPreVote;
    private long voteTimerResets;
    /** After T, before the first-ranked follower acts: lets the other voters' T elapse too. Node ms. */
    static final long FIRST_MARGIN_MS = 15;
    private final Supplier<Set<String>> witnesses;
    private final long timeoutMillis;
    private final long periodMillis;
    private final long staggerMillis;
    private final long firstMarginMillis;
    // Last AppendEntries or InstallSnapshot MicroRaft accepted from the leader it names, or the last vote this node
    // granted, in MicroRaft (dilated) ms: when MicroRaft's own leader timer restarted, as near as we can see it.
    private long lastContactMillis = -1;
    // When this node last granted another member's pre-vote, dilated ms.
    private long campaignSeenMillis = -1;
    private final long campaignWaitMillis;
    private long staggeredTicks;

    /**
     * @param self     this node, for log lines
     * @param raftNode the MicroRaft node once started (null before)
     */
    ElectionLiveness(String self, RaftExecutor executor, DilatedClock raftClock, ConsensusConfig config,
                     Supplier<RaftNode> raftNode) {
        this(self, executor, raftClock, config, raftNode, Set::of);
    }

    /** @param witnesses the enrolled witnesses' endpoint ids: they never campaign, so they take no rank */
    ElectionLiveness(String self, RaftExecutor executor, DilatedClock raftClock, ConsensusConfig config,
                     Supplier<RaftNode> raftNode, Supplier<Set<String>> witnesses) {
        this.self = self;
        this.witnesses = witnesses;
        this.timeoutMillis = config.heartbeatTimeoutSecs() * 1000;
        this.periodMillis = config.heartbeatPeriodSecs() * 1000;
        this.staggerMillis = config.electionStaggerMs() * config.timeDilation();
        this.firstMarginMillis = config.electionStaggerMs() == 0 ? 0 : FIRST_MARGIN_MS * config.timeDilation();
        this.campaignWaitMillis = 2 * staggerMillis;
        this.executor = executor;
        this.raftClock = raftClock;
        this.raftNode = raftNode;
        this.periodSecs = config.heartbeatPeriodSecs();
        // MicroRaft acts at its first heartbeat tick after the timeout: at most T + P. One more P of margin.
        this.silenceLimitMillis = (config.heartbeatTimeoutSecs() + 2 * config.heartbeatPeriodSecs()) * 1000;
    }

    /** A message about to be handed to MicroRaft. Node thread. */
    void beforeHandle(RaftMessage message) {
        if (message instanceof AppendEntriesRequest || message instanceof InstallSnapshotRequest) {
            long now = raftClock.millis();
            lastHeardMillis.put(message.getSender().getId(), now);
            if (armedAtMillis < 0) {
                // Nothing can be stuck naming a leader before some leader spoke.
                armedAtMillis = now;
                executor.schedule(this::checkLeaderSilence, periodSecs, TimeUnit.SECONDS);
            }
        } else if (message instanceof PreVoteResponse response && !response.isGranted()) {
            // Queued, so it runs right before MicroRaft's handler of the same response.
            executor.execute(() -> adoptHigherTerm(response));
        }
    }

    /**
     * A message MicroRaft has been handed (its handler is queued on the executor, so tasks queued here run after it).
     * Node thread.
     */
    void afterHandle(RaftMessage message) {
        if (message instanceof VoteRequest request) {
            executor.execute(() -> restartTimerIfVoted(request));
        } else if (message instanceof AppendEntriesRequest || message instanceof InstallSnapshotRequest) {
            executor.execute(() -> noteLeaderContact(message.getSender()));
        }
    }

    /**
     * A message MicroRaft is sending (on its own thread, the node thread). A granted pre-vote means a campaign this
     * follower would only disturb is under way: see "Staggered candidates".
     */
    void beforeSend(RaftMessage message) {
        if (message instanceof PreVoteResponse response && response.isGranted() && campaignWaitMillis > 0) {
            campaignSeenMillis = raftClock.millis();
        }
    }

    /** Times a follower's heartbeat tick was deferred to its rank's turn. */
    long staggeredTicks() {
        return staggeredTicks;
    }

    /**
     * Before each run of MicroRaft's heartbeat task: node ms to defer it by, 0 to run it now. See "Staggered
     * candidates". Node thread.
     */
    long heartbeatTickDeferralMs() {
        if (staggerMillis == 0 || lastContactMillis < 0) {
            return 0;
        }
        RaftNodeImpl node = running();
        if (node == null) {
            return 0;
        }
        RaftState state = node.state();
        RaftEndpoint leader = state.leader();
        if (state.role() != RaftRole.FOLLOWER || leader == null) {
            return 0;
        }
        long now = raftClock.millis();
        long turn = lastContactMillis + timeoutMillis + firstMarginMillis + rank(state, leader) * staggerMillis;
        if (campaignSeenMillis > lastContactMillis) {
            turn = Math.max(turn, campaignSeenMillis + campaignWaitMillis);
        }
        long waitMillis = turn - now;
        if (waitMillis <= 0) {
            // Our turn. MicroRaft restarted its timer a moment after we noted the contact, or on something we do
            // not see: wait the few ms until it agrees, else this tick would do nothing and the next be P later.
            if (node.isLeaderHeartbeatTimeoutElapsed()) {
                if (state.preCandidateState() != null) {
                    dropStalePreVote(node, state, leader, now - lastContactMillis, false);
                }
                return 0;
            }
            return waitMillis < -periodMillis ? 0 : 1;
        }
        if (node.isLeaderHeartbeatTimeoutElapsed() || waitMillis < periodMillis) {
            staggeredTicks++;
            return DilatedClock.toNodeMillis(waitMillis * 1_000_000L, raftClock.factor());
        }
        return 0; // the leader spoke recently: nothing to do at this tick, and the next one is before our turn
    }

    /** This follower's place among those that may replace {@code leader}: 0 acts first. */
    private long rank(RaftState state, RaftEndpoint leader) {
        Set<String> excluded = witnesses.get();
        List<String> survivors = new ArrayList<>();
        for (RaftEndpoint e : state.committedGroupMembers().getVotingMembers()) {
            String id = (String) e.getId();
            if (!e.equals(leader) && !excluded.contains(id)) {
                survivors.add(id);
            }
        }
        survivors.sort(null);
        int index = survivors.indexOf((String) state.localEndpoint().getId());
        if (index < 0) {
            return 0;
        }
        return Math.floorMod(index + state.term(), survivors.size());
    }

    private void noteLeaderContact(RaftEndpoint sender) {
        RaftNodeImpl node = running();
        if (node != null && sender.equals(node.state().leader())) {
            lastContactMillis = raftClock.millis();
        }
    }

    /** Times this follower restarted its leader timer after voting for a candidate. */
    long voteTimerResets() {
        return voteTimerResets;
    }

    /** Times this follower dropped a silent leader that MicroRaft would never have dropped. */
    long stuckFollowerResets() {
        return stuckFollowerResets;
    }

    /** Times this follower moved to a higher term carried by a refused pre-vote. */
    long higherTermsAdopted() {
        return higherTermsAdopted;
    }

    /** Times a candidate whose round timed out ran a pre-vote instead of raising its term at once. */
    long candidateRoundsRetriedWithPreVote() {
        return candidateRoundsRetriedWithPreVote;
    }

    /**
     * Runs in place of MicroRaft's {@code LeaderElectionTimeoutTask} ({@link RaftExecutor} hands it over). MicroRaft's
     * task acts only on a candidate, so for any other role this does nothing either.
     */
    void candidateRoundTimedOut() {
        RaftNodeImpl node = running();
        if (node == null) {
            return;
        }
        RaftState state = node.state();
        if (state.role() != RaftRole.CANDIDATE) {
            return;
        }
        candidateRoundsRetriedWithPreVote++;
        log.debug("consensus: {} election round of term {} timed out; pre-voting before another", self, state.term());
        node.toFollower(state.term());
        node.runPreVote();
    }

    private void restartTimerIfVoted(VoteRequest request) {
        RaftNodeImpl node = running();
        if (node == null) {
            return;
        }
        RaftState state = node.state();
        if (state.role() == RaftRole.FOLLOWER && state.leader() == null && state.term() == request.getTerm()
                && request.getSender().equals(state.votedEndpoint())) {
            voteTimerResets++;
            node.leaderHeartbeatReceived();
            lastContactMillis = raftClock.millis();
        }
    }

    /**
     * A follower whose own pre-vote its leader's AppendEntries overtook, now that leader is silent: MicroRaft's
     * heartbeat task would do nothing about it (see "A follower stuck naming a dead leader"), so do what it would have
     * done. Either at this follower's turn (routine under load: INFO) or, failing that, at the watchdog's silence limit
     * (WARN: a turn was missed).
     */
    private void dropStalePreVote(RaftNodeImpl node, RaftState state, RaftEndpoint leader, long silentMillis,
                                  boolean byWatchdog) {
        stuckFollowerResets++;
        String line = "consensus: {} drops leader {} of term {}: nothing from it for {} ms and its own earlier pre-vote,"
                + " overtaken by that leader, keeps MicroRaft from electing a new one; starting a pre-vote";
        Object[] args = {self, leader.getId(), state.term(), silentMillis / raftClock.factor()};
        if (byWatchdog) {
            log.warn(line, args);
        } else {
            log.info(line, args);
        }
        node.toFollower(state.term());
        node.runPreVote();
    }

    private void checkLeaderSilence() {
        RaftNodeImpl node = running();
        if (node == null) {
            return;
        }
        try {
            RaftState state = node.state();
            RaftEndpoint leader = state.leader();
            if (state.role() == RaftRole.FOLLOWER && leader != null && state.preCandidateState() != null) {
                long silentMillis = raftClock.millis() - lastHeardMillis.getOrDefault(leader.getId(), armedAtMillis);
                if (silentMillis > silenceLimitMillis) {
                    dropStalePreVote(node, state, leader, silentMillis, true);
                }
            }
        } finally {
            executor.schedule(this::checkLeaderSilence, periodSecs, TimeUnit.SECONDS);
        }
    }

    private void adoptHigherTerm(PreVoteResponse response) {
        RaftNodeImpl node = running();
        if (node == null) {
            return;
        }
        RaftState state = node.state();
        int term = state.term();
        if (state.role() == RaftRole.FOLLOWER && state.preCandidateState() != null
                && state.isKnownMember(response.getSender()) && response.getTerm() > term + 1) {
            higherTermsAdopted++;
            // INFO like MicroRaft's own term moves: routine once a node has been cut off.
            log.info("consensus: {} moves from term {} to term {}: {} refused its pre-vote with that term, which"
                    + " MicroRaft would ignore", self, term, response.getTerm(), response.getSender().getId());
            node.toFollower(response.getTerm());
        }
    }

    private RaftNodeImpl running() {
        if (raftNode.get() instanceof RaftNodeImpl node && !RaftNodeStatus.isTerminal(node.getStatus())) {
            return node;
        }
        return null;
    }
}
