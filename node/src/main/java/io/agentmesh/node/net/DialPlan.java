package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code dial(peer, address)}: the direct attempt first, then, when it fails and relays are known, one circuit
 * attempt per relay in the order the {@link RelayRouter} gives, until one authenticates or all failed. Touched by
 * one attempt at a time (each next attempt starts from the previous one's close).
 */
final class DialPlan {
    final NodeId peer;
    final InetSocketAddress address;
    boolean directDone;
    List<InetSocketAddress> relays;
    int nextRelay;
    private final List<String> failures = new ArrayList<>();

    DialPlan(NodeId peer, InetSocketAddress address) {
        this.peer = peer;
        this.address = address;
    }

    synchronized void failed(String reason) {
        failures.add(reason);
    }

    /** Why the whole dial failed: the one reason, or every attempt's. */
    synchronized String summary() {
        if (failures.isEmpty()) {
            return "no route";
        }
        return failures.size() == 1 ? failures.get(0) : String.join("; ", failures);
    }
}
