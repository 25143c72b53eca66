package io.agentmesh.sim.run;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.agent.AgentHost;
import io.agentmesh.node.agent.AgentRunner;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.agent.AgentSupervisor;
import io.agentmesh.node.agent.StartBound;
import io.agentmesh.node.consensus.ConsensusConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent runner on the simulator's world: real node cores, Raft, journal and fences, each node's runner and
 * supervisor on its simulated node thread, and a simulated process per start (it takes a while to start, obeys or
 * ignores SIGTERM, and is taken by its watchdog when its node is killed). Deterministic: same seed, same run.
 */
class AgentRunClusterTest {
    private static final long GRACE_MS = 500;

    /** A process's life on the world's clock. */
    static final class Life {
        final int node;
        final String fence;
        final long startMs;
        long endMs = Long.MAX_VALUE;

        Life(int node, String fence, long startMs) {
            this.node = node;
            this.fence = fence;
            this.startMs = startMs;
        }

        boolean alive() {
            return endMs == Long.MAX_VALUE;
        }

        @Override
        public String toString() {
            return "n" + (node + 1) + " " + fence + " [" + startMs + ", " + (alive() ? "alive" : endMs) + "]";
        }
    }

    /** The operating system of one node process, in virtual time. */
    static final class SimHost implements AgentHost {
        private final Cluster c;
        private final int node;
        private final Random random;
        private final List<Life> lives;
        private Life current;
        private IntConsumer onGone;
        private boolean obeysTerm;
        /** Its agent exits with code 1 right after it starts (a broken install on this server). */
        boolean broken;

        SimHost(Cluster c, int node, Random random, List<Life> lives) {
            this.c = c;
            this.node = node;
            this.random = random;
            this.lives = lives;
        }

        private void later(long ms, String label, Runnable r) {
            c.sim.loop().world(c.sim.loop().nowNanos() + ms * Cluster.MS, label, r);
        }

        @Override
        public CompletableFuture<Long> start(Map<String, String> env, IntConsumer gone) {
            CompletableFuture<Long> started = new CompletableFuture<>();
            later(1 + random.nextInt(30), "agent process starts", () -> {
                current = new Life(node, env.get("AGENTMESH_FENCE"), c.nowMs());
                lives.add(current);
                onGone = gone;
                obeysTerm = random.nextBoolean();
                started.complete(1000L + lives.size());
                if (broken) {
                    Life l = current;
                    later(5 + random.nextInt(20), "broken agent exits", () -> end(l, 1));
                }
            });
            return started;
        }

        @Override
        public CompletableFuture<Void> stop(String reason) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Life l = current;
            if (l == null || !l.alive()) {
                done.complete(null);
                return done;
            }
            long after = obeysTerm ? random.nextInt(50) : GRACE_MS + random.nextInt(20);
            later(after, "agent process exits", () -> {
                end(l, 143);
                done.complete(null);
            });
            return done;
        }

        /** The node was killed: the watchdog sees its pipe close and does SIGTERM, grace, SIGKILL. */
        void nodeKilled() {
            Life l = current;
            if (l != null && l.alive()) {
                long after = obeysTerm ? random.nextInt(50) : GRACE_MS + random.nextInt(20);
                later(after, "watchdog ends the agent", () -> l.endMs = c.nowMs());
            }
            onGone = null;
        }

        private void end(Life l, int code) {
            if (!l.alive()) {
                return;
            }
            l.endMs = c.nowMs();
            if (onGone != null) {
                onGone.accept(code);
            }
        }

