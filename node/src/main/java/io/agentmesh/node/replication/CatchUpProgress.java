package io.agentmesh.node.replication;

import io.agentmesh.state.store.VersionVector;
import io.agentmesh.protocol.change.ActorId;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The catch-up a node does at start or when it joins, as log lines (`node run` prints its log): the changes its peers'
 * last digests show it lacks, how many it has received since the catch-up began, and when it is caught up. The normal
 * trickle (a change a peer just made, not yet pushed here) is not a catch-up: only a gap that lasts
 * {@link #START_AFTER_MS} or counts {@link #START_AT_CHANGES} changes is reported. Node thread only; time from the
 * caller.
 */
public final class CatchUpProgress {
    static final long START_AFTER_MS = 2_000;
    static final long START_AT_CHANGES = 1_000;
    static final long LINE_EVERY_MS = 5_000;

    private long gapSinceMs = -1;
    private boolean reporting;
    private long startedMs;
    private long baseline;
    private long lastLineMs;

    /**
     * One look at where this node stands against its peers' last digests; a line to log when there is news (started,
     * a periodic line while it lasts, caught up).
     */
    public Optional<String> tick(long nowMs, VersionVector mine, Collection<VersionVector> peers) {
        long missing = missing(mine, peers);
        long have = mine.total();
        if (missing == 0) {
            gapSinceMs = -1;
            if (!reporting) {
                return Optional.empty();
            }
            reporting = false;
            return Optional.of(String.format(Locale.ROOT, "caught up with %d peer(s): received %d change(s) in %.1f s",
                    peers.size(), have - baseline, (nowMs - startedMs) / 1000.0));
        }
        if (gapSinceMs < 0) {
            gapSinceMs = nowMs;
            baseline = have;
        }
        if (!reporting) {
            if (nowMs - gapSinceMs < START_AFTER_MS && missing < START_AT_CHANGES) {
                return Optional.empty();
            }
            reporting = true;
            startedMs = gapSinceMs;
            lastLineMs = nowMs;
            return Optional.of("catching up: " + missing + " change(s) missing that peers hold, "
                    + (have - baseline) + " received so far");
        }
        if (nowMs - lastLineMs < LINE_EVERY_MS) {
            return Optional.empty();
        }
        lastLineMs = nowMs;
        long received = have - baseline;
        return Optional.of(String.format(Locale.ROOT, "catching up: received %d, %d still missing (%d%%), %.1f s",
                received, missing, received * 100 / Math.max(1, received + missing), (nowMs - startedMs) / 1000.0));
    }

    /** Per actor, what the most advanced peer holds beyond this node, summed. */
    static long missing(VersionVector mine, Collection<VersionVector> peers) {
        Map<ActorId, Long> best = new java.util.TreeMap<>();
        for (VersionVector p : peers) {
            p.seqs().forEach((actor, seq) -> best.merge(actor, seq, Math::max));
        }
        long missing = 0;
        for (Map.Entry<ActorId, Long> e : best.entrySet()) {
            missing += Math.max(0, e.getValue() - mine.get(e.getKey()));
        }
        return missing;
    }
}
