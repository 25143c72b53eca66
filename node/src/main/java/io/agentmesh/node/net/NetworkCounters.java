package io.agentmesh.node.net;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The live counters behind {@link NetworkStats}; updated from event-loop threads, read by {@link #snapshot()}. */
final class NetworkCounters {
    final AtomicLong framesIn = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong framesOut = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong malformedFrames = new AtomicLong();
    final AtomicLong oversizedFrames = new AtomicLong();
    final AtomicLong connectionsOpened = new AtomicLong();
    final AtomicLong connectionsClosed = new AtomicLong();
    final AtomicLong sendsRejected = new AtomicLong();
    final AtomicLong framesDroppedByFaults = new AtomicLong();
    final AtomicLong connectsBlockedByFaults = new AtomicLong();
    final AtomicLong relayDialAttempts = new AtomicLong();
    final AtomicLong relayDialFailures = new AtomicLong();
    final AtomicLong relayAttaches = new AtomicLong();
    final AtomicLong relayedConnections = new AtomicLong();
    final AtomicLong relayIntegrityFailures = new AtomicLong();
    final AtomicLong directProbes = new AtomicLong();
    final AtomicLong directUpgrades = new AtomicLong();
    private final Map<AuthFailure, AtomicLong> authFailures = new EnumMap<>(AuthFailure.class);

    NetworkCounters() {
        for (AuthFailure f : AuthFailure.values()) {
            authFailures.put(f, new AtomicLong());
        }
    }

    void authFailure(AuthFailure reason) {
        authFailures.get(reason).incrementAndGet();
    }

    NetworkStats snapshot() {
        Map<AuthFailure, Long> failures = new EnumMap<>(AuthFailure.class);
        authFailures.forEach((k, v) -> {
            long n = v.get();
            if (n > 0) {
                failures.put(k, n);
            }
        });
        return new NetworkStats(framesIn.get(), bytesIn.get(), framesOut.get(), bytesOut.get(),
                malformedFrames.get(), oversizedFrames.get(), connectionsOpened.get(), connectionsClosed.get(),
                failures, sendsRejected.get(), framesDroppedByFaults.get(), connectsBlockedByFaults.get(),
                relayDialAttempts.get(), relayDialFailures.get(), relayAttaches.get(), relayedConnections.get(),
                relayIntegrityFailures.get(), directProbes.get(), directUpgrades.get());
    }
}
