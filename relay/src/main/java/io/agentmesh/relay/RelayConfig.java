package io.agentmesh.relay;

/**
 * Settings of a {@link RelayServer}. Sizes in bytes, durations in milliseconds, as the names say.
 *
 * @param listenHost               address the relay listens on for nodes ({@code 0.0.0.0} for all)
 * @param listenPort               its port; 0 picks a free one
 * @param httpHost                 address of /healthz and /metrics (loopback by default)
 * @param httpPort                 its port; 0 picks a free one, -1 turns HTTP off
 * @param maxConnections           TCP connections open at once (control, dialing and attached)
 * @param maxRegistrations         registrations held at once
 * @param maxRegistrationsPerAgent registrations of one agent held at once
 * @param maxCircuits              circuits open (or being opened) at once
 * @param maxCircuitsPerNode       circuits one node takes part in (as source or target) at once
 * @param circuitMaxBytes          bytes one circuit may carry (both directions together); then it is closed
 * @param circuitMaxMillis         how long one circuit may stay open; then it is closed
 * @param maxRecordTtlMs           longest validity a registration may claim from now
 * @param handshakeTimeoutMs       time a new connection has to send its first message
 * @param idleTimeoutMs            a control connection that sends nothing for this long is closed
 * @param attachTimeoutMs          time a target has to attach to a circuit
 */
public record RelayConfig(String listenHost, int listenPort, String httpHost, int httpPort, int maxConnections,
                          int maxRegistrations, int maxRegistrationsPerAgent, int maxCircuits,
                          int maxCircuitsPerNode, long circuitMaxBytes, long circuitMaxMillis, long maxRecordTtlMs,
                          long handshakeTimeoutMs, long idleTimeoutMs, long attachTimeoutMs) {

    /** Not 7700, the port a node's mesh transport listens on by default: a relay and a node share hosts. */
    public static final int DEFAULT_PORT = 7600;
    public static final int DEFAULT_HTTP_PORT = 7780;

    public RelayConfig {
        if (listenHost == null || listenHost.isBlank() || httpHost == null || httpHost.isBlank()) {
            throw new IllegalArgumentException("listen and http hosts are required (e.g. 0.0.0.0, 127.0.0.1)");
        }
        if (listenPort < 0 || listenPort > 65_535) {
            throw new IllegalArgumentException("listen port must be 0..65535, got " + listenPort);
        }
        if (httpPort < -1 || httpPort > 65_535) {
            throw new IllegalArgumentException("http port must be 0..65535, or -1 for none, got " + httpPort);
        }
        positive("maxConnections", maxConnections);
        positive("maxRegistrations", maxRegistrations);
        positive("maxRegistrationsPerAgent", maxRegistrationsPerAgent);
        positive("maxCircuits", maxCircuits);
        positive("maxCircuitsPerNode", maxCircuitsPerNode);
        positive("circuitMaxBytes", circuitMaxBytes);
        positive("circuitMaxMillis", circuitMaxMillis);
        positive("maxRecordTtlMs", maxRecordTtlMs);
        positive("handshakeTimeoutMs", handshakeTimeoutMs);
        positive("idleTimeoutMs", idleTimeoutMs);
        positive("attachTimeoutMs", attachTimeoutMs);
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

    /** Production defaults on {@code listenHost:listenPort}, HTTP on 127.0.0.1:{@value #DEFAULT_HTTP_PORT}. */
    public static RelayConfig defaults(String listenHost, int listenPort) {
        return new RelayConfig(listenHost, listenPort, "127.0.0.1", DEFAULT_HTTP_PORT, 4096, 10_000, 64, 1024, 32,
                1L << 30, 3_600_000L, 3_600_000L, 10_000, 60_000, 10_000);
    }

    /** Defaults for tests: loopback, free ports for both. */
    public static RelayConfig loopback() {
        return defaults("127.0.0.1", 0).withHttp("127.0.0.1", 0);
    }

    public RelayConfig withListen(String host, int port) {
        return new RelayConfig(host, port, httpHost, httpPort, maxConnections, maxRegistrations,
                maxRegistrationsPerAgent, maxCircuits, maxCircuitsPerNode, circuitMaxBytes, circuitMaxMillis,
                maxRecordTtlMs, handshakeTimeoutMs, idleTimeoutMs, attachTimeoutMs);
    }

    public RelayConfig withHttp(String host, int port) {
        return new RelayConfig(listenHost, listenPort, host, port, maxConnections, maxRegistrations,
                maxRegistrationsPerAgent, maxCircuits, maxCircuitsPerNode, circuitMaxBytes, circuitMaxMillis,
                maxRecordTtlMs, handshakeTimeoutMs, idleTimeoutMs, attachTimeoutMs);
    }

    public RelayConfig withRegistrationCaps(int total, int perAgent) {
        return new RelayConfig(listenHost, listenPort, httpHost, httpPort, maxConnections, total, perAgent,
                maxCircuits, maxCircuitsPerNode, circuitMaxBytes, circuitMaxMillis, maxRecordTtlMs,
                handshakeTimeoutMs, idleTimeoutMs, attachTimeoutMs);
    }

    public RelayConfig withCircuitCaps(int total, int perNode) {
        return new RelayConfig(listenHost, listenPort, httpHost, httpPort, maxConnections, maxRegistrations,
                maxRegistrationsPerAgent, total, perNode, circuitMaxBytes, circuitMaxMillis, maxRecordTtlMs,
                handshakeTimeoutMs, idleTimeoutMs, attachTimeoutMs);
    }

    public RelayConfig withCircuitLimits(long maxBytes, long maxMillis) {
        return new RelayConfig(listenHost, listenPort, httpHost, httpPort, maxConnections, maxRegistrations,
                maxRegistrationsPerAgent, maxCircuits, maxCircuitsPerNode, maxBytes, maxMillis, maxRecordTtlMs,
                handshakeTimeoutMs, idleTimeoutMs, attachTimeoutMs);
    }

    public RelayConfig withMaxConnections(int n) {
        return new RelayConfig(listenHost, listenPort, httpHost, httpPort, n, maxRegistrations,
                maxRegistrationsPerAgent, maxCircuits, maxCircuitsPerNode, circuitMaxBytes, circuitMaxMillis,
                maxRecordTtlMs, handshakeTimeoutMs, idleTimeoutMs, attachTimeoutMs);
    }

    public RelayConfig withTimeouts(long handshakeMs, long idleMs, long attachMs) {
        return new RelayConfig(listenHost, listenPort, httpHost, httpPort, maxConnections, maxRegistrations,
                maxRegistrationsPerAgent, maxCircuits, maxCircuitsPerNode, circuitMaxBytes, circuitMaxMillis,
                maxRecordTtlMs, handshakeMs, idleMs, attachMs);
    }

    public RelayConfig withMaxRecordTtlMs(long ms) {
        return new RelayConfig(listenHost, listenPort, httpHost, httpPort, maxConnections, maxRegistrations,
                maxRegistrationsPerAgent, maxCircuits, maxCircuitsPerNode, circuitMaxBytes, circuitMaxMillis, ms,
                handshakeTimeoutMs, idleTimeoutMs, attachTimeoutMs);
    }
}
