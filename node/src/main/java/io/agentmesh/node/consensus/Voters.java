package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;

import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Who votes in the Raft group: the first {@link #MAX} of the known members by node id. Every voter must compute the
 * same list from the same membership, so this is the one place the rule lives; the node runtime and the simulator
 * both call it.
 */
public final class Voters {
    /** Raft groups larger than this gain little safety and pay for it in every commit's round of acknowledgements. */
    public static final int MAX = 7;

    private Voters() {
    }

    /** The first {@link #MAX} distinct members in node id order (duplicates are counted once). */
    public static List<NodeId> select(Collection<NodeId> members) {
        return new TreeSet<>(members).stream().limit(MAX).toList();
    }
}
