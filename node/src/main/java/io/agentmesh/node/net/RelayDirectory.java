package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.relay.protocol.RecordVerifier;
import io.agentmesh.relay.protocol.RegistrationRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * What the relays say about this agent's other nodes, believed only where it verifies: every record goes through
 * {@link RecordVerifier} (signed by the node it names, a valid certificate of this agent, not expired, not claiming
 * too long a life, not going back in sequence). A node's first address is handed to the network (to retry the
 * direct path) and, when new, to the {@code discovered} callback. Safe from any thread.
 */
final class RelayDirectory {
    private static final Logger log = LoggerFactory.getLogger(RelayDirectory.class);

    /**
     * One lookup answer as checked.
     *
     * @param seen  nodes whose records verified (new, unchanged or stale)
     * @param blame why the relay is at fault for a record it served, or null
     */
    record Lookup(Set<NodeId> seen, String blame) {
    }

    private final NodeId self;
    private final String selfName;
    private final RecordVerifier verifier;
    private final Clock clock;
    private final RelayClient.Counters counters;
    private final BiConsumer<NodeId, InetSocketAddress> learnAddress;
    private final BiConsumer<NodeId, InetSocketAddress> discovered;
    private final Map<NodeId, RegistrationRecord> known = new ConcurrentHashMap<>();
    private final Map<NodeId, InetSocketAddress> fed = new ConcurrentHashMap<>();

    /**
     * @param learnAddress told every verified first address (the network's direct-path retry)
     * @param discovered   told a node's first address when it is new or changed
     */
    RelayDirectory(NodeId self, RecordVerifier verifier, Clock clock, RelayClient.Counters counters,
                   BiConsumer<NodeId, InetSocketAddress> learnAddress,
                   BiConsumer<NodeId, InetSocketAddress> discovered) {
        this.self = self;
        this.selfName = self.shortForm();
        this.verifier = verifier;
        this.clock = clock;
        this.counters = counters;
        this.learnAddress = learnAddress;
        this.discovered = discovered;
    }

    /** Checks the records relay {@code relayName} ({@code relay}) answered a lookup with, and feeds the new ones. */
    Lookup accept(String relayName, InetSocketAddress relay, List<byte[]> records) {
        long now = clock.nowMillis();
        Set<NodeId> seen = new HashSet<>();
        String blame = null;
        for (byte[] bytes : records) {
            RecordVerifier.Verdict v = verifier.check(bytes, relayName, now);
            switch (v.outcome()) {
                case NEW -> {
                    counters.accepted.incrementAndGet();
                    seen.add(v.record().nodeId());
                    known.put(v.record().nodeId(), v.record());
                    feed(v.record(), relay);
                }
                case UNCHANGED -> seen.add(v.record().nodeId());
                case STALE -> {
                    counters.stale.incrementAndGet();
                    seen.add(v.record().nodeId());
                    log.debug("{} relay {}: {}", selfName, relay, v.detail());
                }
                case REJECTED -> {
                    counters.rejected.get(v.reason()).incrementAndGet();
                    log.warn("{} rejected a record from relay {}: {} ({})", selfName, relay, v.detail(),
                            v.reason());
                    if (v.sourceAtFault() && blame == null) {
                        blame = "served a " + v.reason() + " record: " + v.detail();
                    }
                }
            }
        }
        verifier.prune(now);
        return new Lookup(Set.copyOf(seen), blame);
    }

    /** The newest verified record of each other node of this agent. */
    Map<NodeId, RegistrationRecord> knownRecords() {
        Map<NodeId, RegistrationRecord> out = new TreeMap<>(known);
        out.remove(self);
        return out;
    }

    private void feed(RegistrationRecord r, InetSocketAddress relay) {
        NodeId id = r.nodeId();
        if (id.equals(self) || r.addresses().isEmpty()) {
            return;
        }
        InetSocketAddress first = r.addresses().get(0);
        learnAddress.accept(id, first);
        InetSocketAddress previous = fed.put(id, first);
        if (!first.equals(previous)) {
            log.info("{} discovered node {} at {} through relay {}", selfName, id.shortForm(), first, relay);
            try {
                discovered.accept(id, first);
            } catch (RuntimeException e) {
                log.warn("{} discovery callback failed for {}: {}", selfName, id.shortForm(), e.toString());
            }
        }
    }
}
