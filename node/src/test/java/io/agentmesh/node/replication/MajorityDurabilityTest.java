package io.agentmesh.node.replication;

import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.VirtualScheduler;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.store.SqliteChangeStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bookkeeping of majority-durable writes, driven by hand: which confirmations make a majority, what never
 * counts (a witness, a disconnected peer's old word, a voter set not known yet), the limit, and the timeout.
 * The simulator's tests prove the same promises end to end on real node cores.
 */
class MajorityDurabilityTest {
    private static final NodeId SELF = id((1));
    private static final NodeId B = id((2));
    private static final NodeId C = id((3));
    private static final NodeId WITNESS = id((4));
    private static final byte[] AUTHOR_KEY = key(9);
    private static final ActorId ACTOR = ActorId.derive(AUTHOR_KEY, 1);

    @TempDir
    Path dir;
    private SqliteChangeStore store;
    private final VirtualScheduler time = new VirtualScheduler();
    private final Sent network = new Sent();
    private final Set<NodeId> connected = new TreeSet<>(List.of(B, C, WITNESS));
    private MajorityDurability.Voters voters = MajorityDurability.Voters.of(List.of(SELF, B, C), "unknown");
    private MajorityDurability majority;

    @BeforeEach
    void setUp() {
        store = SqliteChangeStore.open(dir.resolve("changes.db"));
        majority = new MajorityDurability(SELF, ACTOR, store, network, time, time,
                new MajorityConfig(1_000, 3, 2, 60_000), () -> voters, id -> !id.equals(WITNESS),
                WITNESS::equals, () -> connected, null);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private static NodeId id(int b) {
        byte[] bytes = new byte[NodeId.LENGTH];
        Arrays.fill(bytes, (byte) b);
        return new NodeId(bytes);
    }

    private static byte[] key(int b) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) b);
        return k;
    }

    private static SignedChange change(long seq) {
        return new SignedChange(AUTHOR_KEY, 1, ACTOR, seq, new byte[]{1}, new byte[64]);
    }

    /** A write whose local durability the test completes by hand. */
    private CompletableFuture<SignedChange> write(CompletableFuture<SignedChange> local) {
        return majority.write(() -> local);
    }

    private CompletableFuture<SignedChange> durableHere(long seq) {
        return write(CompletableFuture.completedFuture(change(seq)));
    }

    private void confirm(NodeId peer, long seq) {
        majority.onDurable(peer, new WireMessage.Durable(99, List.of(new WireMessage.VectorEntry(ACTOR.bytes(), seq))));
    }

    @Test
    void aWriteIsAcknowledgedOnlyWhenAMajorityOfTheVotersConfirmedIt() {
        CompletableFuture<SignedChange> first = durableHere(1);
        CompletableFuture<SignedChange> second = durableHere(2);
        assertFalse(first.isDone(), "durable here alone is 1 of 3 voters");
        confirm(B, 1);
        assertTrue(first.isDone(), "here and at B: 2 of 3");
        assertEquals(1, first.join().seq());
        assertFalse(second.isDone(), "B confirmed seq 1 only");
        confirm(C, 2);
        assertTrue(second.isDone(), "here and at C hold seq 2");
    }

    @Test
    void theWritesOfOneBatchShareAChangeAndAreEachAcknowledgedAfterOneQuestionPerVoter() {
        network.messages.clear();
        List<CompletableFuture<SignedChange>> batch = List.of(durableHere(1), durableHere(1), durableHere(1));
        long questions = network.messages.stream().filter(m -> m.message() instanceof WireMessage.DurableQuery)
                .count();
        assertEquals(2, questions, "B and C are asked once for the change, not once per write");
        assertEquals(3, majority.waiting());
        confirm(B, 1);
        batch.forEach(w -> assertEquals(1, w.join().seq()));
        assertEquals(0, majority.waiting());
    }

    @Test
    void aBatchMateTimingOutLeavesTheOthersWaiting() {
        CompletableFuture<SignedChange> early = durableHere(1);
        time.runFor(500);
        CompletableFuture<SignedChange> late = durableHere(1);
        time.runFor(500);
        assertTrue(early.isCompletedExceptionally(), "the first write's own timeout");
        assertFalse(late.isDone(), "its own timeout is 500 ms away");
        confirm(B, 1);
        assertEquals(1, late.join().seq());
    }

    @Test
    void aWitnessNeverCountsSoTwoServersAndAWitnessNeedBothServers() {
        voters = MajorityDurability.Voters.of(List.of(SELF, B, WITNESS), "unknown");
        CompletableFuture<SignedChange> w = durableHere(1);
        confirm(WITNESS, 1); // a witness holds nothing; whatever it says does not count
        assertFalse(w.isDone());
        confirm(B, 1);
        assertTrue(w.isDone());
    }

    @Test
    void aConfirmationIsForgottenWhenItsPeerDisconnects() {
        voters = MajorityDurability.Voters.of(List.of(SELF, B, C, WITNESS, id((5))), "unknown");
        CompletableFuture<SignedChange> w = durableHere(1);
        confirm(B, 1);
        majority.peerDown(B); // it may come back on a new store that no longer holds it
        connected.remove(B);
        confirm(C, 1);
        assertFalse(w.isDone(), "here and C: 2 of 5, B's word was forgotten");
    }

    @Test
    void withoutKnownVotersAWriteWaitsAndTimesOutSayingWhy() {
        voters = MajorityDurability.Voters.of(List.of(), "this node is not in a Raft group yet");
        CompletableFuture<SignedChange> w = durableHere(1);
        confirm(B, 1);
        confirm(C, 1);
        assertFalse(w.isDone());
        time.runFor(999);
        assertFalse(w.isDone());
        time.runFor(1);
        CompletionException e = assertThrows(CompletionException.class, w::join);
        MajorityTimeoutException timeout = assertInstanceOf(MajorityTimeoutException.class, e.getCause());
        assertTrue(timeout.getMessage().startsWith("durable on this node, not yet acknowledged by a majority"),
                timeout.getMessage());
        assertTrue(timeout.getMessage().contains("within 1000 ms"), timeout.getMessage());
        assertTrue(timeout.getMessage().contains("not in a Raft group yet"), timeout.getMessage());
    }

    @Test
    void aTimeoutCountsTheHoldersItSaw() {
        CompletableFuture<SignedChange> w = durableHere(1);
        time.runFor(1_000);
        MajorityTimeoutException timeout = assertInstanceOf(MajorityTimeoutException.class,
                assertThrows(CompletionException.class, w::join).getCause());
        assertTrue(timeout.getMessage().contains("1 of 3 voters hold it, 2 needed"), timeout.getMessage());
    }

    @Test
    void consensusOffMakesThisNodeItsOwnMajority() {
        voters = MajorityDurability.Voters.CONSENSUS_OFF;
        CompletableFuture<SignedChange> local = new CompletableFuture<>();
        CompletableFuture<SignedChange> w = write(local);
        assertFalse(w.isDone(), "not before it is durable here");
        local.complete(change(1));
        assertTrue(w.isDone());
    }

    @Test
    void pastTheLimitAWriteIsRefusedBeforeItIsMade() {
        for (long seq = 1; seq <= 3; seq++) {
            durableHere(seq);
        }
        boolean[] made = new boolean[1];
        CompletableFuture<SignedChange> refused = majority.write(() -> {
            made[0] = true;
            return CompletableFuture.completedFuture(change(4));
        });
        assertFalse(made[0], "the refused write must change nothing");
        IllegalStateException e = assertInstanceOf(IllegalStateException.class,
                assertThrows(CompletionException.class, refused::join).getCause());
        assertTrue(e.getMessage().contains("limit 3"), e.getMessage());
        confirm(B, 3);
        assertEquals(0, majority.waiting(), "confirmed writes leave room");
    }

    @Test
    void aWriteThatFailsHereFailsWithItsOwnError() {
        CompletableFuture<SignedChange> w = write(CompletableFuture.failedFuture(new IllegalArgumentException("bad")));
        assertInstanceOf(IllegalArgumentException.class, assertThrows(CompletionException.class, w::join).getCause());
        assertEquals(0, majority.waiting());
    }

    @Test
    void aWriteWaitingARoundAsksTheVotersThatHaveNotConfirmedIt() {
        durableHere(1);
        network.messages.clear();
        majority.tick();
        List<NodeId> asked = new ArrayList<>();
        network.messages.forEach(m -> {
            if (m.message() instanceof WireMessage.DurableQuery) {
                asked.add(m.to());
            }
        });
        assertEquals(List.of(B, C), asked.stream().sorted().toList(), "never the witness, never itself");
    }

    @Test
    void aCatchUpTimeoutOutsideItsBoundsIsRefused() {
        assertInstanceOf(IllegalArgumentException.class,
                assertThrows(CompletionException.class, () -> majority.catchUp(0).join()).getCause());
        assertInstanceOf(IllegalArgumentException.class,
                assertThrows(CompletionException.class, () -> majority.catchUp(60_001).join()).getCause());
    }

    @Test
    void aCatchUpWithoutAMajorityOfAnswersTimesOutNamingWhoAnswered() {
        connected.clear(); // nobody to ask
        CompletableFuture<CatchUp> c = majority.catchUp(500);
        time.runFor(500);
        CatchUpTimeoutException e = assertInstanceOf(CatchUpTimeoutException.class,
                assertThrows(CompletionException.class, c::join).getCause());
        assertTrue(e.getMessage().contains("only 1 of 3 voters answered"), e.getMessage());
    }

    @Test
    void aCatchUpCompletesOnceAMajorityAnsweredAndNothingIsMissing() {
        CompletableFuture<CatchUp> c = majority.catchUp(5_000);
        List<Long> queries = new ArrayList<>();
        network.messages.forEach(m -> {
            if (m.message() instanceof WireMessage.DurableQuery q && m.to().equals(B)) {
                queries.add(q.query());
            }
        });
        assertEquals(1, queries.size(), "B was asked once");
        assertFalse(c.isDone());
        majority.onDurable(B, new WireMessage.Durable(queries.getFirst(), List.of()));
        assertTrue(c.isDone(), "itself and B are 2 of 3, and B holds nothing this node lacks");
        assertEquals(List.of(SELF, B), c.join().answered());
        assertEquals(0, c.join().changesMissing());
    }

    private static final class Sent implements Network {
        record Message(NodeId to, WireMessage message) {
        }

        final List<Message> messages = new ArrayList<>();

        @Override
        public void dial(NodeId peer, InetSocketAddress address) {
        }

        @Override
        public boolean send(NodeId peer, WireMessage message) {
            messages.add(new Message(peer, message));
            return true;
        }

        @Override
        public void disconnect(NodeId peer, String reason) {
        }
    }
}
