package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-peer faults for tests and the live simulator, set at runtime from any thread. Exists only when
 * {@link NetworkConfig#faultInjection()} is on; otherwise {@link NettyNetwork} has none and checks nothing.
 *
 * <ul>
 *   <li>{@link #drop}: frames to and from the peer are silently dropped; connections stay open (until the idle
 *       timeout or the core's failure detector closes them).</li>
 *   <li>{@link #block}: like drop, and connections to or from the peer are refused after TLS (dials fail).</li>
 *   <li>{@link #delay}: frames sent to the peer are held back this many ms (outbound only, so a delay set on both
 *       ends adds up to the round trip).</li>
 *   <li>{@link #blockDirect}: only the direct path is cut (as by a NAT or firewall between the two): direct dials to
 *       the peer are refused, direct connections from it are refused after TLS, and frames on a direct connection
 *       to it are dropped; connections through a relay work. Set it on both ends for a symmetric cut.</li>
 * </ul>
 */
public final class FaultInjector {

    /** What applies to one peer. {@code delayMs} 0 means none. */
    public record Rule(boolean drop, boolean block, long delayMs, boolean blockDirect) {
        static final Rule NONE = new Rule(false, false, 0, false);

        public Rule {
            if (delayMs < 0) {
                throw new IllegalArgumentException("delayMs must be >= 0, got " + delayMs);
            }
        }

        public Rule(boolean drop, boolean block, long delayMs) {
            this(drop, block, delayMs, false);
        }

        /** Whether frames to and from the peer are dropped (on every connection). */
        public boolean dropsFrames() {
            return drop || block;
        }

        /** Whether frames on a connection to the peer are dropped ({@code relayed}: through a relay). */
        public boolean dropsFrames(boolean relayed) {
            return drop || block || (blockDirect && !relayed);
        }

        /** Whether connections to or from the peer are refused ({@code relayed}: through a relay). */
        public boolean refusesConnections(boolean relayed) {
            return block || (blockDirect && !relayed);
        }

        boolean isNone() {
            return !drop && !block && delayMs == 0 && !blockDirect;
        }
    }

    private final ConcurrentHashMap<NodeId, Rule> rules = new ConcurrentHashMap<>();

    /** Refuses connections to and from {@code peer} and drops its frames both ways. */
    public void block(NodeId peer) {
        update(peer, r -> new Rule(r.drop, true, r.delayMs, r.blockDirect));
    }

    /** Drops frames to and from {@code peer}, keeping connections open. */
    public void drop(NodeId peer) {
        update(peer, r -> new Rule(true, r.block, r.delayMs, r.blockDirect));
    }

    /** Lifts block and drop for {@code peer} (a delay and a direct-only block stay). */
    public void unblock(NodeId peer) {
        update(peer, r -> new Rule(false, false, r.delayMs, r.blockDirect));
    }

    /** Cuts only the direct path to {@code peer}: connections through a relay still work. */
    public void blockDirect(NodeId peer) {
        update(peer, r -> new Rule(r.drop, r.block, r.delayMs, true));
    }

    /** Restores the direct path to {@code peer}. */
    public void unblockDirect(NodeId peer) {
        update(peer, r -> new Rule(r.drop, r.block, r.delayMs, false));
    }

    /** Holds frames sent to {@code peer} back by {@code delayMs} (0 removes the delay). */
    public void delay(NodeId peer, long delayMs) {
        if (delayMs < 0) {
            throw new IllegalArgumentException("delayMs must be >= 0, got " + delayMs);
        }
        update(peer, r -> new Rule(r.drop, r.block, delayMs, r.blockDirect));
    }

    /** Removes every fault. */
    public void clear() {
        rules.clear();
    }

    /** The rules in force, ordered by node id. */
    public Map<NodeId, Rule> snapshot() {
        return new TreeMap<>(rules);
    }

    Rule rule(NodeId peer) {
        Rule r = rules.get(peer);
        return r == null ? Rule.NONE : r;
    }

    private void update(NodeId peer, java.util.function.UnaryOperator<Rule> change) {
        rules.compute(peer, (k, old) -> {
            Rule next = change.apply(old == null ? Rule.NONE : old);
            return next.isNone() ? null : next;
        });
    }
}
