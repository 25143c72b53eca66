package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;

import java.util.Objects;

/**
 * An enrolled node as the leader sees it when it matches the Raft members to enrollment ({@link MembershipReconciler}).
 *
 * @param role      the role its certificate grants
 * @param connected whether this node has a live mesh connection to it now (only reachable nodes are added: adding an
 *                  unreachable voter would raise the quorum with a vote that cannot come)
 * @param removed   whether it was removed (its certificate revoked): it leaves the Raft members
 */
public record Enrolled(NodeId node, Role role, boolean connected, boolean removed) {
    public Enrolled {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(role, "role");
    }
}
