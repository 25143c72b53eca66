package io.agentmesh.node.metrics;

import io.agentmesh.node.net.AuthFailure;
import io.agentmesh.node.net.NetworkStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The mesh transport's counters and what it refused, from {@link NetworkStats} (atomic counters, readable from any
 * thread). {@link #refresh()} takes one snapshot per scrape; the meters read that snapshot.
 *
 * <pre>
 * agentmesh_connections_opened_total, agentmesh_connections_closed_total
 * agentmesh_frames_received_total, agentmesh_frames_sent_total
 * agentmesh_received_bytes_total, agentmesh_sent_bytes_total
 * agentmesh_rejected_inputs_total{source="transport", reason}   malformed or oversized frames, refused handshakes
 * agentmesh_rejected_inputs_total{source="http", reason}        API requests refused by the access rule
 * </pre>
 */
public final class TransportMeters {
    private final Supplier<NetworkStats> stats;
    private final Supplier<Map<String, Long>> httpRefusals;
    private volatile NetworkStats last;
    private volatile Map<String, Long> lastHttp = Map.of();

    /**
     * @param stats        the transport's counters (any thread)
     * @param httpRefusals API requests refused by the access rule, by reason (any thread); a reason appears once
     *                     its first refusal does
     */
    public TransportMeters(MeterRegistry registry, Supplier<NetworkStats> stats,
                           Supplier<Map<String, Long>> httpRefusals) {
        this.stats = Objects.requireNonNull(stats, "stats");
        this.httpRefusals = Objects.requireNonNull(httpRefusals, "httpRefusals");
        this.last = stats.get();
        counter(registry, "agentmesh.connections.opened", "mesh TCP connections established, both directions",
                NetworkStats::connectionsOpened);
        counter(registry, "agentmesh.connections.closed", "mesh TCP connections closed",
                NetworkStats::connectionsClosed);
        counter(registry, "agentmesh.frames.received", "mesh frames received and decoded", NetworkStats::framesIn);
        counter(registry, "agentmesh.frames.sent", "mesh frames handed to a connection", NetworkStats::framesOut);
        FunctionCounter.builder("agentmesh.received", this, m -> m.last.bytesIn()).baseUnit("bytes")
                .description("bytes of mesh frames received (before TLS)").register(registry);
        FunctionCounter.builder("agentmesh.sent", this, m -> m.last.bytesOut()).baseUnit("bytes")
                .description("bytes of mesh frames sent (before TLS)").register(registry);
        rejected(registry, "malformed_frame", NetworkStats::malformedFrames);
        rejected(registry, "oversized_frame", NetworkStats::oversizedFrames);
        for (AuthFailure reason : AuthFailure.values()) {
            rejected(registry, "handshake_" + reason.name().toLowerCase(Locale.ROOT), s -> s.authFailures(reason));
        }
        for (String reason : new String[]{"unauthorized", "cross_origin", "wrong_host"}) {
            FunctionCounter.builder("agentmesh.rejected.inputs", this, m -> m.lastHttp.getOrDefault(reason, 0L))
                    .description(REJECTED_HELP).tag("source", "http").tag("reason", reason).register(registry);
        }
    }

    private static final String REJECTED_HELP = CoreMeters.REJECTED_INPUTS_HELP;

    /** Takes the snapshot the next scrape renders. Any thread. */
    public void refresh() {
        last = stats.get();
        lastHttp = Map.copyOf(httpRefusals.get());
    }

    private void counter(MeterRegistry registry, String name, String help, ToLongFunction<NetworkStats> read) {
        FunctionCounter.builder(name, this, m -> read.applyAsLong(m.last)).description(help).register(registry);
    }

    private void rejected(MeterRegistry registry, String reason, ToLongFunction<NetworkStats> read) {
        FunctionCounter.builder("agentmesh.rejected.inputs", this, m -> read.applyAsLong(m.last))
                .description(REJECTED_HELP).tag("source", "transport").tag("reason", reason).register(registry);
    }
}
