package io.agentmesh.sim.run;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Ways around node-core bugs the simulator found, so that runs can look for other bugs while one is open. A faithful
 * run uses none. Each names the bug it steps around; both below have since been fixed in the core (their scenarios
 * are regressions in CoreRegressionTest), so they now only show how a run looked with the old behaviour avoided.
 * Add the next open bug here, and remove its entry once it is fixed.
 */
public enum Workaround {
    /**
     * Every node admits every member's certificate at start (NodeCore.admit, "learned out of band"). Stepped around:
     * a node rejected, as invalid, changes relayed to it that were signed by a member whose certificate it had not
     * learned yet (certificates travelled once per connection, at peerUp, and were forgotten on restart), and
     * dropped the relaying peer after 16 of them.
     */
    PRELOAD_CERTIFICATES,
    /**
     * The snapshot policy skips a snapshot while the document holds changes waiting for their dependencies. Stepped
     * around: a snapshot recorded the store's change count as its position although those waiting changes (already
     * in the store) were not in the saved document, so a restart never replayed them, every later change depending
     * on them waited forever, and the node's own next write failed with "produced seq X after Y".
     */
    SNAPSHOT_WITHOUT_PENDING;

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Set<Workaround> parse(String text) {
        Set<Workaround> out = EnumSet.noneOf(Workaround.class);
        if (text == null || text.isBlank() || text.equalsIgnoreCase("none")) {
            return out;
        }
        for (String part : text.split(",")) {
            String p = part.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            if (p.isEmpty()) {
                continue;
            }
            if (p.equals("ALL")) {
                return EnumSet.allOf(Workaround.class);
            }
            try {
                out.add(Workaround.valueOf(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown workaround '" + part.trim() + "'; known:"
                        + " preload-certificates, snapshot-without-pending (or all, none)");
            }
        }
        return out;
    }

    public static String format(Set<Workaround> set) {
        StringBuilder b = new StringBuilder();
        for (Workaround w : values()) {
            if (set.contains(w)) {
                b.append(b.isEmpty() ? "" : ",").append(w.id());
            }
        }
        return b.toString();
    }
}
