package io.agentmesh.node.membership;

import io.agentmesh.node.port.ManualClock;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core skips certificates it holds byte for byte (they were verified when admitted); anything else, a renewed
 * certificate of a known node included, still goes through {@link Membership#admit}.
 */
class MembershipHoldsExactlyTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long DAY = 86_400_000L;

    @Test
    void holdsTheAdmittedEncodingsOnlyAndFollowsARenewal() {
        SecureRandom random = new SecureRandom();
        SigningKey root = SigningKey.generate(random);
        NodeCertificate own = NodeCertificate.issue(root, SigningKey.generate(random).verifyingKey(), Role.VOTER, T0,
                T0 + 30 * DAY);
        Membership membership = new Membership(root.verifyingKey(), own, new ManualClock(T0 + DAY));
        assertTrue(membership.holdsExactly(own.toBytes()));

        SigningKey peer = SigningKey.generate(random);
        NodeCertificate first = NodeCertificate.issue(root, peer.verifyingKey(), Role.VOTER, T0, T0 + 10 * DAY);
        assertFalse(membership.holdsExactly(first.toBytes()), "not admitted yet");
        assertTrue(membership.admit(first));
        assertTrue(membership.holdsExactly(first.toBytes()));

        byte[] altered = first.toBytes();
        altered[altered.length - 1] ^= 1;
        assertFalse(membership.holdsExactly(altered), "one bit off is another certificate, checked in full");

        NodeCertificate renewed = NodeCertificate.issue(root, peer.verifyingKey(), Role.VOTER, T0, T0 + 20 * DAY);
        assertFalse(membership.holdsExactly(renewed.toBytes()));
        assertFalse(membership.admit(renewed), "a known node");
        assertTrue(membership.holdsExactly(renewed.toBytes()));
        assertFalse(membership.holdsExactly(first.toBytes()), "the replaced certificate is no longer held");
        assertFalse(membership.holdsExactly(null));
        assertFalse(membership.holdsExactly(Arrays.copyOf(own.toBytes(), 10)));
    }
}
