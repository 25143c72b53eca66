package io.agentmesh.sim.world;

import java.util.Set;

/**
 * A degradation of some links for a while. Several may be active at once; on each link the worst of each figure
 * applies.
 *
 * <p>By default the figures act as TCP experiences them: a lost segment is retransmitted after a timeout (200 ms,
 * doubling), so loss shows up as delay and head-of-line blocking, never as a missing message; {@code duplicate} and
 * {@code reorder} are then ignored (TCP hides them). With {@code datagram} set, loss, duplication and reordering hit
 * whole messages inside a live connection, which breaks the transport contract the node relies on (a message sent
 * on a connection arrives, in order, or the connection drops); use it to probe robustness beyond that contract.
 *
 * @param links            the directed links affected; empty means all
 * @param extraDelayMicros mean of an exponentially distributed extra delay per message
 */
public record Impairment(String name, double loss, double duplicate, boolean reorder, long extraDelayMicros,
                         Set<Link> links, boolean datagram) {
    public Impairment(String name, double loss, double duplicate, boolean reorder, long extraDelayMicros,
                      Set<Link> links) {
        this(name, loss, duplicate, reorder, extraDelayMicros, links, false);
    }

    public Impairment {
        if (loss < 0 || loss > 1 || duplicate < 0 || duplicate > 1 || extraDelayMicros < 0) {
            throw new IllegalArgumentException("impairment out of range: " + name);
        }
        links = Set.copyOf(links);
    }

    public boolean covers(int from, int to) {
        return links.isEmpty() || links.contains(new Link(from, to));
    }
}
