package io.agentmesh.sim.live;

import io.agentmesh.sim.run.EnumIds;

import java.util.EnumSet;
import java.util.Set;

/** The kinds of fault a live run may draw from its seed. */
public enum LiveFault {
    /**
     * Cut links through each node's fault-injection layer: one node isolated, a split into two sides, a bridge (two
     * sides that only a third node reaches), a single link. With relays, some cuts are direct-only, so traffic has
     * to go through a relay.
     */
    PARTITION,
    /** kill -9 of a node process (now and then a SIGTERM instead), restarted later with the same directory. */
    CRASH,
    /** kill -9 of a relay process, restarted later (needs --relays). */
    RELAY,
    /** Extra latency (20-150 ms each way) on one link. */
    DELAY;

    /** What "all" means. */
    public static final Set<LiveFault> ALL = EnumSet.allOf(LiveFault.class);

    public String id() {
        return EnumIds.id(this);
    }

    /** Parses {@code partition,crash,...}; "all" and "none" are accepted too. */
    public static Set<LiveFault> parse(String text) {
        return EnumIds.parse(text, LiveFault.class, ALL, "live fault",
                "partition, crash, relay, delay (or all, none)");
    }

    public static String format(Set<LiveFault> kinds) {
        return kinds.isEmpty() ? "none" : EnumIds.format(kinds, LiveFault.class);
    }
}
