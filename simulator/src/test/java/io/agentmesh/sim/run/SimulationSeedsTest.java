package io.agentmesh.sim.run;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many seeds, every fault kind, consensus on: each run must pass every checker, so 0 double performances and 0 lost
 * intents. Every voter also hosts the agent, and agent-overlap checks that no two of its processes are alive at once
 * beyond the allowance ({@code -Dsim.agent=false} leaves the agent out).
 * {@code -Dsim.seeds=N} runs more (default 200),
 * {@code -Dsim.seed=S} starts elsewhere (default 1), {@code -Dsim.duration=60s} lengthens each run (default 30s).
 *
 * <p>A failing seed prints the command that replays it.
 */
class SimulationSeedsTest {
    @Test
    void everySeedConvergesWithoutLosingAcknowledgedWritesUnderAllFaults() throws Exception {
        int seeds = Integer.getInteger("sim.seeds", 200);
        long first = Long.getLong("sim.seed", 1);
        long durationMs = SimConfig.parseDuration(System.getProperty("sim.duration", "30s"));
        // On since seeds 1-200 at 30 s pass agent-overlap (seeds 44 and 192 were simulator errors:
        // AgentOverlapSeedsTest), so every CI run checks the agent's one-instance bound under every fault.
        boolean agent = Boolean.parseBoolean(System.getProperty("sim.agent", "true"));
        SimConfig base = SimConfig.of(5, first, durationMs, FaultKind.ALL).withAgent(agent);
        int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<SimResult>> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < seeds; i++) {
                SimConfig config = base.withSeed(first + i);
                runs.add(pool.submit(() -> Simulation.run(config)));
            }
            List<String> failures = new ArrayList<>();
            double simSeconds = 0;
            long intents = 0;
            long performed = 0;
            long reconciles = 0;
            long doubles = 0;
            long lost = 0;
            long terms = 0;
            List<Long> leaderless = new ArrayList<>();
            for (Future<SimResult> f : runs) {
                SimResult r = f.get();
                simSeconds += r.figures().simSeconds();
                SimResult.IntentFigures i = r.figures().intents();
                intents += i.requested();
                performed += i.performed();
                reconciles += i.reconciles();
                doubles += i.doublePerformances();
                lost += i.lost();
                terms += i.terms();
                leaderless.add(i.longestLeaderlessMs());
                if (!r.passed()) {
                    failures.add("seed " + r.config().seed() + ": " + r.failures() + "\n  replay: "
                            + r.replayCommand());
                }
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%d seeds from %d (%s each, all faults): %d failed; %.0f simulated s in"
                            + " %.1f wall s on %d threads%n", seeds, first, SimConfig.formatDuration(durationMs),
                    failures.size(), simSeconds, wall, threads);
            leaderless.sort(null);
            System.out.printf(Locale.ROOT, "  intents: %d requested, %d performed (%d reconciled by a new leader), %d"
                    + " performed twice, %d lost; %d leader terms; longest time without a leader per run: median %d"
                    + " ms, max %d ms (faults included)%n", intents, performed, reconciles, doubles, lost, terms,
                    leaderless.get(leaderless.size() / 2), leaderless.getLast());
            failures.forEach(System.out::println);
            assertTrue(doubles == 0 && lost == 0, doubles + " double performances, " + lost + " lost intents");
            assertTrue(failures.isEmpty(), failures.size() + " of " + seeds + " seeds failed:\n"
                    + String.join("\n", failures));
        } finally {
            pool.shutdownNow();
        }
    }
}
