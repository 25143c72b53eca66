package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;

import java.security.SecureRandom;

/** An agent root for tests, with helpers to make node keys and certificates. */
final class TestAgent {
    static final SecureRandom RANDOM = new SecureRandom();
    static final long HOUR_MS = 3_600_000L;

    final SigningKey root = SigningKey.generate(RANDOM);

    static SigningKey newNodeKey() {
        return SigningKey.generate(RANDOM);
    }

    /** A voter certificate valid from an hour ago to a day from now. */
    NodeCertificate certify(SigningKey nodeKey) {
        long now = System.currentTimeMillis();
        return certify(nodeKey, now - HOUR_MS, now + 24 * HOUR_MS);
    }

    NodeCertificate certify(SigningKey nodeKey, long notBefore, long notAfter) {
        return NodeCertificate.issue(root, nodeKey.verifyingKey(), Role.VOTER, notBefore, notAfter);
    }
}
