package io.agentmesh.protocol.change;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.SigningKey;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SignedChangesTest {
    private final SigningKey node = key(7);
    private final AgentId agent = AgentId.of(key(1).verifyingKey());
    private final AgentId otherAgent = AgentId.of(key(2).verifyingKey());
    private final byte[] change = "an automerge change".getBytes(StandardCharsets.UTF_8);

    private static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[31] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    @Test
    void aSignedChangeVerifiesAndCarriesTheDerivedActor() {
        SignedChange c = SignedChanges.sign(agent, node, 3, 42, change);
        assertTrue(SignedChanges.verify(agent, c));
        assertTrue(SignedChanges.verify(agent.bytes(), c));
        assertEquals(ActorId.derive(node.verifyingKey().bytes(), 3), c.actor());
        assertEquals(42, c.seq());
        assertEquals(3, c.incarnation());
    }

    @Test
    void anotherAgentIdIsRejected() {
        SignedChange c = SignedChanges.sign(agent, node, 1, 1, change);
        assertFalse(SignedChanges.verify(otherAgent, c));
    }

    @Test
    void aChangedSeqIsRejected() {
        SignedChange c = SignedChanges.sign(agent, node, 1, 5, change);
        assertFalse(SignedChanges.verify(agent, new SignedChange(c.signerKey(), 1, c.actor(), 5 ^ 1, c.bytes(),
                c.signature())));
    }

    @Test
    void aChangedIncarnationIsRejected() {
        SignedChange c = SignedChanges.sign(agent, node, 2, 5, change);
        assertFalse(SignedChanges.verify(agent, new SignedChange(c.signerKey(), 3, c.actor(), 5, c.bytes(),
                c.signature())));
        // even when the actor is re-derived to match, the signature no longer does
        assertFalse(SignedChanges.verify(agent, new SignedChange(c.signerKey(), 3,
                ActorId.derive(c.signerKey(), 3), 5, c.bytes(), c.signature())));
    }

    @Test
    void anActorThatDoesNotDeriveFromTheSignerIsRejected() {
        SignedChange c = SignedChanges.sign(agent, node, 1, 1, change);
        byte[] actor = c.actor().bytes();
        actor[0] ^= 1;
        assertFalse(SignedChanges.verify(agent, new SignedChange(c.signerKey(), 1, new ActorId(actor), 1, c.bytes(),
                c.signature())));
    }

    @Test
    void anotherSignerKeyIsRejected() {
        SignedChange c = SignedChanges.sign(agent, node, 1, 1, change);
        byte[] other = key(8).verifyingKey().bytes();
        assertFalse(SignedChanges.verify(agent, new SignedChange(other, 1, ActorId.derive(other, 1), 1, c.bytes(),
                c.signature())));
    }

    @Property(tries = 30)
    void everyFlippedBitInTheBytesOrSignatureIsRejected(@ForAll @Size(min = 1, max = 64) byte[] bytes,
                                                       @ForAll @IntRange(min = 0, max = 63) int sigByte,
                                                       @ForAll @IntRange(min = 0, max = 7) int bit) {
        SignedChange c = SignedChanges.sign(agent, node, 1, 9, bytes);
        assertTrue(SignedChanges.verify(agent, c));
        for (int i = 0; i < bytes.length * 8; i++) {
            byte[] b = c.bytes();
            b[i / 8] ^= (byte) (1 << (i % 8));
            assertFalse(SignedChanges.verify(agent, new SignedChange(c.signerKey(), 1, c.actor(), 9, b,
                    c.signature())), "bit " + i + " of the bytes");
        }
        byte[] sig = c.signature();
        sig[sigByte] ^= (byte) (1 << bit);
        assertFalse(SignedChanges.verify(agent, new SignedChange(c.signerKey(), 1, c.actor(), 9, c.bytes(), sig)));
    }

    @Property(tries = 30)
    void everyFlippedBitInTheSeqIsRejected(@ForAll @IntRange(min = 0, max = 62) int bit) {
        SignedChange c = SignedChanges.sign(agent, node, 1, 1000, change);
        long seq = 1000L ^ (1L << bit);
        assertFalse(SignedChanges.verify(agent, new SignedChange(c.signerKey(), 1, c.actor(), seq, c.bytes(),
                c.signature())));
    }

    @Test
    void verifyReturnsFalseForMissingInput() {
        SignedChange c = SignedChanges.sign(agent, node, 1, 1, change);
        assertFalse(SignedChanges.verify((byte[]) null, c));
        assertFalse(SignedChanges.verify((AgentId) null, c));
        assertFalse(SignedChanges.verify(agent, null));
    }

    @Test
    void signingRefusesWhatCouldNotBeAValidChange() {
        assertThrows(IllegalArgumentException.class, () -> SignedChanges.sign(agent, node, 0, 1, change));
        assertThrows(IllegalArgumentException.class, () -> SignedChanges.sign(agent, node, 1, 0, change));
        assertThrows(IllegalArgumentException.class, () -> SignedChanges.sign(agent, node, 1, 1, new byte[0]));
    }
}
