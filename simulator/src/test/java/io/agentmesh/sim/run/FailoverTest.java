package io.agentmesh.sim.run;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failover with the default consensus configuration (k = 10: 100 ms heartbeats, 300 ms failure detection) on the
 * simulator's world: kill -9 the leader at a random phase of its heartbeat, request an intent on a survivor at the
 * same moment, and measure how long until a new leader is elected and until it has performed that intent. The
 * network model's latency (0.2-2 ms one way) and the disks' fsyncs are charged; the live figures add real RTTs.
 */
class FailoverTest {
    static final int KILLS = 20;

    /**
     * {@code inPhase}: all nodes booted in the same instant, so their heartbeat tasks tick together and every
     * follower notices the dead leader at once: the worst case for split votes (real processes start apart).
     */
    @ParameterizedTest(name = "{0} nodes, booted in phase: {1}")
    @CsvSource({"3,false", "5,false", "3,true", "5,true"})
    void aNewLeaderPerformsWithinOneSecondOfALeaderKill(int n, boolean inPhase) {
        List<Long> elect = new ArrayList<>();
        List<Long> perform = new ArrayList<>();
        for (int seed = 1; seed <= KILLS; seed++) {
            Cluster c = new Cluster(Cluster.quiet(n, seed), inPhase ? 0 : 200);
            c.awaitStableLeader(5_000);
            c.request(0, "warmup", "job");
            c.awaitOutcomesEverywhere(List.of("warmup"), 2_000);
            c.runFor(200 + new SplittableRandom(seed).nextInt(300)); // a random phase relative to the heartbeats

            SimNode old = c.leader().orElseThrow(() -> new AssertionError(c.state()));
            long oldTerm = old.consensus().term();
            c.kill(old.index);
            c.request((old.index + 1) % n, "after-kill", "job");
            long elected = c.runUntil("seed " + seed + ": a leader in a later term", () -> c.leader()
                    .map(l -> l.consensus().term() > oldTerm).orElse(false), 5_000);
            long performed = elected + c.runUntil("seed " + seed + ": after-kill performed",
                    () -> c.ledger().applied("after-kill"), 5_000);
            elect.add(elected);
            perform.add(performed);
            c.runFor(500);
            // Performed once, or claimed by a leader deposed before it could start and then reconciled by the next.
            assertTrue(c.ledger().performs("after-kill") <= 1, "seed " + seed + ": performed twice");
            assertEquals(List.of(), c.ledger().performedMoreThanOnce(), "seed " + seed);
            c.finishAndCheck();
        }
        String report = String.format("failover n=%d%s over %d kills (virtual ms): elected p50=%d p99=%d max=%d;"
                        + " next intent performed p50=%d p99=%d max=%d", n, inPhase ? " (in phase)" : "", KILLS,
                pct(elect, 50), pct(elect, 99), Collections.max(elect), pct(perform, 50), pct(perform, 99),
                Collections.max(perform));
        System.out.println(report);
        assertTrue(Collections.max(perform) <= 1_000, report);
    }

    static long pct(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }
}
