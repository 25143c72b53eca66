package io.agentmesh.sim.run;

import java.util.EnumSet;
import java.util.Set;

/** The kinds of fault a run may draw from its seed. */
public enum FaultKind {
    /** Symmetric and one-way cuts, isolated nodes, bridges (A-B-C where A and C cannot talk), single links. */
    PARTITION,
    /** A node's process dies (keeping what it fsynced) and restarts later. */
    CRASH,
    /**
     * Packet loss on some or all links, as TCP experiences it: lost segments are retransmitted after a timeout, so
     * messages arrive late and in order (head-of-line blocking), and heavy loss can starve heartbeats until the
     * failure detector drops the connection.
     */
    LOSS,
    /** Extra latency on some links. */
    DELAY,
    /** Clock offset and drift per node from the start, plus wall-clock steps during the run. */
    SKEW,
    /**
     * A node's disk stops answering for a while (10 ms to 2 s): its fsyncs finish only when the stall ends, and a
     * node thread that waits on one (a Raft flush, a metadata write) does nothing else meanwhile, heartbeats
     * included. A leader stalled longer than the Raft leader timeout is deposed.
     */
    STALL,
    /**
     * Message-level loss, duplication and reordering inside live connections. This breaks the transport contract
     * the node relies on (TCP delivers in order or drops the connection), so it is not part of "all": name it to
     * probe how the node copes beyond its contract.
     */
    DATAGRAM;

    /** The kinds "all" stands for: every fault the transport contract allows. */
    public static final Set<FaultKind> ALL = EnumSet.of(PARTITION, CRASH, LOSS, DELAY, SKEW, STALL);

    public String id() {
        return EnumIds.id(this);
    }

    /** Parses {@code partition,crash,...}; "all" and "none" are accepted too. */
    public static Set<FaultKind> parse(String text) {
        return EnumIds.parse(text, FaultKind.class, ALL, "fault",
                "partition, crash, loss, delay, skew, stall, datagram (or all = the first six, none)");
    }

    public static String format(Set<FaultKind> kinds) {
        return kinds.isEmpty() ? "none" : EnumIds.format(kinds, FaultKind.class);
    }
}
