package io.agentmesh.node.agent;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.AgentRunResult;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.agent.AgentSupervisor.Decision;
import io.agentmesh.node.membership.Backoff;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded runs of three supervisors in a small virtual-time world that keeps to the consensus timing the start bound
 * relies on (docs/consensus.md, "The step-down bound"): a leader cut off or killed at t stops believing it leads at
 * most T + P after its last majority answer; the others elect a new leader no earlier than T after they last heard
 * it; fences are committed only by the leader a majority follows; processes take a while to start and either obey
 * SIGTERM quickly or die at SIGKILL after the grace; a killed node's watchdog does the same. Checked: no two agent
 * processes are ever alive at once, and the agent is running most of the time. With the bound removed (a planted
 * mistake) the same runs overlap, so the check can fail.
 */
class SupervisorWorldTest {
    private static final long T = 300;
    private static final long P = 100;
    private static final long GRACE_MS = 500;
    private static final AgentSupervisor.Policy POLICY = new AgentSupervisor.Policy(GRACE_MS, 5, 60_000, 300_000,
            new Backoff(250, 10_000), 5_000, 250);

    /** One run's outcome: processes' lifetimes and how long the agent was down in total. */
    record Result(List<long[]> lifetimes, long overlapMs, long downMs, int leaderChanges) {
    }

    @Test
    void withTheStartBoundNoTwoProcessesAreEverAliveAtOnce() {
        long worstDown = 0;
        int changes = 0;
        for (long seed = 1; seed <= 300; seed++) {
            Result r = new World(seed, new StartBound(P, StartBound.DEFAULT_MARGIN_MS)).run(120_000);
            assertTrue(r.overlapMs() == 0, "seed " + seed + ": two agent processes alive for " + r.overlapMs()
                    + " ms");
            worstDown = Math.max(worstDown, r.downMs());
            changes += r.leaderChanges();
        }
        assertTrue(changes > 300 * 5, "the runs moved leadership " + changes + " times; too few to prove much");
        assertTrue(worstDown < 60_000, "the agent was down " + worstDown + " ms of a 120 s run");
    }

    @Test
    void withoutTheStartBoundTheSameWorldsOverlap() {
        long overlapping = 0;
        for (long seed = 1; seed <= 300; seed++) {
            if (new World(seed, new StartBound(0, 0)) {
                @Override
                long boundWaitOverride(AgentFence previous) {
                    return 0;
                }
            }.run(120_000).overlapMs() > 0) {
                overlapping++;
            }
        }
        assertTrue(overlapping > 0, "a world that cannot show an overlap proves nothing");
    }

    /** Three nodes, a journal, processes, faults; all in virtual milliseconds. */
    static class World {
        private record Event(long at, long seq, Runnable action) {
        }

        private final Random random;
        private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.at != b.at
                ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        private long seq;
        private long now;
        private final Node[] nodes = new Node[3];
        private long term;
        private Node leader; // the leader a majority follows, if any
        private AgentFence newestFence;
        private long logIndex = 1;
        private final List<long[]> lifetimes = new ArrayList<>();
        private int leaderChanges;
        private final StartBound bound;
        /** When the last leader was killed or cut off: no one is elected before T after it. */
        private long leaderLostAt = Long.MIN_VALUE / 2;

        World(long seed, StartBound bound) {
            this.random = new Random(seed);
            this.bound = bound;
            for (int i = 0; i < nodes.length; i++) {
                nodes[i] = new Node("node-" + i, supervisor(i));
            }
        }

        private AgentSupervisor supervisor(int i) {
            return new AgentSupervisor("node-" + i, POLICY, bound, new Random(random.nextLong()));
        }

        /** For the planted mistake; unused by the honest world. */
        long boundWaitOverride(AgentFence previous) {
            return -1;
        }

        final class Node {
            final String name;
            AgentSupervisor sup;
            boolean up = true;
            boolean cut; // cut off from the others
            boolean believesLeader;
            long believedTerm;
            long[] process; // [start, end] (end = MAX while alive)
            boolean obeysTerm;
            long generation;

            Node(String name, AgentSupervisor sup) {
                this.name = name;
                this.sup = sup;
            }

            void apply(List<Decision> decisions) {
                for (Decision d : decisions) {
                    switch (d) {
                        case Decision.CatchUp c -> at(5 + random.nextInt(40), () -> {
                            if (up) {
                                apply(sup.caughtUp(c.term(), !cut && leader == this, now));
                            }
                        });
                        case Decision.CommitFence f -> at(2 + random.nextInt(10), () -> {
                            if (!up) {
                                return;
                            }
                            if (cut || leader != this || term != f.term()) {
                                apply(sup.fenceFailed(f.term(), now));
                                return;
                            }
                            AgentFence previous = newestFence;
                            newestFence = new AgentFence(name, new FencingToken(f.term(), ++logIndex), f.stopGraceMs());
                            AgentRunResult.Started s = new AgentRunResult.Started(newestFence, previous);
                            if (boundWaitOverride(previous) == 0) {
                                s = new AgentRunResult.Started(newestFence, null); // the mistake: wait for nobody
                            }
                            apply(sup.fenced(f.term(), s, now));
                        });
                        case Decision.Start s -> {
                            long gen = generation;
                            at(1 + random.nextInt(30), () -> {
                                if (!up || gen != generation) {
                                    return;
                                }
                                process = new long[] {now, Long.MAX_VALUE};
                                lifetimes.add(process);
                                obeysTerm = random.nextBoolean();
                                apply(sup.started(now));
                                if (random.nextInt(10) == 0) { // it crashes by itself now and then
                                    long[] p = process;
                                    at(random.nextInt(5_000), () -> exit(p, 1));
                                }
                            });
                        }
                        case Decision.Stop s -> terminate(process);
                        case Decision.HandOver h -> { }
                    }
                }
            }

