package io.agentmesh.node.consensus;

import io.microraft.RaftConfig;

import io.agentmesh.node.actions.ActionJournal;
/**
 * Consensus and action settings.
 *
 * <h2>Why time dilation</h2>
 * MicroRaft 0.7 takes its heartbeat period and leader-failure timeout in whole seconds, and a follower notices a dead
 * leader only when its heartbeat task, running every period P, sees that no heartbeat arrived for T. With the
 * smallest allowed values (P = T = 1 s) a kill is detected 0 to 2 s later, so p99 failover cannot get under the 1 s
 * goal; MicroRaft's defaults (P = 2, T = 10) give 11-12 s. But MicroRaft reads time only through the injected
 * {@link java.time.Clock} (and only ever subtracts readings) and waits only through the injected executor. So we run
 * it on a clock that goes {@code timeDilation} times faster than the node's and shrink every delay it schedules by
 * the same factor ({@link DilatedClock}, {@link RaftExecutor}). Its algorithm sees P = 1 s, T = 3 s; the network sees
 * a heartbeat every 100 ms and a leader declared dead after 300 ms without one (with k = 10). Election timeouts of
 * 1000 ms + 0..99 ms noise become 100..110 ms, the leader's backoff tick 25 ms.
 *
 * <p>Expected failover with the defaults: detection 200-400 ms after a kill (a follower polls every 100 ms for a
 * heartbeat older than 300 ms), then a pre-vote and a vote round (a few ms plus two fsyncs), plus at worst one lost
 * round of 100-110 ms: under 0.6 s, leaving room for the new leader's first commit and its first action within 1 s.
 * T = 3P rather than T = P also keeps MicroRaft's leadership transfer working (it gives up when T <= tries * P) and
 * tolerates two lost heartbeats before a leader is deposed.
 *
 * <p>The price: a GC pause or an fsync stall longer than T (300 ms) on the leader's node deposes it. That costs
 * availability for a moment, never safety.
 *
 * <h2>Split votes</h2>
 * Dilation also shrinks MicroRaft's fixed 0-99 ms election noise to 0-10 ms. That still breaks ties on a LAN, but once
 * the round trip nears 10 ms two candidates keep colliding round after round (simulated, 3 nodes, 25 ms one way: p99
 * failover 7 s). {@link RaftExecutor} therefore adds 0..{@code electionJitterMs} of seeded random delay to MicroRaft's
 * election and pre-vote timeouts (only those: it recognises their task classes), which only affects liveness. Keep
 * {@code electionJitterMs} at several round trips. The bound doubles, up to 8 times the base, while rounds keep ending
 * without a leader ({@link ElectionBackoff}), because on a loaded machine the round trip itself stretches to the
 * length of a round. For links slower than ~50 ms one way, also lower the dilation: T must stay well above the round
 * trip.
 *
 * <p>Jitter only thins collisions out; survivors of a dead leader still notice its silence within one heartbeat period
 * of each other and, on a loaded machine, pre-vote within one round trip of each other. So followers are also
 * staggered: each one acts on the silence {@code electionStaggerMs} after the one ranked before it, in an order every
 * survivor computes alike ({@link ElectionLiveness}, "Staggered candidates"), and the first usually has won before the
 * second starts.
 *
 * @param timeDilation              k: how much faster MicroRaft's clock runs than the node's (>= 1)
 * @param heartbeatPeriodSecs       P in MicroRaft (dilated) seconds
 * @param heartbeatTimeoutSecs      T in MicroRaft (dilated) seconds, >= P
 * @param electionTimeoutMillis     MicroRaft's election round timeout (dilated ms; MicroRaft adds 0-99 ms noise)
 * @param appendEntriesBatchSize    log entries per AppendEntries message; journal entries are at most ~260 KiB, so
 *                                  this bounds a message well under the 16 MiB frame limit
 * @param commitCountToTakeSnapshot snapshot every this many commits; MicroRaft preallocates its log ring for this
 *                                  many entries plus {@code maxPendingLogEntryCount}
 * @param maxPendingLogEntryCount   uncommitted entries the leader accepts before replicate() pushes back
 * @param reportPeriodSecs          MicroRaft's periodic report (dilated seconds)
 * @param maxInFlightActions        intents the leader claims or performs at the same time
 * @param pollIntervalMs            how often (node ms) the leader looks for pending intents; it also looks at once
 *                                  when it becomes leader and when the node core calls {@link ConsensusNode#nudge()}
 * @param journalRetainCompleted    completed journal entries kept in full; older ones shrink to a tombstone id
 * @param electionJitterMs          extra random delay (node ms, 0..this) added to MicroRaft's election and pre-vote
 *                                  round timeouts; see "Split votes" above
 * @param electionStaggerMs         node ms between the moments two followers of a silent leader may start a pre-vote,
 *                                  in a rank order all of them compute alike; 0: every follower acts at its next
 *                                  heartbeat tick after the timeout, as MicroRaft does (see "Split votes" above and
 *                                  {@link ElectionLiveness}, "Staggered candidates")
 */
