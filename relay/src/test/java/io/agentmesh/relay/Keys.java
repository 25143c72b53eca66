package io.agentmesh.relay;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.relay.protocol.RegistrationRecord;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;

/** Agents, node keys, certificates and records for tests. */
public final class Keys {
    public static final SecureRandom RANDOM = new SecureRandom();
    public static final long HOUR = 3_600_000L;

    public final SigningKey root = SigningKey.generate(RANDOM);

    public Node node() {
        return node(System.currentTimeMillis());
    }

    public Node node(long now) {
        SigningKey key = SigningKey.generate(RANDOM);
        return new Node(key, NodeCertificate.issue(root, key.verifyingKey(), Role.VOTER, now - HOUR, now + 24 * HOUR));
    }

    public record Node(SigningKey key, NodeCertificate certificate) {
        public RegistrationRecord record(long sequence, long expiresAt, InetSocketAddress... addresses) {
            return RegistrationRecord.sign(key, certificate, List.of(addresses), sequence, expiresAt);
        }

        public io.agentmesh.protocol.identity.NodeId id() {
            return certificate.nodeId();
        }
    }
}
