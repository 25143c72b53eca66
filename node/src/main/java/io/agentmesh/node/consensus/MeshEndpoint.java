package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.JournalOp;
import io.agentmesh.protocol.identity.NodeId;
import io.microraft.RaftEndpoint;

import java.util.Objects;

/**
 * A Raft member: a mesh node, named by the canonical text of its {@link NodeId}.
 *
 * <p>A record of one String on purpose: MicroRaft keeps {@code HashMap}s and {@code HashSet}s keyed by endpoints and
 * iterates some of them, so the iteration order follows {@link #hashCode()}. A value-based hash (String's) makes that
 * order the same in every run, which the deterministic simulator needs (DESIGN.md invariant 2).
 */
public record MeshEndpoint(String nodeId) implements RaftEndpoint {
    /** Longest id accepted: the longest claim holder the action journal stores. */
    public static final int MAX_ID_CHARS = JournalOp.MAX_NODE_ID_CHARS;

    public MeshEndpoint {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isEmpty() || nodeId.length() > MAX_ID_CHARS) {
            throw new IllegalArgumentException("an endpoint id has 1 to " + MAX_ID_CHARS + " characters, got "
                    + nodeId.length());
        }
    }

    public static MeshEndpoint of(NodeId node) {
        return new MeshEndpoint(node.toString());
    }

    @Override
    public Object getId() {
        return nodeId;
    }

    /** The mesh node this endpoint names; throws {@code IdentityException} if the text is not a node id. */
    public NodeId toNodeId() {
        return NodeId.parse(nodeId);
    }

    @Override
    public String toString() {
        return nodeId;
    }
}
