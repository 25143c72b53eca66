package io.agentmesh.node.core;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a node enforces once it holds a revocation: every certificate of the key dead for good, and the cut. */
class RevocationRegistryTest {
    private static final long T0 = 1_767_225_600_000L;
    private static final long DAY = 86_400_000L;
    private final SigningKey root = key(1);
    private final SigningKey removedKey = key(2);
    private final SigningKey otherKey = key(3);
    private final NodeId removed = NodeId.of(removedKey.verifyingKey());
    private final ActorId firstActor = ActorId.derive(removedKey.verifyingKey().bytes(), 1);
    private final ActorId secondActor = ActorId.derive(removedKey.verifyingKey().bytes(), 2);
    private final RevocationRegistry registry = new RevocationRegistry(root.verifyingKey());

    private static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    private NodeCertificate certificate(SigningKey node, long issuedAt) {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, T0, T0 + 365 * DAY, issuedAt);
    }

    /** Removes the node at T0 + DAY, keeping its first actor's changes up to seq 10. */
    private NodeRevocation removal() {
        return NodeRevocation.issue(root, removedKey.verifyingKey(), T0 + DAY, "laptop lost",
                List.of(new NodeRevocation.Cut(firstActor.bytes(), 10)));
    }

    /** A change envelope; the refusal reads only signer, actor and seq. */
    private static SignedChange change(SigningKey signer, long incarnation, long seq) {
        return new SignedChange(signer.verifyingKey().bytes(), incarnation,
                ActorId.derive(signer.verifyingKey().bytes(), incarnation), seq, new byte[] {1}, new byte[64]);
    }

    @Test
    void aVerifiedRevocationIsKeptOnceAndAForeignOneChangesNothing() {
        assertEquals(RevocationRegistry.Added.NEW, registry.add(removal()));
        assertEquals(RevocationRegistry.Added.KNOWN, registry.add(removal()));
        assertEquals(List.of(removal()), registry.records());
        assertTrue(registry.isRevoked(removed));
        assertEquals(Set.of(removed), registry.revoked());

        NodeRevocation foreign = NodeRevocation.issue(key(9), otherKey.verifyingKey(), T0, "", List.of());
        IdentityException e = assertThrows(IdentityException.class, () -> registry.add(foreign));
        assertEquals(IdentityException.Reason.WRONG_AGENT, e.reason());
        assertEquals(1, registry.records().size());
        assertFalse(registry.isRevoked(NodeId.of(otherKey.verifyingKey())));
    }

    @Test
    void everyCertificateOfTheRevokedKeyIsDeadWhateverItsIssueTimeAndOtherKeysAreNot() {
        registry.add(removal());
        assertTrue(registry.revokes(certificate(removedKey, T0)));
        assertTrue(registry.revokes(certificate(removedKey, T0 + DAY)));
        assertTrue(registry.revokes(certificate(removedKey, T0 + DAY + 1)), "issued after the revocation: dead too");
        assertFalse(registry.revokes(certificate(otherKey, T0)));
        NodeCertificate foreign = NodeCertificate.issue(key(9), removedKey.verifyingKey(), Role.VOTER, T0,
                T0 + DAY, T0);
        assertFalse(registry.revokes(foreign), "another agent's certificate of the key is not this agent's to kill");
    }

    @Test
    void changesUpToTheCutPassAndLaterOnesAreRefusedWithTheReason() {
        registry.add(removal());
        assertEquals(Optional.empty(), registry.refusal(change(removedKey, 1, 10)));
        Optional<String> refused = registry.refusal(change(removedKey, 1, 11));
        assertTrue(refused.isPresent());
        assertTrue(refused.get().contains("only changes up to seq 10") && refused.get().contains("laptop lost"),
                refused.get());
        assertEquals(Optional.empty(), registry.refusal(change(otherKey, 1, 1_000)), "other nodes are not affected");
    }

    @Test
    void anActorTheCutDoesNotListHasNothingValid() {
        registry.add(removal());
        Optional<String> refused = registry.refusal(change(removedKey, 2, 1));
        assertTrue(refused.isPresent() && refused.get().contains("not in its revocation's cut"), refused.toString());
    }

    @Test
    void aNewerCertificateForTheRevokedKeyDoesNotBringItBackNorItsNextActor() {
        registry.add(removal());
        NodeCertificate enrolledAgain = certificate(removedKey, T0 + 2 * DAY);
        assertTrue(registry.revokes(enrolledAgain));
        assertTrue(registry.isRevoked(removed));
        assertEquals(Set.of(removed), registry.revoked());
        assertTrue(registry.refusal(change(removedKey, 2, 1)).isPresent(), "a new incarnation of the key: refused");
        assertTrue(registry.refusal(change(removedKey, 1, 11)).isPresent(), "its old actor stays cut");
        assertEquals(Optional.empty(), registry.refusal(change(removedKey, 1, 10)));
    }

    @Test
    void aSecondRevocationOfARemovedKeyAddsItsCutAndTheLowestCutOfAnActorHolds() {
        registry.add(removal());
        registry.add(NodeRevocation.issue(root, removedKey.verifyingKey(), T0 + 3 * DAY, "again",
                List.of(new NodeRevocation.Cut(firstActor.bytes(), 12), new NodeRevocation.Cut(secondActor.bytes(), 4))));
        assertTrue(registry.isRevoked(removed));
        assertEquals(Set.of(removed), registry.revoked());
        assertTrue(registry.refusal(change(removedKey, 1, 11)).isPresent(), "the first cut (10) still holds");
        assertEquals(Optional.empty(), registry.refusal(change(removedKey, 2, 4)));
        assertTrue(registry.refusal(change(removedKey, 2, 5)).isPresent());
        assertEquals("again", registry.latest(removed).orElseThrow().reason());
    }

    @Test
    void withNothingRevokedNothingIsRefused() {
        assertEquals(Optional.empty(), registry.refusal(change(removedKey, 1, 1)));
        assertFalse(registry.revokes(certificate(removedKey, T0)));
        assertFalse(registry.isRevoked(removed));
    }
}
