package io.agentmesh.node.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.time.SystemClock;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code agentmesh mcp}: a Model Context Protocol server over stdio (the official MCP Java SDK) whose tools call the
 * local node's HTTP API: memory, notes, tasks, workspace files, actions and status. Stdout carries the protocol and
 * nothing else; logs go to stderr. It holds no state of its own, so any number of clients may each spawn one: every
 * write goes through the node, which merges them (the failure of file-backed MCP memory servers with two clients).
 */
public final class AgentmeshMcpServer {
    private static final Logger log = LoggerFactory.getLogger(AgentmeshMcpServer.class);
    public static final String NAME = "agentmesh";
    public static final String VERSION = "0.1.0";
    /** Environment variable naming the node's API, and its default. */
    public static final String API_ENV = "AGENTMESH_API";
    public static final String DEFAULT_API = "http://127.0.0.1:7070";
    /** Environment variable holding the fencing token the agent was started with (docs/agents.md). */
    public static final String FENCE_ENV = "AGENTMESH_FENCE";
    /** Largest inbound protocol message (characters). */
    private static final int MAX_MESSAGE_CHARS = 8 * 1024 * 1024;

    /**
     * @param api            the node's HTTP API
     * @param fence          sent in the Agentmesh-Fence header of every side-effecting call, when present
     * @param durability     "majority" (default: a write is acknowledged once a majority of voters hold it) or
     *                       "local"
     * @param requestTimeout the most one call to the node may take
     * @param token          the node's API token (from $AGENTMESH_API_TOKEN or the home's file), sent on every call
     */
    public record Options(URI api, Optional<String> fence, String durability, Duration requestTimeout,
                          Optional<io.agentmesh.node.api.ApiToken> token) {
        /** Options for a node whose API needs no token. */
        public Options(URI api, Optional<String> fence, String durability, Duration requestTimeout) {
            this(api, fence, durability, requestTimeout, Optional.empty());
        }

        public Options {
            java.util.Objects.requireNonNull(token, "token");
            if (!api.isAbsolute() || !("http".equals(api.getScheme()) || "https".equals(api.getScheme()))
                    || api.getHost() == null) {
                throw new IllegalArgumentException("--api must be an http URL such as " + DEFAULT_API + ", got '"
                        + api + "'");
            }
            if (!durability.equals("majority") && !durability.equals("local")) {
                throw new IllegalArgumentException("--durability is majority or local, got '" + durability + "'");
            }
            fence = fence.map(String::strip).filter(f -> !f.isEmpty());
            if (fence.isPresent() && !fence.get().matches("[\\x20-\\x7e]{1,1024}")) {
                throw new IllegalArgumentException(FENCE_ENV + " must be at most 1024 printable ASCII characters (it"
                        + " goes into the " + "Agentmesh-Fence HTTP header)");
            }
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("the request timeout must be positive");
            }
        }
    }

    private AgentmeshMcpServer() {
    }

    /** The server's tool specifications for the SDK (used by {@link #serve} and by tests with other transports). */
    static List<McpServerFeatures.SyncToolSpecification> specifications(McpTools tools) {
        List<McpServerFeatures.SyncToolSpecification> specs = new ArrayList<>();
        for (McpTools.Tool t : tools.tools()) {
            McpSchema.Tool tool = McpSchema.Tool.builder(t.name(), t.inputSchema()).description(t.description())
                    .build();
            specs.add(McpServerFeatures.SyncToolSpecification.builder().tool(tool)
                    .callHandler((exchange, request) -> tools.call(t.name(), request.arguments())).build());
        }
        return specs;
    }

    /**
     * Serves MCP on {@code in}/{@code out} until the client closes {@code in} (end of stream), then closes the
     * session. Blocks the calling thread.
     */
    public static void serve(Options options, InputStream in, OutputStream out) throws InterruptedException {
        ObjectMapper json = new ObjectMapper();
        JacksonMcpJsonMapper mapper = new JacksonMcpJsonMapper(json);
        CompletableFuture<Void> inputClosed = new CompletableFuture<>();
        InputStream watched = new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                return ended(super.read());
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return ended(super.read(b, off, len));
            }

            private int ended(int n) {
                if (n < 0) {
                    inputClosed.complete(null);
                }
                return n;
            }
        };
        NodeApi api = new NodeApi(options.api(), options.fence(), options.durability(), options.requestTimeout(),
                options.token());
        McpTools tools = new McpTools(api, new SystemClock());
        StdioServerTransportProvider transport = new StdioServerTransportProvider(mapper, watched, out,
                MAX_MESSAGE_CHARS);
        McpSyncServer server = McpServer.sync(transport)
                .serverInfo(NAME, VERSION)
                .instructions("Tools of the agentmesh node at " + options.api() + ": the agent's replicated memory,"
                        + " notes, tasks and workspace files, actions performed at most once by the mesh's leader"
                        + " (act), and status. Writes are durable on " + (options.durability().equals("majority")
                        ? "a majority of servers" : "this node") + " before a tool answers.")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .jsonMapper(mapper)
                .jsonSchemaValidator(new DefaultJsonSchemaValidator(json))
                .requestTimeout(Duration.ofSeconds(McpTools.MAX_ACT_WAIT_SECONDS + 30))
                .tools(specifications(tools))
                .build();
        log.info("agentmesh mcp serving {} tools over stdio for the node at {} (fence {}, durability {})",
                tools.tools().size(), options.api(), options.fence().isPresent() ? "set" : "not set",
                options.durability());
        try {
            inputClosed.join();
        } finally {
            log.info("agentmesh mcp: the client closed stdin; stopping");
            server.closeGracefully();
        }
    }
}
