package io.agentmesh.node.replication;

import io.agentmesh.node.membership.Membership;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;
import io.agentmesh.state.store.VersionVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Peer cursors are saved at most once per interval of monotonic time, whatever the wall clock does. */
class CursorSaveTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long INTERVAL_MS = 2_000;
    private static final long HOUR_MS = 3_600_000;

    private final SigningKey root = key(1);
    private final SigningKey me = key(2);
    private final SigningKey peerKey = key(3);
    private final NodeId peer = NodeId.of(peerKey.verifyingKey());
    private final SteppingClock clock = new SteppingClock();
    private ChangeStore store;
    private AgentState state;
    private Replicator replicator;

    /** Wall and monotonic time moved by the test, independently, as an NTP step would. */
    private static final class SteppingClock implements Clock {
        long wallMillis = NOW;
        long monoNanos = 5_000_000_000L;

        @Override
        public long nowMillis() {
            return wallMillis;
        }

        @Override
        public long monotonicNanos() {
            return monoNanos;
        }

        void advanceMs(long ms) {
            wallMillis += ms;
            monoNanos += ms * 1_000_000;
        }
    }

    private static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    private NodeCertificate cert(SigningKey node) {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, NOW - HOUR_MS, NOW + 24 * HOUR_MS);
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        LocalIdentity identity = new LocalIdentity(root.verifyingKey(), me, cert(me), 1);
        Membership membership = new Membership(root.verifyingKey(), identity.certificate(), clock);
        membership.admit(cert(peerKey));
        store = SqliteChangeStore.open(dir.resolve("s.db"));
        state = AgentState.create(identity.agentId().bytes(), identity.actor());
        replicator = ReplicatorUnderTest.create(identity, membership, state, store,
                new ReplicatorUnderTest.SilentNetwork(), clock, INTERVAL_MS);
        replicator.peerUp(peer);
    }

    @AfterEach
    void tearDown() {
        store.close();
        state.close();
    }

    private void peerReports(long seq) {
        replicator.onDigest(peer, new WireMessage.Digest(List.of(new WireMessage.VectorEntry(new byte[16], seq)),
                false));
    }

    private long savedSeq() {
        VersionVector v = store.getMeta("cursor/" + peer).map(CursorCodec::decode).orElse(VersionVector.EMPTY);
        return v.seqs().values().stream().findFirst().orElse(0L);
    }

    @Test
    void aCursorIsSavedOncePerIntervalOfElapsedTime() {
        peerReports(1);
        replicator.tick();
        assertEquals(1, savedSeq(), "the first round saves");
        peerReports(2);
        clock.advanceMs(INTERVAL_MS - 1);
        replicator.tick();
        assertEquals(1, savedSeq(), "too soon");
        clock.advanceMs(1);
        replicator.tick();
        assertEquals(2, savedSeq(), "an interval later");
    }

    @Test
    void aWallClockStepForwardDoesNotFloodCursorSaves() {
        peerReports(1);
        replicator.tick();
        peerReports(2);
        clock.wallMillis += HOUR_MS;
        replicator.tick();
        assertEquals(1, savedSeq(), "no monotonic time passed, so no save");
    }

    @Test
    void aWallClockStepBackDoesNotFreezeCursorSaves() {
        peerReports(1);
        replicator.tick();
        peerReports(2);
        clock.wallMillis -= HOUR_MS;
        clock.monoNanos += INTERVAL_MS * 1_000_000;
        replicator.tick();
        assertEquals(2, savedSeq(), "an interval of monotonic time passed, so the cursor is saved");
    }
}
