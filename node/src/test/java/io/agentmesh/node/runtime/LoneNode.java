package io.agentmesh.node.runtime;

import io.agentmesh.node.actions.exec.ExecCommands;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.llm.config.LlmConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One node alone on loopback, in this JVM, on a home {@code agentmesh init} made: a free mesh port, an ephemeral HTTP
 * port, no peers, relays, agent or exec commands, keys unencrypted.
 */
public final class LoneNode {
    private LoneNode() {
    }

    /** A node without LLM providers or backup targets. */
    public static NodeRuntime start(Path home) throws IOException {
        return start(home, LlmConfig.none(), new BackupConfig(List.of()));
    }

    /** A node with these LLM providers and no backup targets. */
    public static NodeRuntime start(Path home, LlmConfig llm) throws IOException {
        return start(home, llm, new BackupConfig(List.of()));
    }

    public static NodeRuntime start(Path home, LlmConfig llm, BackupConfig backup) throws IOException {
        return NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"), Optional.empty(),
                new InetSocketAddress("127.0.0.1", freePort()), Optional.empty(), new InetSocketAddress("127.0.0.1", 0),
                List.of(), List.of(), 20_000, false, AgentSettings.none(), ExecCommands.none(), llm, backup));
    }

    /** A port nothing listens on just now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
