package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The README's first command: a local mesh on loopback with embedded defaults, so a new user sees nodes replicate
 * without writing any configuration. Each node is its own process ({@link ChildNode}), so the user can kill one as a
 * crashed server and watch the others carry on; relays run inside `up`. Keys are stored unencrypted under
 * {@code --dir}; it is a playground.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start a local mesh of nodes on loopback (first run creates an agent under --dir).")
public final class UpCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<NodeId> nodeIds = new ArrayList<>();

    @Option(names = "--nodes", defaultValue = "3", description = "Number of nodes (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--dir", defaultValue = "run/local", description = "Where the nodes keep their files (default ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--mesh-port", defaultValue = "7701", description = "Mesh port of the first node; the others follow (default ${DEFAULT-VALUE}).")
    int meshPort;

    @Option(names = "--http-port", defaultValue = "7071", description = "HTTP port of the first node; the others follow (default ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--relays", defaultValue = "2", description = "Relays to start and register every node with (default ${DEFAULT-VALUE}).")
    int relayCount;

    @Option(names = "--relay-port", defaultValue = "7601", description = "Port of the first relay; the others follow (default ${DEFAULT-VALUE}).")
    int relayPort;

    @Option(names = "--restart-after-ms", defaultValue = "3000",
            description = "Restart a node that exited (say, killed with kill -9) after this many ms, as a service"
                    + " manager would; 0 leaves it down (default ${DEFAULT-VALUE}).")
    long restartAfterMs;

    @Option(names = "--no-agent", description = "Run the mesh without an agent process.")
    boolean noAgent;

    @Option(names = "--no-fake-llm", description = "Start no fake LLM provider and write no llm.json (a node's own"
            + " llm.json is used either way).")
    boolean noFakeLlm;

    @Option(names = "--fake-llm-port", defaultValue = "0",
            description = "Port of the fake LLM provider on loopback (default: any free port).")
    int fakeLlmPort;

    @Parameters(paramLabel = "COMMAND", arity = "0..*",
            description = "After `--`: your agent's command, run in each node's workspace on whichever node leads"
                    + " (default: the example agent, examples/counter-agent/agent.sh).")
    List<String> agentCommand = new ArrayList<>();

    private static final long STOP_GRACE_MS = 15_000;
    /** The fake's one model, as the example agent asks for it. */
    static final String FAKE_MODEL = "fake-small";
    /** How often the example agent asks the LLM (examples/counter-agent/agent.sh's LLM_EVERY). */
    private static final int LLM_EVERY_BEATS = 5;
    private static final long WATCH_PERIOD_MS = 250;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    /** The fake LLM's base URL once it listens. */
    private String fakeLlmUrl;
    /** The nodes whose own llm.json `up` left alone. */
    private final List<String> llmConfigsKept = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 16) {
            throw new IllegalArgumentException("--nodes must be 1..16");
        }
        if (restartAfterMs < 0) {
            throw new IllegalArgumentException("--restart-after-ms must be >= 0");
        }
        dir = dir.toAbsolutePath().normalize();
        List<NodeId> ids = ensureIdentities();
        for (int i = 0; i < nodes; i++) {
            Optional<Long> orphan = ChildNode.stopOrphan(nodeHome(i));
            orphan.ifPresent(pid -> System.out.println("stopped a node left running by an earlier `up` (pid " + pid
                    + ")"));
        }
        // The relays run in this process, whose terminal is the user's view of the mesh: only their errors belong
        // there (a relay refusing a circuit to a node that was just killed is expected here).
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.agentmesh.relay"))
                .setLevel(ch.qos.logback.classic.Level.ERROR);
        List<RelayServer> relayServers = new ArrayList<>();
        List<String> relays = new ArrayList<>();
        for (int r = 0; r < relayCount; r++) {
            // A key kept in the directory, so the nodes' pins hold across runs of `up`.
            var key = io.agentmesh.relay.tls.RelayKey.loadOrCreate(dir.resolve("relay" + (r + 1)),
                    new java.security.SecureRandom()).key();
            RelayServer relay = new RelayServer(RelayConfig.defaults("127.0.0.1", relayPort + r)
                    .withHttp("127.0.0.1", 0), key, new io.agentmesh.protocol.time.SystemClock(),
                    io.agentmesh.relay.RelayTampering.NONE);
            relayServers.add(relay);
            relays.add("127.0.0.1:" + relay.start().getPort() + "#" + relay.fingerprint());
        }
        List<String> agent = agentCommand(examplesDir());
        Optional<FakeLlmChild> fakeLlm = startFakeLlm();
        List<ChildNode> children = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            children.add(new ChildNode("node" + (i + 1), nodeHome(i), nodeArgs(i, ids, relays, agent)));
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            for (ChildNode child : children) {
                try {
                    child.stop(STOP_GRACE_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            relayServers.forEach(RelayServer::close);
            try {
                if (fakeLlm.isPresent()) {
                    fakeLlm.get().stop(STOP_GRACE_MS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                stopped.await(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown-hook"));
        for (ChildNode child : children) {
            child.start();
        }
        System.out.println();
        System.out.println("Local mesh of " + nodes + " node(s), each its own process (Ctrl-C stops them all):");
        for (int i = 0; i < nodes; i++) {
            System.out.println("  " + children.get(i).name() + "  pid " + children.get(i).pid() + "  " + ids.get(i)
                    + "  http://127.0.0.1:" + (httpPort + i) + "  log " + children.get(i).log());
        }
        for (String relay : relays) {
            System.out.println("  relay  " + relay);
        }
        fakeLlm.ifPresent(f -> System.out.println("  fake LLM  pid " + f.pid() + "  " + fakeLlmUrl
                + "  log " + f.log()));
        int last = httpPort + nodes - 1;
        System.out.println();
        System.out.println("Open the dashboard of any node in a browser: http://127.0.0.1:" + httpPort
                + io.agentmesh.node.dashboard.DashboardHttp.PATH);
        System.out.println("Write a memory on node1 and read it on node" + nodes + ":");
        System.out.println("  curl -s -X POST http://127.0.0.1:" + httpPort + "/v1/memory -d '{\"text\":\"hello from node1\"}'");
        System.out.println("  curl -s http://127.0.0.1:" + last + "/v1/memory");
        if (!agent.isEmpty()) {
            System.out.println("The agent (" + String.join(" ", agent) + ") runs on the leader only; its files,"
                    + " mirrored on every node:");
            System.out.println("  ls " + nodeHome(0).resolve("workspace") + "   (each node has its own copy)");
            if (agent.equals(exampleAgent())) {
                System.out.println("  tail -f " + nodeHome(nodes - 1).resolve("workspace").resolve("memory")
                        + "/*.md   (one line per beat, with the node it ran on)");
                System.out.println("  tail -f " + dir.resolve("stamps.log")
                        + "   (its exec actions: each performed once, whoever leads)");
            }
        }
        if (fakeLlmUrl != null || !llmConfigsKept.isEmpty()) {
            System.out.println("An agent calls LLMs through its node, which sends them " + (llmConfigsKept.isEmpty()
                    ? "to the fake LLM" : "where its llm.json says (" + String.join(", ", llmConfigsKept)
                    + " kept its own)") + (agent.equals(exampleAgent()) ? "; the example agent asks every "
                    + LLM_EVERY_BEATS + "th beat and writes the reply in its memory file" : "") + ":");
            System.out.println("  curl -s http://127.0.0.1:" + httpPort + "/llm/openai/v1/chat/completions -d '{\"model\":\""
                    + FAKE_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}'"
                    + "   (served by the leader's node; another answers which node leads)");
            System.out.println("  bin/agentmesh llm status --http 127.0.0.1:" + httpPort
                    + "   (health, latency, errors, spend; bin/agentmesh llm costs for the spend per day)");
        }
        System.out.println("Kill the leader's node as a crashed server would (`up` restarts it "
                + (restartAfterMs > 0 ? restartAfterMs + " ms later" : "never: --restart-after-ms 0") + "):");
        System.out.println("  kill -9 <pid of the leader's node>");
        System.out.println();
        try {
            watch(children, stopping);
        } finally {
            stopped.countDown();
        }
        return 0;
    }

    /**
     * Starts the fake LLM provider (examples/fake-llm) unless --no-fake-llm, and writes each node's llm.json naming it
     * where the node has none of its own. A fake that cannot start is reported and the mesh runs without it: nothing
     * else depends on it (the example agent writes why its LLM calls fail).
     */
    private Optional<FakeLlmChild> startFakeLlm() throws IOException, InterruptedException {
        if (fakeLlmPort < 0 || fakeLlmPort > 65_535) {
            throw new IllegalArgumentException("--fake-llm-port must be 0..65535");
        }
        if (noFakeLlm) {
            removeOwnLlmConfigs();
            return Optional.empty();
        }
        Optional<Path> source = examplesDir().map(e -> e.resolve("fake-llm").resolve("FakeLlm.java"))
                .filter(Files::isRegularFile);
        if (source.isEmpty()) {
            System.out.println("(no fake LLM: examples/fake-llm not found; run from the agentmesh checkout)");
            removeOwnLlmConfigs();
            return Optional.empty();
        }
        FakeLlmChild fake = new FakeLlmChild(source.get(), dir);
        int port;
        try {
            port = fake.start(Path.of(System.getProperty("java.home"), "bin", "java").toString(), fakeLlmPort);
        } catch (IOException e) {
            System.out.println("(no fake LLM: " + e.getMessage() + ")");
            removeOwnLlmConfigs();
            return Optional.empty();
        }
        fakeLlmUrl = "http://127.0.0.1:" + port + "/v1";
        String config = fakeLlmConfig(port);
        for (int i = 0; i < nodes; i++) {
            if (!writeLlmConfig(nodeHome(i), config)) {
                llmConfigsKept.add("node" + (i + 1));
            }
        }
        return Optional.of(fake);
    }

    /**
     * The llm.json `up` writes: the fake as an OpenAI-compatible provider on loopback (it takes no key), its one model
     * priced so the costs `agentmesh llm costs` shows are not zero, and a daily budget to show spent and left. With one
     * provider there is nothing to fail over to, so a call waits at most 5 s for it and a dead fake is retried within
     * 30 s of coming back: the example agent writes why a call failed instead of waiting a minute.
     */
    static String fakeLlmConfig(int port) {
        return """
                {
                  "providers": [
                    {"id": "fake", "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:%d/v1", "noKey": true,
                     "models": [{"name": "%s", "contextTokens": 8192, "maxOutputTokens": 256,
                                 "price": {"inputPerMTok": 1, "outputPerMTok": 2}}]}
                  ],
                  "routing": {"maxWaitMs": 5000},
                  "cooldowns": {"maxMs": 30000},
                  "budgets": [{"period": "day", "limitUsd": 1}]
                }
                """.formatted(port, FAKE_MODEL);
    }

    /**
     * Writes {@code config} as {@code home}/llm.json unless the node has one of its own: a file there that `up` did
     * not write (its SHA-256 is not the one `up` recorded in llm.json.up) is the operator's and is kept. Returns
     * whether `up`'s config is the one in place.
     */
    static boolean writeLlmConfig(Path home, String config) throws IOException {
        Path file = home.resolve("llm.json");
        Path marker = home.resolve("llm.json.up");
        Files.createDirectories(home);
        if (Files.exists(file)) {
            String written = Files.exists(marker) ? Files.readString(marker).trim() : "";
            if (!written.equals(sha256(Files.readAllBytes(file)))) {
                return false;
            }
        }
        Path tmp = home.resolve("llm.json.tmp");
        Files.writeString(tmp, config);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(marker, sha256(config.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\n");
        return true;
    }

    /** Without the fake, the llm.json files `up` wrote for an earlier run would name a dead port: they go. */
    private void removeOwnLlmConfigs() throws IOException {
        for (int i = 0; i < nodes; i++) {
            removeLlmConfigIfOwn(nodeHome(i));
        }
    }

    /** Removes {@code home}/llm.json when `up` wrote it (see {@link #writeLlmConfig}); returns whether it did. */
    static boolean removeLlmConfigIfOwn(Path home) throws IOException {
        Path file = home.resolve("llm.json");
        Path marker = home.resolve("llm.json.up");
        if (!Files.exists(file) || !Files.exists(marker)
                || !Files.readString(marker).trim().equals(sha256(Files.readAllBytes(file)))) {
            return false;
        }
        Files.delete(file);
        Files.delete(marker);
        return true;
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Arguments of node {@code i}'s `agentmesh node run`: every other node as a peer, every relay, and when there is
     * an agent its workspace (each node its own directory, mirrored) and command.
     */
    private List<String> nodeArgs(int i, List<NodeId> ids, List<String> relays, List<String> agent)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("node", "run", "--home", nodeHome(i).toString(),
                "--listen", "127.0.0.1:" + (meshPort + i), "--http", "127.0.0.1:" + (httpPort + i)));
        for (int j = 0; j < nodes; j++) {
            if (j != i) {
                args.addAll(List.of("--peer", ids.get(j) + "@127.0.0.1:" + (meshPort + j)));
            }
        }
        for (String relay : relays) {
            args.addAll(List.of("--relay", relay));
        }
        if (!agent.isEmpty()) {
            Path workspace = nodeHome(i).resolve("workspace");
            Files.createDirectories(workspace);
            args.addAll(List.of("--workspace", workspace.toString()));
            if (agent.equals(exampleAgent())) {
                Files.writeString(nodeHome(i).resolve("exec.json"), exampleExecConfig());
            }
            args.add("--");
            args.addAll(agent);
        }
        return args;
    }

    /** The agent to run: the user's command after `--`, else the example when it is found, else none. */
    private List<String> agentCommand(Optional<Path> examples) {
        if (noAgent) {
            if (!agentCommand.isEmpty()) {
                throw new IllegalArgumentException("--no-agent and an agent command after `--` contradict each other");
            }
            return List.of();
        }
        if (!agentCommand.isEmpty()) {
            return agentCommand;
        }
        if (examples.isEmpty()) {
            System.out.println("(no agent: examples/counter-agent not found; run from the agentmesh checkout, or give"
                    + " your agent's command after `--`)");
            return List.of();
        }
        return exampleAgent();
    }

    private List<String> exampleAgent() {
        return examplesDir().map(e -> List.of("sh", e.resolve("counter-agent").resolve("agent.sh").toString()))
                .orElse(List.of());
    }

    /**
     * Where the examples are: $AGENTMESH_EXAMPLES (bin/agentmesh sets it to the checkout's examples/), else
     * ./examples.
     */
    private static Optional<Path> examplesDir() {
        String env = System.getenv("AGENTMESH_EXAMPLES");
        Path examples = (env != null && !env.isBlank() ? Path.of(env) : Path.of("examples")).toAbsolutePath()
                .normalize();
        return Files.isRegularFile(examples.resolve("counter-agent").resolve("agent.sh")) ? Optional.of(examples)
                : Optional.empty();
    }

    /** The example's one exec command, `stamp`: appends a line per performed action to stamps.log under --dir. */
    private String exampleExecConfig() {
        Path stamp = examplesDir().orElseThrow().resolve("counter-agent").resolve("stamp.sh");
        try {
            return JSON.writeValueAsString(java.util.Map.of("commands", java.util.Map.of("stamp", java.util.Map.of(
                    "argv", List.of("sh", stamp.toString(), dir.resolve("stamps.log").toString()),
                    "timeoutMs", 10_000, "mode", "at-most-once"))));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Until `up` is stopped: says when a node exits and restarts it after {@code --restart-after-ms}, and says who
     * leads whenever that changes, so a user who kills a node sees the mesh carry on.
     */
    private void watch(List<ChildNode> children, java.util.concurrent.atomic.AtomicBoolean stopping)
            throws InterruptedException {
        long[] restartAt = new long[children.size()];
        String leaderSaid = "";
        long nextStatusPoll = 0;
        while (!stopping.get()) {
            long now = System.nanoTime() / 1_000_000;
            for (int i = 0; i < children.size(); i++) {
                ChildNode child = children.get(i);
                if (child.alive() || stopping.get()) {
                    continue;
                }
                if (restartAt[i] == 0) {
                    int status = child.exitStatus().orElse(-1);
                    System.out.println(child.name() + " (pid " + child.pid() + ") exited with status " + status
                            + (status == 137 ? " (killed with SIGKILL)" : "")
                            + (restartAfterMs > 0 ? "; restarting it in " + restartAfterMs + " ms" : "")
                            + "; its log: " + child.log());
                    restartAt[i] = restartAfterMs > 0 ? now + restartAfterMs : Long.MAX_VALUE;
                } else if (now >= restartAt[i]) {
                    restartAt[i] = 0;
                    try {
                        child.start();
                        System.out.println(child.name() + " restarted, pid " + child.pid());
                    } catch (IOException e) {
                        System.out.println(child.name() + " could not be restarted: " + e.getMessage());
                        restartAt[i] = Long.MAX_VALUE;
                    }
                }
            }
            if (now >= nextStatusPoll) {
                nextStatusPoll = now + 1_000;
                String leader = leaderLine(children);
                if (!leader.isEmpty() && !leader.equals(leaderSaid)) {
                    System.out.println(leader);
                    leaderSaid = leader;
                }
            }
            Thread.sleep(WATCH_PERIOD_MS);
        }
    }

    /**
     * "leader: node2 (pid 123), term 7; agent running (pid 456)" as the first live node that names a leader sees it;
     * empty when none answers or knows one.
     */
    private String leaderLine(List<ChildNode> children) {
        for (int i = 0; i < children.size(); i++) {
            if (!children.get(i).alive()) {
                continue;
            }
            JsonNode status = statusOf(i);
            String leader = status == null ? "" : status.path("consensus").path("leader").asText("");
            if (leader.isEmpty()) {
                continue;
            }
            int index = indexOfNode(leader);
            if (index < 0) {
                return "leader: " + leader + ", term " + status.path("consensus").path("term").asLong();
            }
            String line = "leader: " + children.get(index).name() + " (pid " + children.get(index).pid() + "), term "
                    + status.path("consensus").path("term").asLong();
            JsonNode leaderStatus = index == i ? status : statusOf(index);
            JsonNode agent = leaderStatus == null ? null : leaderStatus.get("agentProcess");
            if (agent != null && agent.isObject()) {
                line += "; agent " + agent.path("state").asText("?")
                        + (agent.hasNonNull("pid") ? " (pid " + agent.path("pid").asLong() + ")" : "");
            }
            return line;
        }
        return "";
    }

    /** Node {@code i}'s /v1/status, or null when it does not answer. */
    private JsonNode statusOf(int i) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + (httpPort + i) + "/v1/status")).timeout(Duration.ofMillis(800)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null; // not serving yet, or just killed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private int indexOfNode(String nodeId) {
        for (int i = 0; i < nodeIds.size(); i++) {
            if (nodeIds.get(i).toString().equals(nodeId)) {
                return i;
            }
        }
        return -1;
    }

    private Path nodeHome(int index) {
        return dir.resolve("node" + (index + 1));
    }

    /** Creates the agent (root key held by node1) and enrolls each node that has no identity yet. */
    private List<NodeId> ensureIdentities() throws Exception {
        SecureRandom random = new SecureRandom();
        IdentityDirectory first = IdentityDirectory.of(nodeHome(0).resolve("identity"));
        if (!first.hasAgentRootKey()) {
            first.createAgent(random, Optional.empty());
            System.out.println("created agent " + first.agentId() + " under " + dir);
        }
        SigningKey root = first.readAgentRoot(Optional.empty());
        List<NodeId> ids = nodeIds;
        for (int i = 0; i < nodes; i++) {
            IdentityDirectory node = IdentityDirectory.of(nodeHome(i).resolve("identity"));
            if (!node.hasNodeKey()) {
                node.createNodeKey(random, Optional.empty());
                node.writeAgentPublicKey(root.verifyingKey());
                long now = System.currentTimeMillis();
                node.writeCertificate(NodeCertificate.issue(root, node.nodePublicKey(), i < 7 ? Role.VOTER : Role.LEARNER,
                        now, now + Duration.ofDays(3650).toMillis()));
            }
            ids.add(node.nodeId());
        }
        return ids;
    }
}
