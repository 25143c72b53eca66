package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AgentStatusLineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRunningAgentShowsItsPidFenceRestartsAndLastExit() throws Exception {
        assertEquals("process running (pid 4242, fence 7.1042, 2 restarts, last exit 1)",
                StatusCommand.agentProcessLine(JSON.readTree("{\"state\":\"running\",\"pid\":4242,"
                        + "\"fence\":\"7.1042\",\"restarts\":2,\"lastExitCode\":1}")));
    }

    @Test
    void aFollowerShowsItWaitsAndACrashLoopSaysWhy() throws Exception {
        assertEquals("process waiting-for-leadership (0 restarts, last exit -)",
                StatusCommand.agentProcessLine(JSON.readTree("{\"state\":\"waiting-for-leadership\",\"pid\":null,"
                        + "\"fence\":null,\"restarts\":0,\"lastExitCode\":null}")));
        assertEquals("process crash-loop (4 restarts, last exit 3): the agent exited 5 times within 60 s",
                StatusCommand.agentProcessLine(JSON.readTree("{\"state\":\"crash-loop\",\"pid\":null,\"fence\":null,"
                        + "\"restarts\":4,\"lastExitCode\":3,\"crashLoop\":\"the agent exited 5 times within 60 s\"}")));
    }
}
