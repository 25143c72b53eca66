package io.agentmesh.node.limits;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's input limits (docs/security.md, "Limits"), and the counters of what they slowed and cut off, read by
 * {@code metrics.TransportMeters} as {@code agentmesh_rejected_inputs_total{source, reason="rate_limited"}} (inputs
 * over a limit: delayed frames, 429 answers) and {@code reason="rate_limit_disconnect"} (sources disconnected).
 * Thread-safe.
 */
public final class Limits {
    /** An episode ends after this long with nothing over the limit. */
    public static final long EPISODE_QUIET_MS = 2_000;

    private final PeerLimits peers;
    private final ClientLimits clients;
    private final AtomicLong peerSlowed = new AtomicLong();
    private final AtomicLong peerDisconnects = new AtomicLong();
    private final AtomicLong clientThrottled = new AtomicLong();
    private final AtomicLong clientDisconnects = new AtomicLong();

    public Limits(PeerLimits peers, ClientLimits clients) {
        this.peers = Objects.requireNonNull(peers, "peers");
        this.clients = Objects.requireNonNull(clients, "clients");
    }

    public static Limits defaults() {
        return new Limits(PeerLimits.defaults(), ClientLimits.defaults());
    }

    public PeerLimits peers() {
        return peers;
    }

    public ClientLimits clients() {
        return clients;
    }

    /** A peer's frame arrived over its limit (reads paused). */
    public void peerSlowed() {
        peerSlowed.incrementAndGet();
    }

    public void peerDisconnected() {
        peerDisconnects.incrementAndGet();
    }

    /** A client got a 429. */
    public void clientThrottled() {
        clientThrottled.incrementAndGet();
    }

    public void clientDisconnected() {
        clientDisconnects.incrementAndGet();
    }

    /** Counts by source ({@code transport}, {@code http}) and reason ({@code rate_limited}, {@code rate_limit_disconnect}). */
    public Map<String, Map<String, Long>> counts() {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        out.put("transport", Map.of("rate_limited", peerSlowed.get(), "rate_limit_disconnect", peerDisconnects.get()));
        out.put("http", Map.of("rate_limited", clientThrottled.get(), "rate_limit_disconnect", clientDisconnects.get()));
        return out;
    }

    static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }
}