        @Override
        public List<String> lastLines() {
            return List.of();
        }
    }

    /** Three nodes with an agent host on each, run until every node is up and the leader's agent runs. */
    private static final class AgentCluster {
        final Cluster c;
        final Random random;
        final List<Life> lives = new ArrayList<>();
        final SimHost[] hosts = new SimHost[3];

        AgentCluster(long seed) {
            c = new Cluster(3, seed);
            random = new Random(seed);
            c.runUntil("every node is up", () -> c.nodes().stream().allMatch(SimNode::up), 1_000);
            for (int i = 0; i < 3; i++) {
                hosts[i] = attach(c, i, random, lives);
            }
            c.runUntil("the agent runs", () -> running(lives).isPresent(), 10_000);
        }
    }

    private static SimHost attach(Cluster c, int i, Random random, List<Life> lives) {
        SimNode n = c.node(i);
        SimHost host = new SimHost(c, i, random, lives);
        AgentSettings settings = new AgentSettings(Optional.empty(), List.of("agent"), GRACE_MS, 5, 60_000);
        n.scheduler().execute(() -> {
            AgentSupervisor sup = new AgentSupervisor(n.core().identity().nodeId().toString(),
                    AgentSupervisor.Policy.of(settings), new StartBound(
                            Math.round(ConsensusConfig.defaults().heartbeatPeriodNodeMillis()),
                            StartBound.DEFAULT_MARGIN_MS), new Random(random.nextLong()));
            new AgentRunner(n.core(), n.scheduler(), n.clock, host, sup,
                    new AgentRunner.Environment("http://127.0.0.1:1", n.core().identity().nodeId().toString(),
                            Optional.empty()), List.of("agent")).start();
        });
        return host;
    }

    private static Optional<Life> running(List<Life> lives) {
        return lives.stream().filter(Life::alive).reduce((a, b) -> b);
    }

    private static void assertNoOverlap(List<Life> lives, long now) {
        for (int i = 0; i < lives.size(); i++) {
            for (int j = i + 1; j < lives.size(); j++) {
                Life a = lives.get(i);
                Life b = lives.get(j);
                long from = Math.max(a.startMs, b.startMs);
                long to = Math.min(Math.min(a.endMs, now), Math.min(b.endMs, now));
                assertTrue(to <= from, "two agent processes alive at once: " + a + " and " + b + "; all: " + lives);
            }
        }
    }

    @Test
    void killingTheAgentsNodeStartsItElsewhereUnderANewFenceAndNeverTwoAtOnce() {
        for (long seed : new long[] {3, 11, 29}) {
            AgentCluster a = new AgentCluster(seed);
            Cluster c = a.c;
            Random random = a.random;
            List<Life> lives = a.lives;
            SimHost[] hosts = a.hosts;
            List<Long> downtimes = new ArrayList<>();
            for (int k = 0; k < 6; k++) {
                Life victim = running(lives).orElseThrow();
                int before = lives.size();
                long killedAt = c.nowMs();
                c.kill(victim.node);
                hosts[victim.node].nodeKilled();
                c.runUntil("a new instance after kill " + (k + 1), () -> lives.size() > before
                        && lives.get(lives.size() - 1).node != victim.node, 10_000);
                downtimes.add(lives.get(lives.size() - 1).startMs - killedAt);
                c.runFor(1_000 + random.nextInt(2_000));
                c.restart(victim.node);
                hosts[victim.node] = attach(c, victim.node, random, lives);
                c.runFor(2_000 + random.nextInt(2_000));
                assertNoOverlap(lives, c.nowMs());
            }
            assertNoOverlap(lives, c.nowMs());
            // Every running node's journal names the same newest run, the one alive now.
            Life now = running(lives).orElseThrow();
            for (SimNode n : c.nodes()) {
                Optional<AgentFence> f = n.consensus().journal().agentFence();
                assertEquals(now.fence, f.map(AgentFence::tokenText).orElse(null), "n" + (n.index + 1));
            }
            System.out.println("seed " + seed + ": kill -9 to the next instance's start (virtual ms): " + downtimes);
            for (long d : downtimes) {
                assertTrue(d >= 800 && d < 3_000, "downtime " + d + " ms: detection plus the 800 ms bound");
            }
            c.finishAndCheck();
        }
    }

    @Test
    void aLeaderCutOffFromItsMajorityStopsItsAgentBeforeTheOtherSideStartsOne() {
        for (long seed : new long[] {5, 13}) {
            AgentCluster a = new AgentCluster(seed);
            Cluster c = a.c;
            Random random = a.random;
            List<Life> lives = a.lives;
            for (int k = 0; k < 4; k++) {
                Life victim = running(lives).orElseThrow();
                int before = lives.size();
                java.util.Set<Integer> others = new java.util.TreeSet<>(java.util.Set.of(0, 1, 2));
                others.remove(victim.node);
                c.sim.apply(new FaultPlan.Partition(c.nowMs(), 3_000, "isolate n" + (victim.node + 1),
                        io.agentmesh.sim.world.Link.between(java.util.Set.of(victim.node), others)));
                c.runUntil("a new instance on the majority side after cut " + (k + 1), () -> lives.size() > before
                        && lives.get(lives.size() - 1).node != victim.node, 10_000);
                assertTrue(!victim.alive() && victim.endMs <= lives.get(lives.size() - 1).startMs,
                        "the cut-off leader's agent stopped first: " + lives);
                c.runFor(4_000 + random.nextInt(2_000));
                assertNoOverlap(lives, c.nowMs());
            }
            Life now = running(lives).orElseThrow();
            for (SimNode n : c.nodes()) {
                assertEquals(now.fence, n.consensus().journal().agentFence().map(AgentFence::tokenText).orElse(null),
                        "after the heal n" + (n.index + 1) + " knows the newest run");
            }
            c.finishAndCheck();
        }
    }

    /** Writes an intent on node {@code n}'s thread as its API would for a request with {@code Agentmesh-Fence}. */
    private static void requestFenced(SimNode n, String id, String fence) {
        n.scheduler().execute(() -> n.core().write(s -> s.requestIntent(new io.agentmesh.state.Intent(id, "job",
                "{}", n.core().identity().nodeId().toString(), n.clock.nowMillis(), fence))));
    }

    private static boolean outcomeEverywhere(Cluster c, String id) {
        return c.nodes().stream().allMatch(n -> n.outcome(id).isPresent());
    }

    /**
     * docs/agents.md, "Intents of a superseded run": the instance of a leader cut off from its majority keeps writing
     * through its node (a paused node thread, a SIGSTOPped agent: the cases the start bound cannot cover), and that
     * node, cut off, has not heard of the newer run, so it accepts the request under the old fence. After the heal the
     * leader refuses it: a failed outcome on every node, naming the reason, and no executor ran it.
     */
    @Test
    void aStaleInstancesIntentWrittenBehindACutIsNeverPerformed() {
        for (long seed : new long[] {7, 19}) {
            AgentCluster a = new AgentCluster(seed);
            Cluster c = a.c;
            List<Life> lives = a.lives;
            Life victim = running(lives).orElseThrow();
            SimNode cutOff = c.node(victim.node);
            String before = "before-cut-" + seed;
            requestFenced(cutOff, before, victim.fence);
            c.runUntil("the run's own intent is performed", () -> outcomeEverywhere(c, before), 10_000);
            assertEquals("succeeded", c.node(0).outcome(before).orElseThrow().status());

            int started = lives.size();
            java.util.Set<Integer> others = new java.util.TreeSet<>(java.util.Set.of(0, 1, 2));
            others.remove(victim.node);
            c.sim.apply(new FaultPlan.Partition(c.nowMs(), 6_000, "isolate n" + (victim.node + 1),
                    io.agentmesh.sim.world.Link.between(java.util.Set.of(victim.node), others)));
            c.runUntil("a new instance on the majority side", () -> lives.size() > started
                    && lives.get(lives.size() - 1).node != victim.node, 10_000);
            Life next = lives.get(lives.size() - 1);
            assertEquals(victim.fence, cutOff.consensus().journal().agentFence().orElseThrow().tokenText(),
                    "the cut-off node has not heard of the newer run, so it accepts the old fence");
            String stale = "stale-" + seed;
            requestFenced(cutOff, stale, victim.fence);
            c.runUntil("the stale request has an outcome on every node after the heal",
                    () -> outcomeEverywhere(c, stale), 20_000);
            for (SimNode n : c.nodes()) {
                io.agentmesh.state.Outcome o = n.outcome(stale).orElseThrow();
                assertEquals("failed", o.status(), n.name);
                assertTrue(o.result().startsWith("not performed: requested by agent run " + victim.fence)
                        && o.result().contains(next.fence), o.result());
            }
            assertTrue(!c.ledger().appliedIntents().contains(stale), "no executor ran it");
            assertTrue(c.ledger().appliedIntents().contains(before));
            assertNoOverlap(lives, c.nowMs());
            c.finishAndCheck();
        }
    }

    @Test
    void aCrashLoopHandsLeadershipToANodeWhereTheAgentRuns() {
        Cluster c = new Cluster(3, 23);
        Random random = new Random(23);
        List<Life> lives = new ArrayList<>();
        c.runUntil("every node is up", () -> c.nodes().stream().allMatch(SimNode::up), 1_000);
        SimNode first = c.awaitStableLeader(5_000);
        SimHost[] hosts = new SimHost[3];
        for (int i = 0; i < 3; i++) {
            hosts[i] = attach(c, i, random, lives);
        }
        hosts[first.index].broken = true;
        c.runUntil("another node leads and runs the agent for 5 s", () -> running(lives)
                .filter(l -> l.node != first.index && c.nowMs() - l.startMs > 5_000).isPresent(), 60_000);
        long brokenRuns = lives.stream().filter(l -> l.node == first.index).count();
        assertEquals(5, brokenRuns, "five exits make the crash loop: " + lives);
        assertTrue(c.leader().orElseThrow() != first, "leadership moved off the crash-looping node");
        assertNoOverlap(lives, c.nowMs());
        c.finishAndCheck();
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        assertEquals(run(17), run(17));
    }

    private static String run(long seed) {
        AgentCluster a = new AgentCluster(seed);
        Cluster c = a.c;
        Random random = a.random;
        List<Life> lives = a.lives;
        SimHost[] hosts = a.hosts;
        Life victim = running(lives).orElseThrow();
        c.kill(victim.node);
        hosts[victim.node].nodeKilled();
        c.runFor(5_000);
        return lives.toString();
    }
}
