package io.agentmesh.node.agent;

import io.agentmesh.node.actions.AgentFence;

/**
 * How long a new leader waits, from the moment it learns it leads, before it starts the agent's process: long enough
 * that the previous run's process is surely dead (docs/agents.md, "The start bound").
 *
 * <p>The arithmetic, with P the Raft heartbeat period and T the leader-failure timeout in node time (100 ms and
 * 300 ms with the defaults, docs/consensus.md "The step-down bound"):
 * <ol>
 *   <li>Any majority that elects the new leader at E contains a voter that heard nothing from the old leader for T,
 *       and any majority the old leader counts on contains one of those voters, so the old leader's last majority
 *       answer came at most at E - T + d (d: one network delay).</li>
 *   <li>The old leader steps down at most T + P after that answer: by E + P + d.</li>
 *   <li>Stepping down, its node sends SIGTERM to the agent's process group at once and SIGKILL {@code G} later (G:
 *       that node's stop grace, which the previous run's journal entry carries): the process is dead by
 *       E + P + d + G + the time to deliver the signals.</li>
 * </ol>
 * So the wait is {@code P + G + margin}, with the margin covering d, the hop from the node thread to the process
 * thread and the SIGKILL (200 ms by default: a LAN round trip is under 1 ms, a loaded machine's process spawn tens of
 * ms). A node killed with -9 never steps down: its agent's watchdog sees the pipe close at once and kills the group
 * with the same SIGTERM, G, SIGKILL, so it is dead by K + G + a little, and the new leader is elected after K + T.
 * A pause of the old node's thread (GC, a stalled disk) longer than the margin is not covered by time: the fence is.
 *
 * <p>No previous run means no process can be alive anywhere (every start commits its fence first), so no wait.
 *
 * @param heartbeatPeriodMs P in node milliseconds
 * @param marginMs          the margin above
 */
public record StartBound(long heartbeatPeriodMs, long marginMs) {
    public static final long DEFAULT_MARGIN_MS = 200;

    public StartBound {
        if (heartbeatPeriodMs < 0 || marginMs < 0) {
            throw new IllegalArgumentException("the start bound's parts are >= 0, got P " + heartbeatPeriodMs
                    + " ms and margin " + marginMs + " ms");
        }
    }

    /** How long after its election a leader waits before starting, given the newest run before its own. */
    public long waitMs(AgentFence previous) {
        return previous == null ? 0 : heartbeatPeriodMs + previous.stopGraceMs() + marginMs;
    }
}
