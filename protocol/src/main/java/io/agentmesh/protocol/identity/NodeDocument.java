package io.agentmesh.protocol.identity;

/**
 * A statement about one node key that the agent root key signs: a {@link NodeCertificate} (the key belongs to the
 * agent) or a {@link NodeRevocation} (it no longer does). The encodings they share are read and written by
 * {@code NodeDocuments}.
 */
public sealed interface NodeDocument permits NodeCertificate, NodeRevocation {

    VerifyingKey agentRootKey();

    VerifyingKey nodeKey();

    byte[] signature();

    /** The bytes the agent root key signs: the document's domain tag, then its binary encoding without the signature. */
    byte[] signingPayload();

    default AgentId agentId() {
        return AgentId.of(agentRootKey());
    }

    default NodeId nodeId() {
        return NodeId.of(nodeKey());
    }

    /** Whether the agent root key in this document signed it; says nothing about which agent or when. */
    default boolean signatureValid() {
        return agentRootKey().verify(signingPayload(), signature());
    }
}
