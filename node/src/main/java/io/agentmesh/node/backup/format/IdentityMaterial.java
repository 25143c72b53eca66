package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.VerifyingKey;

import java.util.List;

/**
 * The agent's public identity as a backup keeps it: the root public key, the node certificates and the revocations.
 * Never a private key.
 */
public record IdentityMaterial(VerifyingKey agentRootKey, List<NodeCertificate> certificates,
                               List<NodeRevocation> revocations) {
    public static final int MAX_CERTIFICATES = 4096;
    public static final int MAX_REVOCATIONS = 4096;

    public IdentityMaterial {
        if (agentRootKey == null || certificates == null || revocations == null) {
            throw new IllegalArgumentException("identity material needs a root key, certificates and revocations");
        }
        if (certificates.size() > MAX_CERTIFICATES || revocations.size() > MAX_REVOCATIONS) {
            throw new IllegalArgumentException("identity material holds at most " + MAX_CERTIFICATES
                    + " certificates and " + MAX_REVOCATIONS + " revocations");
        }
        certificates = List.copyOf(certificates);
        revocations = List.copyOf(revocations);
    }
}
