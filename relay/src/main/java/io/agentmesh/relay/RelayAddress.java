package io.agentmesh.relay;

import io.agentmesh.relay.tls.RelayFingerprint;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * A relay as a node names it: {@code host:port}, optionally pinned to its key with {@code #sha256:FINGERPRINT}
 * ({@code relay.example.org:7600#sha256:3f2a...}).
 *
 * @param address where the relay listens
 * @param pin     the key the relay must present, when given
 */
public record RelayAddress(InetSocketAddress address, Optional<RelayFingerprint> pin) {
    public static final char PIN_SEPARATOR = '#';

    /**
     * Parses {@code host:port} or {@code host:port#sha256:HEX}.
     *
     * @throws IllegalArgumentException saying which part is wrong
     */
    public static RelayAddress parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("expected host:port[#sha256:FINGERPRINT], got nothing");
        }
        int hash = text.indexOf(PIN_SEPARATOR);
        InetSocketAddress address = HostPort.parse(hash < 0 ? text : text.substring(0, hash));
        if (hash < 0) {
            return new RelayAddress(address, Optional.empty());
        }
        try {
            return new RelayAddress(address, Optional.of(RelayFingerprint.parse(text.substring(hash + 1))));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("relay " + text.substring(0, hash) + ": " + e.getMessage(), e);
        }
    }

    /** The relay's name in logs, pins and the trust-on-first-use file: {@code host:port} as written. */
    public String name() {
        return HostPort.format(address);
    }

    @Override
    public String toString() {
        return name() + pin.map(p -> PIN_SEPARATOR + p.text()).orElse("");
    }
}
