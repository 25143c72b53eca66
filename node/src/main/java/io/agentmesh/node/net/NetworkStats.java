package io.agentmesh.node.net;

import java.util.Map;

/**
 * A snapshot of {@link NettyNetwork}'s counters since it started. Bytes count whole frames including the 4-byte
 * length prefix, before TLS.
 *
 * @param framesIn              frames received and decoded
 * @param bytesIn               bytes of frames received
 * @param framesOut             frames handed to the connection for sending
 * @param bytesOut              bytes of those frames
 * @param malformedFrames       frames that did not decode (connection closed)
 * @param oversizedFrames       frames over {@code maxFrameBytes} (connection closed)
 * @param connectionsOpened     TCP connections established (both directions)
 * @param connectionsClosed     TCP connections closed
 * @param authFailures          connections refused before being reported up, by reason
 * @param sendsRejected         {@code send} calls that returned false (not connected, buffer full, unencodable)
 * @param framesDroppedByFaults frames dropped by the fault injector (both directions)
 * @param connectsBlockedByFaults connections or dials refused by the fault injector
 * @param relayDialAttempts     circuits requested from relays after a direct dial failed
 * @param relayDialFailures     of those, the ones that did not produce an authenticated connection
 * @param relayAttaches         circuits this node attached to as the target (asked by a relay)
 * @param relayedConnections    connections through a relay that authenticated (both directions)
 * @param relayIntegrityFailures connections through a relay whose TLS broke on altered bytes (relay avoided)
 * @param directProbes          direct dials tried to peers connected through a relay
 * @param directUpgrades        relayed connections replaced by a direct one
 */
public record NetworkStats(long framesIn, long bytesIn, long framesOut, long bytesOut, long malformedFrames,
                           long oversizedFrames, long connectionsOpened, long connectionsClosed,
                           Map<AuthFailure, Long> authFailures, long sendsRejected, long framesDroppedByFaults,
                           long connectsBlockedByFaults, long relayDialAttempts, long relayDialFailures,
                           long relayAttaches, long relayedConnections, long relayIntegrityFailures,
                           long directProbes, long directUpgrades) {
    public NetworkStats {
        authFailures = Map.copyOf(authFailures);
    }

    /** Refusals for {@code reason} (0 when none). */
    public long authFailures(AuthFailure reason) {
        return authFailures.getOrDefault(reason, 0L);
    }

    public long totalAuthFailures() {
        return authFailures.values().stream().mapToLong(Long::longValue).sum();
    }
}
