package io.agentmesh.sim.run;

import io.agentmesh.node.replication.CatchUp;
import io.agentmesh.node.replication.CatchUpTimeoutException;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.replication.MajorityTimeoutException;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.sim.check.DurabilityRecords;
import io.agentmesh.sim.check.MajorityDurableChecker;
import io.agentmesh.sim.world.Link;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Majority-durable writes and catch-up from a majority on real node cores in the simulator's world: what the
 * acknowledgement promises survives the others' kill -9 right after it, the promise times out honestly when the
 * majority is cut off (a witness never makes up for a server), and a catch-up finds every acknowledged write.
 */
class MajorityDurabilityTest {
    private static final long DOWN_MS = 3_600_000; // longer than any test: a crashed node stays down until started

    private static CompletableFuture<SignedChange> memory(SimNode node, String id, Durability durability) {
        return node.write("write " + id, "memory", id, durability, s -> s.appendMemory(node.memoryEntry(id, 1)));
    }

    /** The nodes whose disks hold {@code change} durably (what survives a kill -9). */
    private static List<String> holders(Cluster c, SignedChange change) {
        List<String> out = new ArrayList<>();
        for (SimNode n : c.nodes()) {
            if (n.durableVector().get(change.actor()) >= change.seq()) {
                out.add(n.name);
            }
        }
        return out;
    }

    /** kill -9 of every node at once (a kill that lands in a blocking disk call lands just after it). */
    private static void crashAll(Cluster c) {
        for (int i = 0; i < c.nodes().size(); i++) {
            c.sim.apply(new FaultPlan.Crash(c.nowMs(), i, DOWN_MS));
        }
        c.runUntil("every node is down", () -> c.nodes().stream().noneMatch(SimNode::up), 1_000);
    }

    @Test
    void aMajorityWriteIsOnAMajorityOfDisksTheMomentItIsAcknowledgedWhileALocalOneIsOnlyHere() {
        for (long seed = 1; seed <= 4; seed++) {
            Cluster c = new Cluster(3, seed);
            c.awaitStableLeader(30_000);
            SimNode writer = c.node((int) (seed % 3));

            SignedChange local = c.await("local ack", memory(writer, "local-" + seed, Durability.LOCAL));
            assertEquals(List.of(writer.name), holders(c, local),
                    "seed " + seed + ": a local ack comes before any peer could store the change");

            SignedChange majority = c.await("majority ack", memory(writer, "majority-" + seed, Durability.MAJORITY));
            crashAll(c);
            List<String> holding = holders(c, majority);
            assertTrue(holding.size() >= 2, "seed " + seed + ": acknowledged as majority-durable but only "
                    + holding + " kept it through kill -9");
            for (SimNode n : c.nodes()) {
                n.start(); // recovers from its disk at once
                if (holding.contains(n.name)) {
                    assertTrue(n.finalState().memoryIds().contains("majority-" + seed),
                            n.name + " holds the change on disk but did not recover the entry");
                }
            }
        }
    }

    @Test
    void aMajorityWriteCutOffFromTheMajorityTimesOutHonestlyAndStillReplicatesAfterTheHeal() {
        Cluster c = new Cluster(3, 7);
        c.awaitStableLeader(30_000);
        SimNode writer = c.node(0);
        c.sim.apply(new FaultPlan.Partition(c.nowMs(), 10_000, "isolate n1",
                Link.between(Set.of(0), Set.of(1, 2))));
        long t0 = c.nowMs();
        CompletableFuture<SignedChange> ack = memory(writer, "cut-off", Durability.MAJORITY);
        c.runUntil("the majority write ends", ack::isDone, 10_000);
        long waitedMs = c.nowMs() - t0;
        MajorityTimeoutException e = assertInstanceOf(MajorityTimeoutException.class,
                assertThrows(CompletionException.class, ack::join).getCause());
        assertTrue(e.getMessage().startsWith("durable on this node, not yet acknowledged by a majority"),
                e.getMessage());
        assertTrue(e.getMessage().contains("1 of 3 voters hold it, 2 needed"), e.getMessage());
        assertTrue(waitedMs >= e.timeoutMs() && waitedMs <= e.timeoutMs() + 50, "failed after " + waitedMs + " ms");
        assertTrue(writer.durableVector().seqs().values().stream().anyMatch(s -> s > 0),
                "the write is durable on the writer");
        c.runUntil("the write reaches the others after the heal", () -> c.node(1).finalState().memoryIds()
                .contains("cut-off") && c.node(2).finalState().memoryIds().contains("cut-off"), 20_000);
    }

