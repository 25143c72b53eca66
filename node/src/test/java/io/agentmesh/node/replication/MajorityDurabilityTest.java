package io.agentmesh.node.replication;

import io.agentmesh.node.consensus.VoterSet;
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
    private static final NodeId D = id((6));
    private static final NodeId E = id((7));
    private static final byte[] AUTHOR_KEY = key(9);
    private static final ActorId ACTOR = ActorId.derive(AUTHOR_KEY, 1);

    @TempDir
    Path dir;
    private SqliteChangeStore store;
    private final VirtualScheduler time = new VirtualScheduler();
    private final Sent network = new Sent();
    private final Set<NodeId> connected = new TreeSet<>(List.of(B, C, WITNESS));
    private MajorityDurability.Voters voters = voters(SELF, B, C);
    private MajorityDurability majority;

    @BeforeEach
    void setUp() {
        store = SqliteChangeStore.open(dir.resolve("changes.db"));
        majority = new MajorityDurability(SELF, ACTOR, store, network, time, time,
                new MajorityConfig(1_000, 3, 2, 60_000), () -> voters, id -> !id.equals(WITNESS),
                () -> connected, null);
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

    /** This node committed {@code ids} at log index 1 and knows of no change under way. */
    private static MajorityDurability.Voters voters(NodeId... ids) {
        VoterSet set = new VoterSet(1, List.of(ids));
        return MajorityDurability.Voters.of(set, set, "unknown");
    }

    private void confirm(NodeId peer, long seq) {
        confirm(peer, seq, voters.effective());
    }

    /** {@code peer} says it holds this node's change {@code seq}, answering from configuration {@code set}. */
    private void confirm(NodeId peer, long seq, VoterSet set) {
        majority.onDurable(peer, answer(99, List.of(new WireMessage.VectorEntry(ACTOR.bytes(), seq)), set));
    }

    private static WireMessage.Durable answer(long query, List<WireMessage.VectorEntry> vector, VoterSet set) {
        return new WireMessage.Durable(query, vector, set.index(), set.voters().stream().map(NodeId::toString)
                .toList());
    }

    /** The query number of the latest question sent to {@code peer}, failing when it was asked nothing. */
    private long lastQueryTo(NodeId peer) {
        long q = 0;
        for (Sent.Message m : network.messages) {
            if (m.message() instanceof WireMessage.DurableQuery query && m.to().equals(peer)) {
                q = query.query();
            }
        }
        assertTrue(q > 0, peer.shortForm() + " was not asked");
        return q;
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
        voters = voters(SELF, B, WITNESS);
        CompletableFuture<SignedChange> w = durableHere(1);
        confirm(WITNESS, 1); // a witness holds nothing; whatever it says does not count
        assertFalse(w.isDone());
        confirm(B, 1);
        assertTrue(w.isDone());
    }

    @Test
    void aConfirmationIsForgottenWhenItsPeerDisconnects() {
        voters = voters(SELF, B, C, WITNESS, id((5)));
        CompletableFuture<SignedChange> w = durableHere(1);
        confirm(B, 1);
        majority.peerDown(B); // it may come back on a new store that no longer holds it
        connected.remove(B);
        confirm(C, 1);
        assertFalse(w.isDone(), "here and C: 2 of 5, B's word was forgotten");
    }

    @Test
    void withoutKnownVotersAWriteWaitsAndTimesOutSayingWhy() {
        voters = MajorityDurability.Voters.of(VoterSet.NONE, VoterSet.NONE, "this node is not in a Raft group yet");
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
        majority.onDurable(B, answer(queries.getFirst(), List.of(), voters.effective()));
        assertTrue(c.isDone(), "itself and B are 2 of 3, and B holds nothing this node lacks");
        assertEquals(List.of(SELF, B), c.join().answered());
        assertEquals(0, c.join().changesMissing());
    }

    /**
     * Seed 400221's shape: this node's committed voters are three while the group has grown to five. A peer's answer
     * names the five, so holding the write here and at B (2 of the five) is not enough.
     */
    @Test
    void aWriteIsCountedOverTheNewerVotersAPeerReportsNotOnlyThisNodesStaleOnes() {
        connected.addAll(List.of(D, E));
        VoterSet five = new VoterSet(7, List.of(SELF, B, C, D, E));
        CompletableFuture<SignedChange> w = durableHere(1);
        confirm(B, 1, five);
        assertFalse(w.isDone(), "2 of the three this node knows, but only 2 of the five B reports");
        network.messages.clear();
        majority.tick();
        assertTrue(network.messages.stream().anyMatch(m -> m.to().equals(D)), "the newer voters are asked too");
        confirm(D, 1, five);
        assertTrue(w.isDone(), "3 of the five hold it");
    }

    @Test
    void aWriteCountedOverAConfigurationBeingCommittedNeedsAMajorityOfBoth() {
        connected.add(D);
        VoterSet three = new VoterSet(1, List.of(SELF, B, C));
        VoterSet four = new VoterSet(2, List.of(SELF, B, C, D));
        voters = MajorityDurability.Voters.of(three, four, "unknown");
        CompletableFuture<SignedChange> w = durableHere(1);
        confirm(B, 1, four);
        assertFalse(w.isDone(), "2 of 3 committed, but 2 of the 4 being committed");
        confirm(D, 1, four);
        assertTrue(w.isDone());
    }

    /**
     * Seed 406285's shape: this node knows three voters while the group has five. An answer from the five makes the
     * five count, and an answer given from an older configuration counts towards it only once asked again.
     */
    @Test
    void aCatchUpNeedsAMajorityOfTheNewestConfigurationAnsweringFromWithinIt() {
        connected.addAll(List.of(D, E));
        VoterSet five = new VoterSet(7, List.of(SELF, B, C, D, E));
        CompletableFuture<CatchUp> c = majority.catchUp(5_000);
        majority.onDurable(B, answer(lastQueryTo(B), List.of(), five));
        assertFalse(c.isDone(), "itself and B were 2 of the three it knew; of the five only B answered from them"
                + " (this node's own configuration is older, so it does not count)");
        majority.onDurable(C, answer(lastQueryTo(C), List.of(), voters.effective()));
        assertFalse(c.isDone(), "C answered from the old three");
        majority.onDurable(D, answer(lastQueryTo(D), List.of(), five));
        assertFalse(c.isDone(), "B and D: 2 of 5");
        long before = lastQueryTo(C);
        majority.tick();
        long again = lastQueryTo(C);
        assertTrue(again > before, "C, which answered from an older configuration, is asked again");
        majority.onDurable(C, answer(again, List.of(), five));
        assertTrue(c.isDone(), "B, C and D answered from the five");
        assertEquals(List.of(B, C, D), c.join().answered().stream().sorted().toList());
        assertEquals(3, c.join().majority());
    }

    @Test
    void aCatchUpAsksTheWitnessToo() {
        voters = voters(SELF, B, WITNESS);
        connected.remove(B);
        CompletableFuture<CatchUp> c = majority.catchUp(5_000);
        majority.onDurable(WITNESS, answer(lastQueryTo(WITNESS), List.of(), voters.effective()));
        assertTrue(c.isDone(), "itself and the witness, which holds nothing, are 2 of 3");
    }

    @Test
    void aVoterChangeWaitsUntilTheVotersHoldingWhatAMajorityAcknowledgedMeetEveryMajorityOfTheNextVoters() {
        store.append(change(1)).join(); // this node's change 1, which C says it holds too
        connected.add(D);
        CompletableFuture<Void> ready = majority.beforeVoterChange(List.of(SELF, B, C, D));
        List<WireMessage.VectorEntry> holdsOne = List.of(new WireMessage.VectorEntry(ACTOR.bytes(), 1));
        majority.onDurable(C, answer(lastQueryTo(C), holdsOne, voters.effective()));
        assertFalse(ready.isDone(), "caught up from itself and C (target: change 1); of the next four, 2 must"
                + " hold it and only this node is known to");
        // D joins holding nothing yet: asked, short, then asked again at the next round once it may have pulled.
        long first = lastQueryTo(D);
        majority.onDurable(D, answer(first, List.of(), voters.effective()));
        assertFalse(ready.isDone());
        majority.tick();
        assertTrue(lastQueryTo(D) > first, "D is asked again");
        majority.onDurable(D, answer(lastQueryTo(D), holdsOne, voters.effective()));
        assertTrue(ready.isDone(), "itself and D: every 3 of the four meets one of them");
        assertFalse(ready.isCompletedExceptionally());
    }

    @Test
    void aVoterChangeWhoseNextVotersCannotBeReachedFailsNamingWhoHolds() {
        store.append(change(1)).join();
        CompletableFuture<Void> ready = majority.beforeVoterChange(List.of(SELF, B, C, D));
        List<WireMessage.VectorEntry> holdsOne = List.of(new WireMessage.VectorEntry(ACTOR.bytes(), 1));
        majority.onDurable(C, answer(lastQueryTo(C), holdsOne, voters.effective()));
        time.runFor(1_000);
        Throwable e = assertThrows(CompletionException.class, ready::join).getCause();
        assertTrue(e.getMessage().contains("2 needed before the voters may change"), e.getMessage());
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
