package io.agentmesh.node.membership;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.identity.NodeId;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decides that a connected peer is gone when nothing (message or heartbeat) has arrived from it for
 * {@code suspectAfterMs}. A TCP connection can stay open long after the process behind it froze or the path died;
 * this catches it in bounded time, which leader failover depends on. Node thread only.
 */
public final class FailureDetector {
    private final Clock clock;
    private final long suspectAfterMs;
    private final Map<NodeId, Long> lastHeardNanos = new TreeMap<>();
    private final Map<NodeId, Long> roundTripNanos = new TreeMap<>();

    public FailureDetector(Clock clock, long suspectAfterMs) {
        if (suspectAfterMs < 1) {
            throw new IllegalArgumentException("suspectAfterMs must be positive");
        }
        this.clock = clock;
        this.suspectAfterMs = suspectAfterMs;
    }

    public void up(NodeId peer) {
        lastHeardNanos.put(peer, clock.monotonicNanos());
    }

    public void down(NodeId peer) {
        lastHeardNanos.remove(peer);
        roundTripNanos.remove(peer);
    }

    public void heard(NodeId peer) {
        lastHeardNanos.computeIfPresent(peer, (p, old) -> clock.monotonicNanos());
    }

    public void roundTrip(NodeId peer, long nanos) {
        if (lastHeardNanos.containsKey(peer) && nanos >= 0) {
            roundTripNanos.put(peer, nanos);
        }
    }

    /** Peers silent for longer than the limit, in id order. */
    public List<NodeId> suspects() {
        long now = clock.monotonicNanos();
        List<NodeId> out = new ArrayList<>();
        lastHeardNanos.forEach((peer, heard) -> {
            if (now - heard > suspectAfterMs * 1_000_000L) {
                out.add(peer);
            }
        });
        return out;
    }

    /** Milliseconds since {@code peer} was last heard, or -1 when it is not connected. */
    public long silenceMs(NodeId peer) {
        Long heard = lastHeardNanos.get(peer);
        return heard == null ? -1 : (clock.monotonicNanos() - heard) / 1_000_000L;
    }

    public long roundTripMicros(NodeId peer) {
        Long rtt = roundTripNanos.get(peer);
        return rtt == null ? -1 : rtt / 1_000L;
    }
}