    @Test
    void twoServersAndAWitnessNeedBothServersForAMajorityWrite() {
        Cluster c = new Cluster(Cluster.quiet(3, 21).withWitness(true), 200);
        c.awaitStableLeader(30_000);
        SimNode server = c.node(0);
        c.sim.apply(new FaultPlan.Crash(c.nowMs(), 1, DOWN_MS));
        c.runUntil("n2 is down", () -> !c.node(1).up(), 1_000);
        CompletableFuture<SignedChange> alone = memory(server, "with-the-witness-only", Durability.MAJORITY);
        c.runUntil("the write ends", alone::isDone, 10_000);
        MajorityTimeoutException e = assertInstanceOf(MajorityTimeoutException.class,
                assertThrows(CompletionException.class, alone::join).getCause());
        assertTrue(e.getMessage().contains("1 of 3 voters hold it, 2 needed"), e.getMessage());

        c.node(1).start();
        SignedChange both = c.await("a write with both servers up",
                memory(server, "with-both-servers", Durability.MAJORITY));
        assertTrue(holders(c, both).containsAll(List.of("n1", "n2")), holders(c, both).toString());
    }

    @Test
    void aCatchUpAfterAPartitionHoldsEveryMajorityWriteAndAMinorityCannotCatchUp() {
        Cluster c = new Cluster(3, 11);
        c.awaitStableLeader(30_000);
        SimNode late = c.node(2);
        c.sim.apply(new FaultPlan.Partition(c.nowMs(), 15_000, "isolate n3",
                Link.between(Set.of(2), Set.of(0, 1))));
        List<SignedChange> acknowledged = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            acknowledged.add(c.await("majority write " + i, memory(c.node(i % 2), "while-n3-away-" + i,
                    Durability.MAJORITY)));
        }
        CompletableFuture<CatchUp> minority = late.catchUp();
        c.runUntil("the cut-off catch-up ends", minority::isDone, SimNode.CATCH_UP_TIMEOUT_MS + 1_000);
        CatchUpTimeoutException refused = assertInstanceOf(CatchUpTimeoutException.class,
                assertThrows(CompletionException.class, minority::join).getCause());
        assertTrue(refused.getMessage().contains("only 1 of 3 voters answered"), refused.getMessage());

        c.runUntil("n3 is back with both others", () -> late.core().replicator().connectedPeers().size() == 2,
                20_000);
        CompletableFuture<CatchUp> caughtUp = late.catchUp();
        CatchUp done = c.await("catch-up after the heal", caughtUp);
        for (SignedChange a : acknowledged) {
            assertTrue(late.durableVector().get(a.actor()) >= a.seq(), "missing " + a.actor() + "/" + a.seq());
        }
        assertEquals(2, done.majority());
        assertTrue(done.answered().size() >= 2, done.toString());
        var verdict = new MajorityDurableChecker().check(c.sim.history());
        assertTrue(verdict.passed(), verdict.toString());
        assertEquals(20, c.sim.history().records(DurabilityRecords.MajorityAck.class).size());
    }

    @Test
    void aCatchUpStartedAsANodeRestartsCompletesOnlyOnceItHoldsEveryWriteAcknowledgedWhileItWasDown() {
        Cluster c = new Cluster(3, 12);
        c.awaitStableLeader(30_000);
        SimNode late = c.node(2);
        c.sim.apply(new FaultPlan.Crash(c.nowMs(), 2, DOWN_MS));
        c.runUntil("n3 is down", () -> !late.up(), 1_000);
        List<SignedChange> acknowledged = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acknowledged.add(c.await("majority write " + i, memory(c.node(i % 2), "while-n3-down-" + i,
                    Durability.MAJORITY)));
        }
        late.start();
        CompletableFuture<CatchUp> catchUp = late.catchUp(); // before it is connected to anyone
        boolean[] early = new boolean[1];
        c.runUntil("the catch-up of the restarted node ends", () -> {
            if (!catchUp.isDone()) {
                return false;
            }
            for (SignedChange a : acknowledged) {
                early[0] |= late.durableVector().get(a.actor()) < a.seq();
            }
            return true;
        }, 10_000);
        assertFalse(early[0], "the catch-up completed before the node held every acknowledged write");
        CatchUp done = catchUp.join();
        assertTrue(done.answered().size() >= 2 && done.answered().contains(c.id(late)), done.toString());
        assertFalse(done.asked().isEmpty(), done.toString());
    }
}
