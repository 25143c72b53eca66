package io.agentmesh.node.agent.process;

import io.agentmesh.node.agent.AgentRunner;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.agent.AgentSupervisor;
import io.agentmesh.node.agent.StartBound;
import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.node.core.NodeCore;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;

import java.nio.file.Path;
import java.util.Map;
import java.security.SecureRandom;

/** Production wiring of agent supervision: the OS process host, the supervisor and its runner on the node thread. */
public final class AgentProcesses {

    /** What a node hosting an agent holds: the runner (node thread) and the host (its own thread). */
    public record Hosted(AgentRunner runner, ProcessAgentHost host, long stopGraceMs) {
    }

    private AgentProcesses() {
    }

    /**
     * Starts supervising {@code settings.command()} on this node: stops an orphan of an earlier run first (on the
     * host's thread, before any start), then watches leadership from the node thread.
     *
     * @param apiUrl    the loopback URL of this node's HTTP API (AGENTMESH_API)
     * @param consensus the Raft timing this node runs with (its heartbeat period is part of the start bound)
     */
    public static Hosted host(AgentSettings settings, Path stateDir, NodeCore core, Scheduler nodeThread, Clock clock,
                              String apiUrl, ConsensusConfig consensus, Runnable beforeStart) {
        return host(settings, stateDir, core, nodeThread, clock, apiUrl, consensus, beforeStart, Map.of());
    }

    /**
     * As above, with {@code secretEnv} added to the agent's environment by the host alone, never through the
     * supervisor or a log line: {@code AGENTMESH_API_TOKEN} when the node's API needs its token.
     */
    public static Hosted host(AgentSettings settings, Path stateDir, NodeCore core, Scheduler nodeThread, Clock clock,
                              String apiUrl, ConsensusConfig consensus, Runnable beforeStart,
                              Map<String, String> secretEnv) {
        String name = core.identity().nodeId().shortForm();
        AgentOutput output = new AgentOutput(AgentOutput.DEFAULT_KEPT_LINES);
        Path workingDir = settings.workspace().orElse(Path.of("").toAbsolutePath());
        AgentProcessControl control = new AgentProcessControl(settings.command(), workingDir, stateDir,
                settings.stopGraceMs(), output, clock);
        ProcessAgentHost host = new ProcessAgentHost(control, output, name, beforeStart, secretEnv);
        StartBound bound = new StartBound(Math.round(Math.ceil(consensus.heartbeatPeriodNodeMillis())),
                StartBound.DEFAULT_MARGIN_MS);
        AgentSupervisor supervisor = new AgentSupervisor(core.identity().nodeId().toString(),
                AgentSupervisor.Policy.of(settings), bound, new SecureRandom());
        AgentRunner runner = new AgentRunner(core, nodeThread, clock, host, supervisor,
                new AgentRunner.Environment(apiUrl, core.identity().nodeId().toString(), settings.workspace()),
                settings.command());
        nodeThread.execute(runner::start);
        return new Hosted(runner, host, settings.stopGraceMs());
    }
}
