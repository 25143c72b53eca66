package io.agentmesh.node.replication;

import java.util.Locale;

/**
 * When a local write is acknowledged to its caller.
 *
 * <ul>
 *   <li>{@link #LOCAL}: once its signed change is durable on this node (DESIGN.md invariant 3); it reaches the peers
 *       afterwards. A crash of this node's disk before it does loses it.</li>
 *   <li>{@link #MAJORITY}: once a majority of the current Raft voters (this node included when it votes) hold the
 *       change durably, so it survives the loss of any minority of voters and every catch-up from a majority
 *       ({@code NodeCore.catchUpFromMajority}) finds it. A witness holds no state and never counts towards that
 *       majority. A node with consensus off is its own majority.</li>
 * </ul>
 */
public enum Durability {
    LOCAL, MAJORITY;

    /** Parses the HTTP API's {@code durability} parameter ("local" or "majority", any case). */
    public static Durability parse(String text) {
        for (Durability d : values()) {
            if (d.name().equalsIgnoreCase(text)) {
                return d;
            }
        }
        throw new IllegalArgumentException("durability must be 'local' or 'majority', got '" + text + "'");
    }

    /** The parameter's text form. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
