package io.agentmesh.node.net;

import io.agentmesh.node.membership.Backoff;
import io.agentmesh.relay.HostPort;
import io.agentmesh.relay.RelayAddress;
import io.agentmesh.relay.tls.RelayFingerprint;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of {@link RelayClient}. Durations in milliseconds.
 *
 * @param relays           relays to register with and to look up and dial through (2-3 in production)
 * @param recordTtlMs      validity of this node's registration record; it is re-signed and re-registered after a
 *                         third of it
 * @param lookupIntervalMs time between lookups at each relay (the first ones come faster: 250 ms doubling up to
 *                         this); lookups also keep the control connection alive, so keep it under the relay's idle
 *                         timeout (60 s by default)
 * @param backoffBaseMs    first reconnect delay ceiling (exponential backoff, full jitter)
 * @param backoffCapMs     largest reconnect delay ceiling
 * @param avoidMs          how long a relay caught serving a bad record or breaking a circuit's TLS is not used
 * @param maxRecordTtlMs   longest validity a peer's record may claim (longer ones are rejected)
 * @param expiredGraceMs   a relay serving a record expired by less than this is not blamed (clock skew)
 * @param pins             keys relays must present, by relay name ({@code host:port} as written); a relay without
 *                         one is trusted on first use ({@link RelayPins})
 * @param knownRelaysFile  where keys trusted on first use are recorded (the node's state); empty: in memory only
 */
public record RelayClientConfig(List<InetSocketAddress> relays, long recordTtlMs, long lookupIntervalMs,
                                long backoffBaseMs, long backoffCapMs, long avoidMs, long maxRecordTtlMs,
                                long expiredGraceMs, Map<String, RelayFingerprint> pins,
                                Optional<Path> knownRelaysFile) {
    public static final long DEFAULT_RECORD_TTL_MS = 10 * 60_000;
    public static final long DEFAULT_LOOKUP_INTERVAL_MS = 5_000;

    public RelayClientConfig {
        relays = List.copyOf(relays);
        pins = Map.copyOf(pins);
        java.util.Objects.requireNonNull(knownRelaysFile, "knownRelaysFile (Optional.empty() for memory only)");
        java.util.Set<String> names = relays.stream().map(HostPort::format)
                .collect(java.util.stream.Collectors.toSet());
        for (String pinned : pins.keySet()) {
            if (!names.contains(pinned)) {
                throw new IllegalArgumentException("a relay pin names " + pinned + ", which is not one of the relays "
                        + names + ": write it as the relay is written");
            }
        }
        if (relays.stream().distinct().count() != relays.size()) {
            throw new IllegalArgumentException("a relay is listed twice: " + relays);
        }
        if (recordTtlMs < 3_000 || recordTtlMs > maxRecordTtlMs) {
            throw new IllegalArgumentException("recordTtlMs must be 3000.." + maxRecordTtlMs + ", got " + recordTtlMs);
        }
        if (lookupIntervalMs < 10 || backoffBaseMs < 1 || backoffCapMs < backoffBaseMs || avoidMs < 0
                || expiredGraceMs < 0) {
            throw new IllegalArgumentException("need lookupIntervalMs >= 10, 1 <= backoffBaseMs <= backoffCapMs,"
                    + " avoidMs >= 0, expiredGraceMs >= 0");
        }
    }

    public static RelayClientConfig defaults(List<InetSocketAddress> relays) {
        return new RelayClientConfig(relays, DEFAULT_RECORD_TTL_MS, DEFAULT_LOOKUP_INTERVAL_MS, 500, 30_000,
                10 * 60_000, 60 * 60_000, 60_000, Map.of(), Optional.empty());
    }

    /**
     * Parses {@code host:port} or {@code host:port#sha256:FINGERPRINT} strings (a {@code --relay} flag given several
     * times); keys of unpinned relays are trusted on first use, in memory only.
     */
    public static RelayClientConfig parse(List<String> relays) {
        List<RelayAddress> parsed = relays.stream().map(RelayAddress::parse).toList();
        Map<String, RelayFingerprint> pins = new java.util.LinkedHashMap<>();
        parsed.forEach(r -> r.pin().ifPresent(p -> pins.put(r.name(), p)));
        return defaults(parsed.stream().map(RelayAddress::address).toList()).withPins(pins);
    }

    /** With {@code pins} (by relay name, {@code host:port} as written) replacing the pins held. */
    public RelayClientConfig withPins(Map<String, RelayFingerprint> pins) {
        return new RelayClientConfig(relays, recordTtlMs, lookupIntervalMs, backoffBaseMs, backoffCapMs, avoidMs,
                maxRecordTtlMs, expiredGraceMs, pins, knownRelaysFile);
    }

    /** Recording the keys of unpinned relays, trusted on first use, in {@code file}. */
    public RelayClientConfig withKnownRelaysFile(Path file) {
        return new RelayClientConfig(relays, recordTtlMs, lookupIntervalMs, backoffBaseMs, backoffCapMs, avoidMs,
                maxRecordTtlMs, expiredGraceMs, pins, Optional.of(file));
    }

    public RelayClientConfig withLookupIntervalMs(long ms) {
        return new RelayClientConfig(relays, recordTtlMs, ms, backoffBaseMs, backoffCapMs, avoidMs, maxRecordTtlMs,
                expiredGraceMs, pins, knownRelaysFile);
    }

    public RelayClientConfig withBackoff(long baseMs, long capMs) {
        return new RelayClientConfig(relays, recordTtlMs, lookupIntervalMs, baseMs, capMs, avoidMs, maxRecordTtlMs,
                expiredGraceMs, pins, knownRelaysFile);
    }

    public RelayClientConfig withRecordTtlMs(long ms) {
        return new RelayClientConfig(relays, ms, lookupIntervalMs, backoffBaseMs, backoffCapMs, avoidMs,
                maxRecordTtlMs, expiredGraceMs, pins, knownRelaysFile);
    }

    public RelayClientConfig withAvoidMs(long ms) {
        return new RelayClientConfig(relays, recordTtlMs, lookupIntervalMs, backoffBaseMs, backoffCapMs, ms,
                maxRecordTtlMs, expiredGraceMs, pins, knownRelaysFile);
    }

    /** The reconnect backoff these settings describe. */
    public Backoff backoff() {
        return new Backoff(backoffBaseMs, backoffCapMs);
    }
}
