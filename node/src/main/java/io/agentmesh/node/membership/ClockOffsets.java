package io.agentmesh.node.membership;

import io.agentmesh.protocol.identity.NodeId;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Each connected peer's clock offset as the newest heartbeat round trip estimates it (NTP's midpoint rule): the peer
 * read its wall clock somewhere between our send and our receipt, so {@code offset = peerWall - (sent + received) / 2}
 * is off by at most half the round trip. Only the newest sample per peer is kept; a peer that disconnects is
 * forgotten. Node thread only.
 */
public final class ClockOffsets {
    /** One estimate: the peer's clock minus ours, and how far off that can be. */
    public record Estimate(long offsetMs, long errorMs) {
    }

    private final Map<NodeId, Estimate> newest = new TreeMap<>();

    /**
     * A heartbeat answered: {@code peerWallMillis} from the ack, {@code receivedWallMillis} our wall clock on receipt,
     * {@code roundTripNanos} from our monotonic clock (a wall-clock step during the round trip does not distort it).
     */
    public Estimate sample(NodeId peer, long peerWallMillis, long receivedWallMillis, long roundTripNanos) {
        if (roundTripNanos < 0) {
            throw new IllegalArgumentException("roundTripNanos must not be negative, got " + roundTripNanos);
        }
        long roundTripMs = Math.ceilDiv(roundTripNanos, 1_000_000L);
        // (sent + received) / 2 with sent = received - roundTrip, in millis; the error rounds up.
        long midpointMs = receivedWallMillis - roundTripNanos / 2_000_000L;
        Estimate e = new Estimate(peerWallMillis - midpointMs, Math.ceilDiv(roundTripMs, 2));
        newest.put(peer, e);
        return e;
    }

    public Optional<Estimate> of(NodeId peer) {
        return Optional.ofNullable(newest.get(peer));
    }

    public void forget(NodeId peer) {
        newest.remove(peer);
    }
}
