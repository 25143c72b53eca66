package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.relay.Keys;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordVerifierTest {
    private static final long NOW = 1_800_000_000_000L;
    private final Keys agent = new Keys();
    private final Keys.Node node = agent.node(NOW);
    private final InetSocketAddress addr = new InetSocketAddress("10.0.0.1", 7600);
    private final RecordVerifier verifier = new RecordVerifier(AgentId.of(agent.root.verifyingKey()), Keys.HOUR,
            60_000);
    /** The node's first record and its successor, both valid for another minute. */
    private final byte[] r1 = node.record(1, NOW + 60_000, addr).toBytes();
    private final byte[] r2 = node.record(2, NOW + 60_000, addr).toBytes();

    @Test
    void theNewestRecordWinsAndRepeatsAreUnchanged() {
        assertEquals(RecordVerifier.Outcome.NEW, verifier.check(r1, "relay-a", NOW).outcome());
        assertEquals(RecordVerifier.Outcome.UNCHANGED, verifier.check(r1, "relay-b", NOW).outcome());
        assertEquals(RecordVerifier.Outcome.NEW, verifier.check(r2, "relay-b", NOW).outcome());
        assertEquals(2, verifier.newest(node.id()).sequence());
    }

    @Test
    void aRelayServingAnOlderRecordThanItServedBeforeIsCaughtReplaying() {
        verifier.check(r2, "relay-a", NOW);
        RecordVerifier.Verdict v = verifier.check(r1, "relay-a", NOW);
        assertEquals(RecordVerifier.Outcome.REJECTED, v.outcome());
        assertEquals(RecordException.Reason.REPLAYED, v.reason());
        assertTrue(v.sourceAtFault());
    }

    @Test
    void aRelayThatIsMerelyBehindIsNotBlamed() {
        verifier.check(r2, "relay-a", NOW);
        RecordVerifier.Verdict v = verifier.check(r1, "relay-b", NOW);
        assertEquals(RecordVerifier.Outcome.STALE, v.outcome());
        assertFalse(v.sourceAtFault());
        assertEquals(2, verifier.newest(node.id()).sequence());
    }

    @Test
    void forgedAndAlteredRecordsAreRejectedAndBlamed() {
        byte[] altered = r1.clone();
        altered[altered.length - 70] ^= 1; // inside the expiry field
        RecordVerifier.Verdict v = verifier.check(altered, "relay-a", NOW);
        assertEquals(RecordVerifier.Outcome.REJECTED, v.outcome());
        assertEquals(RecordException.Reason.BAD_SIGNATURE, v.reason());
        assertTrue(v.sourceAtFault());
        assertNull(verifier.newest(node.id()), "nothing believed");

        RecordVerifier.Verdict garbage = verifier.check(new byte[] {1, 2, 3}, "relay-a", NOW);
        assertEquals(RecordException.Reason.MALFORMED, garbage.reason());
        assertTrue(garbage.sourceAtFault());

        byte[] foreign = new Keys().node(NOW).record(1, NOW + 60_000, addr).toBytes();
        RecordVerifier.Verdict wrongAgent = verifier.check(foreign, "relay-a", NOW);
        assertEquals(RecordException.Reason.WRONG_AGENT, wrongAgent.reason());
        assertTrue(wrongAgent.sourceAtFault());
    }

    @Test
    void expiredRecordsAreRejectedAndBlamedOnlyPastTheGrace() {
        byte[] r = node.record(1, NOW - 1_000, addr).toBytes();
        RecordVerifier.Verdict justExpired = verifier.check(r, "relay-a", NOW);
        assertEquals(RecordException.Reason.EXPIRED, justExpired.reason());
        assertFalse(justExpired.sourceAtFault(), "a relay clock a second behind is forgiven");
        RecordVerifier.Verdict longExpired = verifier.check(r, "relay-a", NOW + 120_000);
        assertEquals(RecordException.Reason.EXPIRED, longExpired.reason());
        assertTrue(longExpired.sourceAtFault());
    }

    @Test
    void pruneForgetsNodesWhoseRecordsExpiredLongAgo() {
        verifier.check(r1, "relay-a", NOW);
        verifier.prune(NOW + 60_000 + Keys.HOUR - 1);
        assertEquals(1, verifier.newest(node.id()).sequence());
        verifier.prune(NOW + 60_000 + Keys.HOUR + 1);
        assertNull(verifier.newest(node.id()));
    }
}
