package io.agentmesh.node.cli;

import io.agentmesh.node.mcp.AgentmeshMcpServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code agentmesh mcp}: the MCP server over stdio. Stdout is the protocol channel, so anything else that would print
 * there (a library's notice, a stray println) is sent to stderr instead, before the server starts.
 */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = {"Serve the Model Context Protocol over stdio for the local node: memory, notes, tasks,"
                + " workspace files, act (request an action and wait for its outcome) and status.",
                "Point an MCP client at it, e.g. `claude mcp add agentmesh -- agentmesh mcp` (docs/mcp.md).",
                "When AGENTMESH_FENCE is set (an agent started by agentmesh), side-effecting calls carry it in the"
                        + " Agentmesh-Fence header, so a deposed agent's late writes are refused.",
                "The node's API token, when it needs one, comes from $AGENTMESH_API_TOKEN, else <home>/api-token."})
public final class McpCommand implements Callable<Integer> {

    @Option(names = "--api", paramLabel = "URL",
            description = "The node's HTTP API (default: $AGENTMESH_API, else " + AgentmeshMcpServer.DEFAULT_API + ").")
    String api;

    @Option(names = "--durability", defaultValue = "majority", paramLabel = "majority|local",
            description = "Acknowledge writes once a majority of servers hold them, or once this node does"
                    + " (default ${DEFAULT-VALUE}).")
    String durability;

    @Option(names = "--timeout-seconds", defaultValue = "15",
            description = "The most one call to the node may take (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        // Keep the protocol channel clean: the real stdout goes to the server, System.out to stderr.
        OutputStream protocol = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        if (timeoutSeconds < 1 || timeoutSeconds > 600) {
            throw new IllegalArgumentException("--timeout-seconds must be 1..600, got " + timeoutSeconds);
        }
        String url = api != null ? api : Optional.ofNullable(System.getenv(AgentmeshMcpServer.API_ENV))
                .filter(s -> !s.isBlank()).orElse(AgentmeshMcpServer.DEFAULT_API);
        URI uri;
        try {
            uri = URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--api is not a URL: '" + url + "'");
        }
        Optional<String> fence = Optional.ofNullable(System.getenv(AgentmeshMcpServer.FENCE_ENV))
                .filter(s -> !s.isEmpty());
        AgentmeshMcpServer.serve(new AgentmeshMcpServer.Options(uri, fence, durability,
                Duration.ofSeconds(timeoutSeconds), NodeHttp.clientToken()), System.in, protocol);
        return 0;
    }
}
