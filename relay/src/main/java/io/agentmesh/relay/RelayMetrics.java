package io.agentmesh.relay;

import io.agentmesh.relay.protocol.ErrorCode;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The relay's counters and gauges, rendered in the Prometheus text format by {@link #prometheus()}. Counters only
 * grow; gauges are read from the live state when rendered.
 */
public final class RelayMetrics {
    final AtomicLong connectionsAccepted = new AtomicLong();
    final AtomicLong registrations = new AtomicLong();
    final AtomicLong refreshes = new AtomicLong();
    final AtomicLong registrationsExpired = new AtomicLong();
    final AtomicLong lookups = new AtomicLong();
    final AtomicLong recordsServed = new AtomicLong();
    final AtomicLong circuitsOpened = new AtomicLong();
    final AtomicLong circuitsClosed = new AtomicLong();
    final AtomicLong circuitsClosedByByteLimit = new AtomicLong();
    final AtomicLong circuitsClosedByTimeLimit = new AtomicLong();
    final AtomicLong circuitBytes = new AtomicLong();
    final AtomicLong tlsHandshakesFailed = new AtomicLong();
    final AtomicLong controlRequestsSlowed = new AtomicLong();
    private final Map<ErrorCode, AtomicLong> refusals = new EnumMap<>(ErrorCode.class);
    private final Map<String, LongSupplier> gauges = new LinkedHashMap<>();

    RelayMetrics() {
        for (ErrorCode c : ErrorCode.values()) {
            refusals.put(c, new AtomicLong());
        }
    }

    void refused(ErrorCode code) {
        refusals.get(code).incrementAndGet();
    }

    void gauge(String name, LongSupplier value) {
        gauges.put(name, value);
    }

    /** Requests refused with {@code code} since start. */
    /** Registrations and lookups made to wait because their source was over its limit. */
    public long controlRequestsSlowed() {
        return controlRequestsSlowed.get();
    }

    public long refusals(ErrorCode code) {
        return refusals.get(code).get();
    }

    /** Every counter and gauge by its Prometheus name (labels folded into the name), for tests and status. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("connections_accepted_total", connectionsAccepted.get());
        m.put("registrations_total", registrations.get());
        m.put("refreshes_total", refreshes.get());
        m.put("registrations_expired_total", registrationsExpired.get());
        m.put("lookups_total", lookups.get());
        m.put("records_served_total", recordsServed.get());
        m.put("circuits_opened_total", circuitsOpened.get());
        m.put("circuits_closed_total", circuitsClosed.get());
        m.put("circuits_closed_byte_limit_total", circuitsClosedByByteLimit.get());
        m.put("circuits_closed_time_limit_total", circuitsClosedByTimeLimit.get());
        m.put("circuit_bytes_total", circuitBytes.get());
        m.put("tls_handshakes_failed_total", tlsHandshakesFailed.get());
        refusals.forEach((k, v) -> m.put("refusals_total{reason=\"" + k + "\"}", v.get()));
        gauges.forEach((k, v) -> m.put(k, v.getAsLong()));
        return m;
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String prometheus() {
        StringBuilder sb = new StringBuilder(2048);
        counter(sb, "connections_accepted_total", "TCP connections accepted", connectionsAccepted);
        counter(sb, "registrations_total", "new registrations accepted", registrations);
        counter(sb, "refreshes_total", "registrations refreshed by their node", refreshes);
        counter(sb, "registrations_expired_total", "registrations dropped at expiry", registrationsExpired);
        counter(sb, "lookups_total", "lookups answered", lookups);
        counter(sb, "records_served_total", "records returned by lookups", recordsServed);
        counter(sb, "circuits_opened_total", "circuits spliced", circuitsOpened);
        counter(sb, "circuits_closed_total", "circuits closed", circuitsClosed);
        counter(sb, "circuits_closed_byte_limit_total", "circuits closed at the byte limit",
                circuitsClosedByByteLimit);
        counter(sb, "circuits_closed_time_limit_total", "circuits closed at the time limit",
                circuitsClosedByTimeLimit);
        counter(sb, "circuit_bytes_total", "bytes forwarded on circuits", circuitBytes);
        counter(sb, "tls_handshakes_failed_total", "connections whose TLS handshake failed (not TLS 1.3, or a node"
                + " older than the relay's TLS)", tlsHandshakesFailed);
        counter(sb, "control_requests_slowed_total", "registrations and lookups over their source's limit, made to"
                + " wait", controlRequestsSlowed);
        sb.append("# HELP agentmesh_relay_refusals_total requests refused, by reason\n");
        sb.append("# TYPE agentmesh_relay_refusals_total counter\n");
        refusals.forEach((k, v) -> sb.append("agentmesh_relay_refusals_total{reason=\"").append(k).append("\"} ")
                .append(v.get()).append('\n'));
        gauges.forEach((k, v) -> {
            sb.append("# TYPE agentmesh_relay_").append(k).append(" gauge\n");
            sb.append("agentmesh_relay_").append(k).append(' ').append(v.getAsLong()).append('\n');
        });
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, AtomicLong v) {
        sb.append("# HELP agentmesh_relay_").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE agentmesh_relay_").append(name).append(" counter\n");
        sb.append("agentmesh_relay_").append(name).append(' ').append(v.get()).append('\n');
    }
}