            /** SIGTERM to the group: gone soon, or at SIGKILL after the grace. */
            void terminate(long[] p) {
                if (p == null || p[1] != Long.MAX_VALUE) {
                    return;
                }
                long after = obeysTerm ? random.nextInt(50) : GRACE_MS + random.nextInt(20);
                at(after, () -> exit(p, 143));
            }

            void exit(long[] p, int code) {
                if (p[1] != Long.MAX_VALUE) {
                    return;
                }
                p[1] = now;
                if (process == p) {
                    process = null;
                }
                if (up) {
                    long gen = generation;
                    at(random.nextInt(5), () -> {
                        if (up && gen == generation) {
                            apply(sup.exited(code, now));
                        }
                    });
                }
            }

            void tick() {
                if (up) {
                    apply(sup.leadership(believesLeader, believedTerm, now));
                    apply(sup.tick(now, newestFence));
                }
            }
        }

        private void at(long delayMs, Runnable action) {
            queue.add(new Event(now + Math.max(0, delayMs), seq++, action));
        }

        Result run(long durationMs) {
            elect(nodes[0], 0);
            for (long t = 50; t < durationMs; t += 50) {
                queue.add(new Event(t, seq++, () -> {
                    for (Node n : nodes) {
                        n.tick();
                    }
                }));
            }
            for (long t = 2_000; t < durationMs - 10_000; t += 3_000 + random.nextInt(6_000)) {
                long at = t;
                queue.add(new Event(at, seq++, this::fault));
            }
            while (!queue.isEmpty() && queue.peek().at <= durationMs) {
                Event e = queue.poll();
                now = e.at;
                e.action.run();
            }
            return new Result(lifetimes, overlap(durationMs), down(durationMs), leaderChanges);
        }

        /** Kill -9 or cut off the leader (or, now and then, a follower); bring everyone back a while later. */
        private void fault() {
            Node victim = leader != null && random.nextInt(4) > 0 ? leader : nodes[random.nextInt(nodes.length)];
            if (!victim.up || victim.cut) {
                return;
            }
            boolean kill = random.nextBoolean();
            long lastAnswer = now - random.nextInt(5); // its last majority answer, just before
            if (victim == leader) {
                leader = null;
                leaderLostAt = now;
            }
            if (kill) {
                victim.up = false;
                victim.generation++;
                victim.believesLeader = false;
                // The watchdog sees the pipe close at once and does SIGTERM, grace, SIGKILL.
                victim.terminate(victim.process);
            } else {
                victim.cut = true;
                // It steps down at most T + P after its last majority answer (node thread healthy).
                long stepDown = lastAnswer + T + random.nextInt((int) P + 1) - now;
                at(Math.max(0, stepDown), () -> victim.believesLeader = false);
                at(Math.max(0, stepDown), victim::tick);
            }
            // The others elect after T of silence, plus a round or two.
            Node next = null;
            for (Node n : nodes) {
                if (n != victim && n.up && !n.cut) {
                    next = n;
                    break;
                }
            }
            if (next != null) {
                Node elected = next;
                at(T + random.nextInt((int) P + 1) + random.nextInt(120), () -> {
                    if (elected.up && !elected.cut && leader == null) {
                        elect(elected, 0);
                    }
                });
            }
            at(2_000 + random.nextInt(4_000), () -> recover(victim));
        }

        private void recover(Node n) {
            if (!n.up) {
                // A restarted node process: a new supervisor, which knows nothing of its own earlier run.
                n.up = true;
                n.generation++;
                n.sup = supervisor(java.util.Arrays.asList(nodes).indexOf(n));
                n.believedTerm = term;
            }
            n.cut = false;
            if (leader == null) {
                elect(n, 0);
            }
        }

        private void elect(Node n, long delay) {
            at(Math.max(delay, leaderLostAt + T - now), () -> {
                if (leader != null || !n.up || n.cut) {
                    return;
                }
                term++;
                leader = n;
                leaderChanges++;
                for (Node o : nodes) {
                    if (o != n && o.believesLeader && !o.cut) {
                        o.believesLeader = false; // a connected old leader hears the new term at once
                        o.tick();
                    }
                }
                n.believesLeader = true;
                n.believedTerm = term;
                n.tick();
            });
        }

        private long overlap(long end) {
            long total = 0;
            for (int i = 0; i < lifetimes.size(); i++) {
                for (int j = i + 1; j < lifetimes.size(); j++) {
                    long[] a = lifetimes.get(i);
                    long[] b = lifetimes.get(j);
                    long from = Math.max(a[0], b[0]);
                    long to = Math.min(Math.min(a[1], end), Math.min(b[1], end));
                    total += Math.max(0, to - from);
                }
            }
            return total;
        }

        private long down(long end) {
            List<long[]> sorted = new ArrayList<>(lifetimes);
            sorted.sort((a, b) -> Long.compare(a[0], b[0]));
            long covered = 0;
            long reach = 0;
            for (long[] p : sorted) {
                long from = Math.max(p[0], reach);
                long to = Math.min(p[1], end);
                if (to > from) {
                    covered += to - from;
                }
                reach = Math.max(reach, Math.min(p[1], end));
            }
            return end - covered;
        }
    }
}
