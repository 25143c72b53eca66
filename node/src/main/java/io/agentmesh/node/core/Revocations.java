package io.agentmesh.node.core;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;

import java.util.List;
import java.util.Set;

/**
 * The node removals this node has verified (each a {@link NodeRevocation} signed by the agent root), as the rest of
 * the node reads them: the handshake refuses a dead certificate, the HTTP API lists them, and consensus takes a
 * removed node out of the voters ({@link NodeCore#onRevoked} says when). Read-only; every method is thread-safe and
 * answers from one consistent view.
 */
public interface Revocations {

    /** Whether {@code node} is removed: a revocation names its key. A removed key stays removed. */
    boolean isRevoked(NodeId node);

    /** The removed nodes, in id order. */
    Set<NodeId> revoked();

    /** Every verified revocation, in the order this node learned them. */
    List<NodeRevocation> records();

    /** Whether {@code certificate} is dead: this agent revoked its node key, whenever the certificate was issued. */
    boolean revokes(NodeCertificate certificate);
}
