package io.agentmesh.sim.run;

import io.agentmesh.node.agent.AgentHost;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.sim.check.AgentRecords;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * The operating system under one node process, as the agent runner sees it ({@link AgentHost}), in virtual time.
 * A start spawns a simulated process 1-30 ms later; a stop ends it after 0-50 ms if it obeys SIGTERM, or at the
 * SIGKILL {@link #STOP_GRACE_MS} later if it ignores it (drawn per process); one process in ten exits by itself
 * 1-8 s after it starts (a crash the runner restarts). Operations run one at a time in the order asked, as
 * production's host does, so a stop asked for while a start is under way stops the process that start makes.
 *
 * <p>When the node process is killed ({@link #nodeKilled}), its watchdog sees the pipe close and does what a stop
 * does: the process is gone at most {@link #watchdogBoundMs()} after the kill, and it starts nothing more.
 *
 * <p>Each life goes to the run's list of lives ({@link Simulation#agentLife}), which the run records in its history.
 */
final class SimAgentHost implements AgentHost {
    /** The runner's stop grace G: production's default. */
    static final long STOP_GRACE_MS = AgentSettings.DEFAULT_STOP_GRACE_MS;
    /**
     * How long the watchdog may take to notice its node is gone and send SIGTERM: the bound AgentNodeLiveTest holds a
     * real node to (the agent's last heartbeat at most G + 400 ms after kill -9; docs/agents.md, "kill -9").
     */
    static final long WATCHDOG_NOTICE_MS = 400;
    private static final long SPAWN_MAX_MS = 30;
    private static final long TERM_EXIT_MAX_MS = 50;

    /** A process's life while it runs; recorded once it ends or the run ends. */
    static final class Life {
        final String node;
        final String fence;
        final long startMs;
        long endMs = -1;
        String endedBy = "";

        Life(String node, String fence, long startMs) {
            this.node = node;
            this.fence = fence;
            this.startMs = startMs;
        }

        boolean alive() {
            return endMs < 0;
        }

        AgentRecords.Life record() {
            return new AgentRecords.Life(node, fence, startMs, endMs, endedBy);
        }
    }

    private final Simulation sim;
    private final String node;
    private final SplittableRandom random;
    /** Planted bug: a stop signals the wrapper only, so the wrapper exits and the agent runs on, orphaned. */
    private final boolean stopOrphans;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private Life current;
    private IntConsumer onGone;
    private boolean obeysTerm;
    private boolean killed;
    private long pids;

    SimAgentHost(Simulation sim, String node, SplittableRandom random, boolean stopOrphans) {
        this.sim = sim;
        this.node = node;
        this.random = random;
        this.stopOrphans = stopOrphans;
    }

    /** The most a process outlives a kill -9 of its node: G + the watchdog's notice. */
    static long watchdogBoundMs() {
        return STOP_GRACE_MS + WATCHDOG_NOTICE_MS;
    }

    private void later(long ms, String label, Runnable r) {
        sim.loop().world(sim.loop().nowNanos() + ms * 1_000_000L, node + " " + label, r);
    }

    @Override
    public CompletableFuture<Long> start(Map<String, String> env, IntConsumer gone) {
        CompletableFuture<Long> started = new CompletableFuture<>();
        String fence = env.get("AGENTMESH_FENCE");
        tail = tail.thenCompose(x -> {
            CompletableFuture<Void> done = new CompletableFuture<>();
            later(1 + random.nextLong(SPAWN_MAX_MS), "agent process starts", () -> {
                if (killed) {
                    // The wrapper reads end of file on its pipe at once and starts nothing.
                    started.completeExceptionally(new IllegalStateException("the node process is gone"));
                } else {
                    Life l = new Life(node, fence, sim.loop().nowMillis());
                    current = l;
                    onGone = gone;
                    obeysTerm = random.nextBoolean();
                    sim.agentLife(l);
                    started.complete(++pids);
                    if (random.nextInt(10) == 0) {
                        later(1_000 + random.nextLong(7_000), "agent process exits by itself", () -> {
                            if (l == current && !killed) {
                                end(l, "exited", 1);
                            }
                        });
                    }
                }
                done.complete(null);
            });
            return done;
        });
        return started;
    }

    @Override
    public CompletableFuture<Void> stop(String reason) {
        CompletableFuture<Void> stopped = tail.thenCompose(x -> {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Life l = current;
            if (l == null || !l.alive() || killed) {
                done.complete(null);
                return done;
            }
            long afterMs = obeysTerm ? random.nextLong(TERM_EXIT_MAX_MS) : STOP_GRACE_MS;
            later(afterMs, "agent process stopped", () -> {
                if (stopOrphans) {
                    // The bug: the wrapper is gone and says so; the agent it started is not.
                    current = null;
                    IntConsumer g = onGone;
                    onGone = null;
                    if (g != null) {
                        g.accept(143);
                    }
                } else {
                    end(l, "stopped", 143);
                }
                done.complete(null);
            });
            return done;
        });
        tail = stopped;
        return stopped;
    }

    /**
     * The node process was killed: the watchdog notices within {@link #WATCHDOG_NOTICE_MS} and sends SIGTERM, and the
     * process exits then (if it obeys) or at the SIGKILL G later. Nothing starts on this host any more.
     */
    void nodeKilled() {
        killed = true;
        onGone = null;
        Life l = current;
        if (l != null && l.alive()) {
            long afterMs = Math.min(watchdogBoundMs(), random.nextLong(WATCHDOG_NOTICE_MS + 1)
                    + (obeysTerm ? random.nextLong(TERM_EXIT_MAX_MS) : STOP_GRACE_MS));
            later(afterMs, "watchdog ends the agent process", () -> end(l, "watchdog", -1));
        }
    }

    private void end(Life l, String by, int code) {
        if (!l.alive()) {
            return;
        }
        l.endMs = sim.loop().nowMillis();
        l.endedBy = by;
        IntConsumer g = onGone;
        if (l == current) {
            onGone = null;
        }
        if (g != null && l == current) {
            g.accept(code);
        }
    }

    @Override
    public List<String> lastLines() {
        return List.of();
    }
}
