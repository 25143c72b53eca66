package io.agentmesh.node.agent;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.core.NodeCore;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Runs an {@link AgentSupervisor} on the node thread: feeds it leadership changes (and polls them on a timer, so none
 * is missed), catch-up and fence results, process starts and exits, and time; carries out its decisions through the
 * {@link NodeCore} (catch-up), its {@link ConsensusNode} (fence commit, leadership hand-over) and an {@link AgentHost}
 * (the process). Everything here runs on the node thread; results from elsewhere hop back with
 * {@link Scheduler#execute}.
 */
public final class AgentRunner {
    private static final Logger log = LoggerFactory.getLogger(AgentRunner.class);
    /** How often leadership and the journal's newest fence are polled, besides the supervisor's own deadlines. */
    static final long TICK_MS = 100;

    /** What the process is told about where it runs. */
    public record Environment(String apiUrl, String nodeId, Optional<Path> workspace) {
    }

    private final NodeCore core;
    private final Scheduler scheduler;
    private final Clock clock;
    private final AgentHost host;
    private final AgentSupervisor supervisor;
    private final Environment environment;
    private final String self;
    private final List<String> command;
    private Scheduler.Cancellable ticker;
    private Scheduler.Cancellable wake;
    private long wakeAtMs = Long.MAX_VALUE;
    private boolean stopped;
    private Long pid;
    private Long startedAtMillis;
    private AgentFence runFence;
    /** The run whose process is gone last: its late start report must not show a pid. */
    private AgentFence goneFence;
    private long handOvers;

    public AgentRunner(NodeCore core, Scheduler scheduler, Clock clock, AgentHost host, AgentSupervisor supervisor,
                       Environment environment, List<String> command) {
        this.core = core;
        this.scheduler = scheduler;
        this.clock = clock;
        this.host = host;
        this.supervisor = supervisor;
        this.environment = environment;
        this.self = core.identity().nodeId().shortForm();
        this.command = List.copyOf(command);
    }

    /** Starts watching leadership. Node thread, after the core started. */
    public void start() {
        core.onLeaderChange(change -> {
            if (!stopped) {
                apply(supervisor.leadership(change.role().equals("LEADER"), change.term(), nowMs()));
            }
        });
        tick();
    }

    private void tick() {
        if (stopped) {
            return;
        }
        poll();
        ticker = scheduler.schedule(this::tick, TICK_MS);
    }

    private void poll() {
        Optional<ConsensusNode> consensus = core.consensus();
        boolean leads = consensus.map(ConsensusNode::isLeader).orElse(false);
        long term = consensus.map(ConsensusNode::term).orElse(0L);
        apply(supervisor.leadership(leads, term, nowMs()));
        apply(supervisor.tick(nowMs(), newestFence().orElse(null)));
    }

    private Optional<AgentFence> newestFence() {
        return core.consensus().flatMap(c -> c.journal().agentFence());
    }

    private void apply(List<AgentSupervisor.Decision> decisions) {
        for (AgentSupervisor.Decision d : decisions) {
            switch (d) {
                case AgentSupervisor.Decision.CatchUp c -> catchUp(c);
                case AgentSupervisor.Decision.CommitFence f -> commitFence(f);
                case AgentSupervisor.Decision.Start s -> startProcess(s);
                case AgentSupervisor.Decision.Stop s -> host.stop(s.reason());
                case AgentSupervisor.Decision.HandOver h -> handOver(h);
            }
        }
        scheduleWake();
    }

    private void catchUp(AgentSupervisor.Decision.CatchUp c) {
        log.info("node {} agent: leader in term {}, catching up from a majority", self, c.term());
        core.catchUpFromMajority(c.timeoutMs()).whenComplete((result, error) -> scheduler.execute(() -> {
            if (error != null) {
                log.info("node {} agent: catch-up in term {} failed: {}", self, c.term(), error.toString());
            }
            apply(supervisor.caughtUp(c.term(), error == null, nowMs()));
        }));
    }

    private void commitFence(AgentSupervisor.Decision.CommitFence f) {
        Optional<ConsensusNode> consensus = core.consensus();
        if (consensus.isEmpty()) {
            apply(supervisor.fenceFailed(f.term(), nowMs()));
            return;
        }
        consensus.get().commitAgentRun(f.stopGraceMs()).whenComplete((result, error) -> scheduler.execute(() -> {
            if (error != null) {
                log.info("node {} agent: the fence commit in term {} failed: {}", self, f.term(), error.toString());
                apply(supervisor.fenceFailed(f.term(), nowMs()));
            } else {
                apply(supervisor.fenced(f.term(), result, nowMs()));
                if (supervisor.startNotBeforeMs() > nowMs()) {
                    log.info("node {} agent: fenced {}; waiting {} ms for any earlier run to be gone", self,
                            runFenceText(result), supervisor.startNotBeforeMs() - nowMs());
                }
            }
        }));
    }

    private static String runFenceText(io.agentmesh.node.actions.AgentRunResult r) {
        return switch (r) {
            case io.agentmesh.node.actions.AgentRunResult.Started s -> s.fence().tokenText();
            case io.agentmesh.node.actions.AgentRunResult.Refused x -> "refused";
        };
    }

    private void startProcess(AgentSupervisor.Decision.Start s) {
        AgentFence fence = s.fence();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AGENTMESH_API", environment.apiUrl());
        env.put("AGENTMESH_FENCE", fence.tokenText());
        env.put("AGENTMESH_NODE_ID", environment.nodeId());
        environment.workspace().ifPresent(w -> env.put("AGENTMESH_WORKSPACE", w.toString()));
        log.info("node {} agent: starting with fence {} in term {}", self, fence.tokenText(), s.term());
        runFence = fence;
        host.start(env, code -> scheduler.execute(() -> {
            log.info("node {} agent: the process with fence {} is gone (exit code {})", self, fence.tokenText(),
                    code);
            goneFence = fence;
            if (fence.equals(runFence)) {
                pid = null;
            }
            apply(supervisor.exited(code, nowMs()));
            AgentSupervisor.State state = supervisor.state(nowMs());
            if (state == AgentSupervisor.State.CRASH_LOOP) {
                log.warn("node {} agent: crash loop: {}", self, supervisor.crashLoopReason());
            }
        })).whenComplete((startedPid, error) -> scheduler.execute(() -> {
            if (error != null) {
                log.warn("node {} agent: could not start {}: {}", self, String.join(" ", command),
                        error.getMessage());
                apply(supervisor.startFailed(nowMs()));
            } else {
                List<AgentSupervisor.Decision> next = supervisor.started(nowMs());
                // A process that exited before its start was reported is gone already: no pid to show.
                if (!fence.equals(goneFence)) {
                    pid = startedPid;
                    startedAtMillis = clock.nowMillis();
                }
                apply(next);
            }
        }));
    }

    private void handOver(AgentSupervisor.Decision.HandOver h) {
        log.warn("node {} agent: {}; handing leadership to another voter", self, h.reason());
        core.consensus().ifPresent(c -> c.transferLeadership().whenComplete((moved, error) -> scheduler.execute(() -> {
            if (error != null) {
                log.warn("node {} agent: leadership hand-over failed: {}", self, error.toString());
            } else if (!moved) {
                log.warn("node {} agent: no other voter can take leadership; staying leader without the agent",
                        self);
            } else {
                handOvers++;
            }
        })));
    }

    private void scheduleWake() {
        if (stopped) {
            return;
        }
        OptionalLong next = supervisor.nextWakeMs();
        if (next.isEmpty() || next.getAsLong() >= wakeAtMs) {
            return;
        }
        if (wake != null) {
            wake.cancel();
        }
        wakeAtMs = next.getAsLong();
        wake = scheduler.schedule(() -> {
            wakeAtMs = Long.MAX_VALUE;
            wake = null;
            if (!stopped) {
                poll();
            }
        }, Math.max(1, wakeAtMs - nowMs()));
    }

    /**
     * The node shuts down: stop the process and start nothing more. Completes once the process is gone. Node thread.
     */
    public CompletableFuture<Void> shutdown() {
        apply(supervisor.shutdown(nowMs()));
        stopped = true;
        if (ticker != null) {
            ticker.cancel();
        }
        if (wake != null) {
            wake.cancel();
        }
        return host.stop("the node is shutting down");
    }

    /** The {@code agentProcess} section of {@code /v1/status}. Node thread. */
    public Map<String, Object> status() {
        long now = nowMs();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", supervisor.state(now).label());
        m.put("command", command);
        m.put("pid", pid);
        AgentFence running = supervisor.runningFence();
        m.put("fence", running == null ? null : running.tokenText());
        m.put("startedAt", pid == null || startedAtMillis == null ? null
                : Instant.ofEpochMilli(startedAtMillis).toString());
        m.put("restarts", supervisor.restarts());
        m.put("lastExitCode", supervisor.lastExitCode());
        m.put("lastStopReason", supervisor.lastStopReason());
        String loop = supervisor.crashLoopReason();
        if (loop != null) {
            m.put("crashLoop", loop);
        }
        m.put("leadershipHandOvers", handOvers);
        m.put("newestFence", newestFence().map(f -> Map.of("fence", f.tokenText(), "node", f.nodeId()))
                .orElse(null));
        m.put("lastLines", host.lastLines());
        return m;
    }

    private long nowMs() {
        return clock.monotonicNanos() / 1_000_000;
    }
}