public record ConsensusConfig(int timeDilation,
                              long heartbeatPeriodSecs,
                              long heartbeatTimeoutSecs,
                              long electionTimeoutMillis,
                              int appendEntriesBatchSize,
                              int commitCountToTakeSnapshot,
                              int maxPendingLogEntryCount,
                              int reportPeriodSecs,
                              int maxInFlightActions,
                              long pollIntervalMs,
                              int journalRetainCompleted,
                              long electionJitterMs,
                              long electionStaggerMs) {

    public ConsensusConfig {
        positive(timeDilation, "timeDilation");
        positive(heartbeatPeriodSecs, "heartbeatPeriodSecs");
        positive(heartbeatTimeoutSecs, "heartbeatTimeoutSecs");
        positive(electionTimeoutMillis, "electionTimeoutMillis");
        positive(appendEntriesBatchSize, "appendEntriesBatchSize");
        positive(commitCountToTakeSnapshot, "commitCountToTakeSnapshot");
        positive(maxPendingLogEntryCount, "maxPendingLogEntryCount");
        positive(reportPeriodSecs, "reportPeriodSecs");
        positive(maxInFlightActions, "maxInFlightActions");
        positive(pollIntervalMs, "pollIntervalMs");
        positive(journalRetainCompleted, "journalRetainCompleted");
        if (electionJitterMs < 0) {
            throw new IllegalArgumentException("electionJitterMs must be >= 0, got " + electionJitterMs);
        }
        if (electionStaggerMs < 0) {
            throw new IllegalArgumentException("electionStaggerMs must be >= 0, got " + electionStaggerMs);
        }
        if (heartbeatTimeoutSecs < heartbeatPeriodSecs) {
            throw new IllegalArgumentException("heartbeatTimeoutSecs (" + heartbeatTimeoutSecs
                    + ") must be at least heartbeatPeriodSecs (" + heartbeatPeriodSecs + ")");
        }
        if (electionTimeoutMillis > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("MicroRaft casts electionTimeoutMillis to an int");
        }
    }

    /** k = 10, P = 1 s, T = 3 s, election 1000 ms: 100 ms heartbeats and 300 ms failure detection in node time. */
    public static ConsensusConfig defaults() {
        // Polling reads every intent in the document (no index yet), so it runs every 250 ms, not continuously;
        // a local request and a new leadership look at once.
        return new ConsensusConfig(10, 1, 3, 1000, 64, 10_000, 1000, 60, 16, 250, 10_000, 50, 60);
    }

    public ConsensusConfig withTimeDilation(int k) {
        return new ConsensusConfig(k, heartbeatPeriodSecs, heartbeatTimeoutSecs, electionTimeoutMillis,
                appendEntriesBatchSize, commitCountToTakeSnapshot, maxPendingLogEntryCount, reportPeriodSecs,
                maxInFlightActions, pollIntervalMs, journalRetainCompleted, electionJitterMs, electionStaggerMs);
    }

    public ConsensusConfig withCommitCountToTakeSnapshot(int count) {
        return new ConsensusConfig(timeDilation, heartbeatPeriodSecs, heartbeatTimeoutSecs, electionTimeoutMillis,
                appendEntriesBatchSize, count, maxPendingLogEntryCount, reportPeriodSecs, maxInFlightActions,
                pollIntervalMs, journalRetainCompleted, electionJitterMs, electionStaggerMs);
    }

    public ConsensusConfig withElectionJitterMs(long jitter) {
        return new ConsensusConfig(timeDilation, heartbeatPeriodSecs, heartbeatTimeoutSecs, electionTimeoutMillis,
                appendEntriesBatchSize, commitCountToTakeSnapshot, maxPendingLogEntryCount, reportPeriodSecs,
                maxInFlightActions, pollIntervalMs, journalRetainCompleted, jitter, electionStaggerMs);
    }

    public ConsensusConfig withElectionStaggerMs(long stagger) {
        return new ConsensusConfig(timeDilation, heartbeatPeriodSecs, heartbeatTimeoutSecs, electionTimeoutMillis,
                appendEntriesBatchSize, commitCountToTakeSnapshot, maxPendingLogEntryCount, reportPeriodSecs,
                maxInFlightActions, pollIntervalMs, journalRetainCompleted, electionJitterMs, stagger);
    }

    /** Heartbeat period as the network sees it, in node milliseconds. */
    public double heartbeatPeriodNodeMillis() {
        return heartbeatPeriodSecs * 1000.0 / timeDilation;
    }

    /** Leader-failure timeout as the network sees it, in node milliseconds. */
    public double heartbeatTimeoutNodeMillis() {
        return heartbeatTimeoutSecs * 1000.0 / timeDilation;
    }

    /** The MicroRaft configuration, in MicroRaft's (dilated) units. */
    public RaftConfig toRaftConfig() {
        return RaftConfig.newBuilder()
                .setLeaderElectionTimeoutMillis(electionTimeoutMillis)
                .setLeaderHeartbeatPeriodSecs(heartbeatPeriodSecs)
                .setLeaderHeartbeatTimeoutSecs(heartbeatTimeoutSecs)
                .setAppendEntriesRequestBatchSize(appendEntriesBatchSize)
                .setCommitCountToTakeSnapshot(commitCountToTakeSnapshot)
                .setMaxPendingLogEntryCount(maxPendingLogEntryCount)
                .setRaftNodeReportPublishPeriodSecs(reportPeriodSecs)
                // Only the leader serves snapshot chunks to a lagging peer: a witness's snapshot holds nothing of the
                // action journal (WitnessStateMachine), so a member that installed chunks from a witness would lose
                // its claims. A witness never leads, so every snapshot a member installs is a journal's.
                .setTransferSnapshotsFromFollowersEnabled(false)
                .build();
    }

    private static void positive(long v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }
}
