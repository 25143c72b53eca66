package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.relay.protocol.RegistrationRecord;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * This node's registration record, signed with its node key: re-signed when its addresses change or a third of its
 * life has passed, with a sequence number that never goes back (the wall clock, or the last one + 1 if the clock
 * stepped back).
 *
 * <p>Addresses: {@code advertised} as given, except that a wildcard address ({@code 0.0.0.0:port},
 * {@code [::]:port}) becomes the address each relay sees this node connect from, with that port (at most
 * {@value #MAX_OBSERVED_ADDRESSES} such), and port 0 becomes the network's bound port. An empty list means the
 * wildcard with the network's bound port. Safe from any thread.
 */
final class OwnRecord {
    static final int MAX_OBSERVED_ADDRESSES = 4;

    private final SigningKey nodeKey;
    private final NodeCertificate certificate;
    private final List<InetSocketAddress> advertised;
    private final IntSupplier boundPort;
    private final Clock clock;
    private final long ttlMs;
    private final Set<InetAddress> observed = ConcurrentHashMap.newKeySet();
    private RegistrationRecord record;
    private long signedAt;
    private long lastSequence;

    OwnRecord(SigningKey nodeKey, NodeCertificate certificate, List<InetSocketAddress> advertised,
              IntSupplier boundPort, Clock clock, long ttlMs) {
        this.nodeKey = nodeKey;
        this.certificate = certificate;
        this.advertised = List.copyOf(advertised);
        this.boundPort = boundPort;
        this.clock = clock;
        this.ttlMs = ttlMs;
    }

    /** The record to register now. */
    synchronized RegistrationRecord current() {
        long now = clock.nowMillis();
        List<InetSocketAddress> addrs = addresses();
        if (record == null || !record.addresses().equals(addrs) || now - signedAt >= ttlMs / 3
                || record.expiresAt() <= now) {
            long seq = Math.max(lastSequence + 1, now);
            lastSequence = seq;
            record = RegistrationRecord.sign(nodeKey, certificate, addrs, seq, now + ttlMs);
            signedAt = now;
        }
        return record;
    }

    /** A relay saw this node connect from {@code seen}: an address for a wildcard to stand for. */
    void observed(InetSocketAddress seen) {
        if (seen != null && !seen.isUnresolved() && observed.size() < MAX_OBSERVED_ADDRESSES) {
            observed.add(seen.getAddress());
        }
    }

    private List<InetSocketAddress> addresses() {
        int port = boundPort.getAsInt();
        List<InetSocketAddress> base = advertised.isEmpty()
                ? List.of(new InetSocketAddress("0.0.0.0", port)) : advertised;
        List<InetAddress> seenFrom = observed.stream()
                .sorted(Comparator.comparing(InetAddress::getHostAddress)).toList();
        LinkedHashSet<InetSocketAddress> out = new LinkedHashSet<>();
        for (InetSocketAddress given : base) {
            InetSocketAddress a = given.getPort() != 0 ? given : given.isUnresolved()
                    ? InetSocketAddress.createUnresolved(given.getHostString(), port)
                    : new InetSocketAddress(given.getAddress(), port);
            if (!a.isUnresolved() && a.getAddress().isAnyLocalAddress()) {
                for (InetAddress ip : seenFrom) {
                    out.add(new InetSocketAddress(ip, a.getPort()));
                }
            } else {
                out.add(a);
            }
        }
        return out.stream().limit(RegistrationRecord.MAX_ADDRESSES).toList();
    }
}
