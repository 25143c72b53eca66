package io.agentmesh.node.net;

import io.agentmesh.protocol.wire.WireCodec;

/**
 * Settings of {@link NettyNetwork}. Every size is in bytes and every duration in milliseconds, as the names say.
 *
 * @param bindHost             address the server listens on ({@code 0.0.0.0} for all, {@code 127.0.0.1} for loopback)
 * @param bindPort             port the server listens on; 0 picks a free one ({@link NettyNetwork#localAddress()})
 * @param maxFrameBytes        largest frame payload accepted or sent (type byte + CBOR, without the 4-byte length);
 *                             a peer sending more is disconnected. At most {@link WireCodec#MAX_FRAME_BYTES}
 * @param idleTimeoutMs        a connection on which nothing arrives for this long is closed (the core sends
 *                             heartbeats well within it; this is only the safety net)
 * @param connectTimeoutMs     TCP connect limit of a dial
 * @param handshakeTimeoutMs   limit for TLS handshake plus Hello exchange, counted from TCP connect
 * @param writeBufferHighBytes outbound bytes queued for one peer above which {@code send} refuses (returns false)
 * @param writeBufferLowBytes  queued bytes below which {@code send} accepts again
 * @param faultInjection       enables {@link FaultInjector} (tests and the live simulator only)
 * @param directRetryMs        how often a peer connected only through a relay is dialed directly again (the direct
 *                             connection replaces the relayed one once it authenticates)
 */
public record NetworkConfig(String bindHost, int bindPort, int maxFrameBytes, long idleTimeoutMs,
                            long connectTimeoutMs, long handshakeTimeoutMs, int writeBufferHighBytes,
                            int writeBufferLowBytes, boolean faultInjection, long directRetryMs) {

    public static final int DEFAULT_MAX_FRAME_BYTES = WireCodec.MAX_FRAME_BYTES;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 10_000;
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
    public static final int DEFAULT_WRITE_BUFFER_HIGH_BYTES = 32 * 1024 * 1024;
    public static final int DEFAULT_WRITE_BUFFER_LOW_BYTES = 16 * 1024 * 1024;
    public static final long DEFAULT_DIRECT_RETRY_MS = 30_000;

    public NetworkConfig {
        if (bindHost == null || bindHost.isBlank()) {
            throw new IllegalArgumentException("bindHost is required (e.g. 0.0.0.0 or 127.0.0.1)");
        }
        if (bindPort < 0 || bindPort > 65_535) {
            throw new IllegalArgumentException("bindPort must be 0..65535, got " + bindPort);
        }
        if (maxFrameBytes < 1024 || maxFrameBytes > WireCodec.MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be 1024.." + WireCodec.MAX_FRAME_BYTES + ", got "
                    + maxFrameBytes);
        }
        requirePositive("idleTimeoutMs", idleTimeoutMs);
        requirePositive("connectTimeoutMs", connectTimeoutMs);
        requirePositive("handshakeTimeoutMs", handshakeTimeoutMs);
        requirePositive("directRetryMs", directRetryMs);
        if (connectTimeoutMs > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeoutMs must fit in an int, got " + connectTimeoutMs);
        }
        if (writeBufferLowBytes < 1 || writeBufferHighBytes < writeBufferLowBytes) {
            throw new IllegalArgumentException("need 0 < writeBufferLowBytes <= writeBufferHighBytes, got "
                    + writeBufferLowBytes + " and " + writeBufferHighBytes);
        }
    }

    /** Production defaults listening on {@code bindHost:bindPort}, fault injection off. */
    public static NetworkConfig defaults(String bindHost, int bindPort) {
        return new NetworkConfig(bindHost, bindPort, DEFAULT_MAX_FRAME_BYTES, DEFAULT_IDLE_TIMEOUT_MS,
                DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_WRITE_BUFFER_HIGH_BYTES,
                DEFAULT_WRITE_BUFFER_LOW_BYTES, false, DEFAULT_DIRECT_RETRY_MS);
    }

    public NetworkConfig withBindPort(int port) {
        return new NetworkConfig(bindHost, port, maxFrameBytes, idleTimeoutMs, connectTimeoutMs, handshakeTimeoutMs,
                writeBufferHighBytes, writeBufferLowBytes, faultInjection,
                directRetryMs);
    }

    public NetworkConfig withMaxFrameBytes(int bytes) {
        return new NetworkConfig(bindHost, bindPort, bytes, idleTimeoutMs, connectTimeoutMs, handshakeTimeoutMs,
                writeBufferHighBytes, writeBufferLowBytes, faultInjection,
                directRetryMs);
    }

    public NetworkConfig withIdleTimeoutMs(long ms) {
        return new NetworkConfig(bindHost, bindPort, maxFrameBytes, ms, connectTimeoutMs, handshakeTimeoutMs,
                writeBufferHighBytes, writeBufferLowBytes, faultInjection,
                directRetryMs);
    }

    public NetworkConfig withHandshakeTimeoutMs(long ms) {
        return new NetworkConfig(bindHost, bindPort, maxFrameBytes, idleTimeoutMs, connectTimeoutMs, ms,
                writeBufferHighBytes, writeBufferLowBytes, faultInjection,
                directRetryMs);
    }

    public NetworkConfig withWriteBuffer(int highBytes, int lowBytes) {
        return new NetworkConfig(bindHost, bindPort, maxFrameBytes, idleTimeoutMs, connectTimeoutMs,
                handshakeTimeoutMs, highBytes, lowBytes, faultInjection, directRetryMs);
    }

    public NetworkConfig withFaultInjection(boolean enabled) {
        return new NetworkConfig(bindHost, bindPort, maxFrameBytes, idleTimeoutMs, connectTimeoutMs,
                handshakeTimeoutMs, writeBufferHighBytes, writeBufferLowBytes, enabled, directRetryMs);
    }

    public NetworkConfig withDirectRetryMs(long ms) {
        return new NetworkConfig(bindHost, bindPort, maxFrameBytes, idleTimeoutMs, connectTimeoutMs,
                handshakeTimeoutMs, writeBufferHighBytes, writeBufferLowBytes, faultInjection, ms);
    }

    public NetworkConfig withConnectTimeoutMs(long ms) {
        return new NetworkConfig(bindHost, bindPort, maxFrameBytes, idleTimeoutMs, ms, handshakeTimeoutMs,
                writeBufferHighBytes, writeBufferLowBytes, faultInjection, directRetryMs);
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }
}
