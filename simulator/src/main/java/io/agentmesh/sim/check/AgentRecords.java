package io.agentmesh.sim.check;

/**
 * The agent process side of a run (docs/agents.md), kept in {@link History#record} under these types: every life of
 * a simulated agent process and every pause of a node thread that the start bound does not cover. Times are
 * milliseconds of the world's clock since the start of the run.
 */
public final class AgentRecords {
    private AgentRecords() {
    }

    /**
     * One agent process from its start to the moment it and its whole group were gone.
     *
     * @param node    the node whose runner started it ("n2")
     * @param fence   its {@code AGENTMESH_FENCE}
     * @param endMs   when it was gone; -1 if it still ran when the run ended
     * @param endedBy what ended it ("stopped", "exited", "watchdog"); "" while it runs
     */
    public record Life(String node, String fence, long startMs, long endMs, String endedBy) {
        public boolean ended() {
            return endMs >= 0;
        }

        /** The end, or {@code runEndMs} for a process that still ran at the end of the run. */
        public long endOr(long runEndMs) {
            return ended() ? endMs : runEndMs;
        }

        @Override
        public String toString() {
            return node + " " + fence + " [" + startMs + ", " + (ended() ? endMs + " " + endedBy : "running") + "]";
        }
    }

    /**
     * Node {@code node}'s thread may have been paused from {@code startMs} to {@code endMs}: a disk stall during which
     * a blocking store call waits (the {@code stall} fault). Its step-down, and so its agent's stop, can be late by up
     * to that long.
     */
    public record Pause(String node, long startMs, long endMs) {
        public long lengthMs() {
            return endMs - startMs;
        }
    }
}
