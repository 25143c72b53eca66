package io.agentmesh.sim.live;

import java.util.EnumSet;
import java.util.Locale;
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
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code partition,crash,...}; "all" and "none" are accepted too. */
    public static Set<LiveFault> parse(String text) {
        Set<LiveFault> out = EnumSet.noneOf(LiveFault.class);
        if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("none")) {
            return out;
        }
        for (String part : text.split(",")) {
            String p = part.trim().toUpperCase(Locale.ROOT);
            if (p.isEmpty()) {
                continue;
            }
            if (p.equals("ALL")) {
                out.addAll(ALL);
                continue;
            }
            try {
                out.add(LiveFault.valueOf(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown live fault '" + part.trim()
                        + "'; known: partition, crash, relay, delay (or all, none)");
            }
        }
        return out;
    }

    public static String format(Set<LiveFault> kinds) {
        if (kinds.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        for (LiveFault k : values()) {
            if (kinds.contains(k)) {
                b.append(b.isEmpty() ? "" : ",").append(k.id());
            }
        }
        return b.toString();
    }
}
