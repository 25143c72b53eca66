package io.agentmesh.node.core;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;

import java.util.List;

/**
 * What the agent root needs to sign the removal of a node, as one running node sees it: the node's certificate (its
 * key, and the newest issue time the revocation must cover) and the cut, for each actor of that node, the highest
 * seq this node or any of its other connected peers holds.
 */
public record RevocationDraft(NodeCertificate certificate, List<NodeRevocation.Cut> cut) {
    public RevocationDraft {
        cut = List.copyOf(cut);
    }
}
