package io.agentmesh.node.port;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;

/**
 * Who this node is while it runs: its key and certificate, the agent that enrolled it, and the incarnation its
 * current store was created under (which fixes the Automerge actor it writes as).
 */
public record LocalIdentity(VerifyingKey agentRoot, SigningKey nodeKey, NodeCertificate certificate,
                            long incarnation) {
    public LocalIdentity {
        if (incarnation < 1) {
            throw new IllegalArgumentException("incarnation starts at 1, got " + incarnation);
        }
        if (!certificate.nodeKey().equals(nodeKey.verifyingKey())) {
            throw new IllegalArgumentException("the node certificate was issued for another key");
        }
    }

    public AgentId agentId() {
        return AgentId.of(agentRoot);
    }

    public NodeId nodeId() {
        return NodeId.of(nodeKey.verifyingKey());
    }

    public ActorId actor() {
        return ActorId.derive(nodeKey.verifyingKey().bytes(), incarnation);
    }
}
