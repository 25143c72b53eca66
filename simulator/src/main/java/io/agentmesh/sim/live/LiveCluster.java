package io.agentmesh.sim.live;

import io.agentmesh.node.consensus.Voters;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real node processes (and optionally relay processes) on loopback, each in its own directory with its own free
 * ports, started with fault injection on so the harness can cut links. Every node gets every other node as
 * {@code --peer}, so all of them (up to 7) are voters of one Raft group. With {@link Options#withWitnesses} the last
 * nodes are enrolled as witnesses: they vote but hold no agent state, so every state request (memory, intents, state
 * reads) goes to the nodes that {@link Node#holdsState() hold state}; status and fault injection work on every node.
 *
 * <p>Cleanup is not optional: {@link #close()} kills every child and waits (bounded) for it to go; a JVM shutdown
 * hook does the same on Ctrl-C or {@code System.exit}. Only a kill -9 of this JVM itself can leave children
 * behind (they would then run until killed; their directories name them).
 */
public final class LiveCluster implements AutoCloseable {
    static final String NODE_MAIN = "io.agentmesh.node.cli.AgentmeshCommand";
    static final String RELAY_MAIN = "io.agentmesh.relay.RelayMain";
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** Every child process of every open cluster in this JVM, for the shutdown hook. */
    private static final Set<Process> CHILDREN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(LiveCluster::killAllChildren, "live-cluster-cleanup"));
    }

    /**
     * How to start the cluster.
     *
     * @param nodes        node processes (1..16; the first 7 by node id are voters)
     * @param witnesses    how many of the last nodes are enrolled as witnesses instead of voters (0..nodes - 1; with
     *                     any, at most {@value Voters#MAX} nodes, so each witness is one of the voters)
     * @param relays       relay processes (0..4); every node registers with each
     * @param dir          where the cluster's directories go; null: a new temporary directory, deleted on close
     * @param keepDir      keep the directory on close (logs, stores, performed.jsonl)
     * @param jvmArgs      extra JVM options for every child (heap, JIT)
     * @param readyTimeout how long a process may take to answer /readyz (or /healthz for a relay)
     * @param workspaces   each node that holds state mirrors its own workspace directory
     * @param agentCommand the agent every node that holds state hosts (after {@code --}); empty: none
     * @param llmConfig    the text of the llm.json written into every node's home (where {@code node run} reads it
     *                     by default); null: none, so the nodes' LLM gateways are not configured
     * @param nodeArgs     extra options for every {@code node run} (before the agent command), e.g.
     *                     {@code --passphrase-file}
     */
    public record Options(int nodes, int witnesses, int relays, Path dir, boolean keepDir, List<String> jvmArgs,
                          Duration readyTimeout, boolean workspaces, List<String> agentCommand, String llmConfig,
                          List<String> nodeArgs) {
        public Options(int nodes, int witnesses, int relays, Path dir, boolean keepDir, List<String> jvmArgs,
                       Duration readyTimeout) {
            this(nodes, witnesses, relays, dir, keepDir, jvmArgs, readyTimeout, false, List.of(), null, List.of());
        }

        public Options(int nodes, int witnesses, int relays, Path dir, boolean keepDir, List<String> jvmArgs,
                       Duration readyTimeout, boolean workspaces, List<String> agentCommand, String llmConfig) {
            this(nodes, witnesses, relays, dir, keepDir, jvmArgs, readyTimeout, workspaces, agentCommand, llmConfig,
                    List.of());
        }

        /** Every {@code node run} also gets {@code args} (e.g. {@code --passphrase-file F}). */
        public Options withNodeArgs(List<String> args) {
            return new Options(nodes, witnesses, relays, dir, keepDir, jvmArgs, readyTimeout, workspaces, agentCommand,
                    llmConfig, args);
        }

        public Options {
            if (nodes < 1 || nodes > 16) {
                throw new IllegalArgumentException("nodes must be 1..16, got " + nodes);
            }
            if (witnesses < 0 || witnesses >= nodes) {
                throw new IllegalArgumentException("witnesses must be 0.." + (nodes - 1) + " (at least one node holds"
                        + " the agent's state), got " + witnesses);
            }
            if (witnesses > 0 && nodes > Voters.MAX) {
                throw new IllegalArgumentException("a cluster with witnesses has at most " + Voters.MAX
                        + " nodes (a witness must be a voter), got " + nodes);
            }
            if (relays < 0 || relays > 4) {
                throw new IllegalArgumentException("relays must be 0..4, got " + relays);
            }
            jvmArgs = List.copyOf(jvmArgs);
            agentCommand = List.copyOf(agentCommand);
            nodeArgs = List.copyOf(nodeArgs);
            if (!agentCommand.isEmpty() && !workspaces) {
                throw new IllegalArgumentException("an agent command needs workspaces (node run needs --workspace)");
            }
        }

        /** Small heaps and C1 only: fast start, enough for loopback tests. */
        public static List<String> quickJvm() {
            return List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto");
        }

        public static Options of(int nodes, int relays) {
            return new Options(nodes, 0, relays, null, false, quickJvm(), Duration.ofSeconds(90));
        }

        public Options withDir(Path d, boolean keep) {
            return new Options(nodes, witnesses, relays, d, keep, jvmArgs, readyTimeout, workspaces, agentCommand,
                    llmConfig, nodeArgs);
        }

        public Options withJvmArgs(List<String> args) {
            return new Options(nodes, witnesses, relays, dir, keepDir, args, readyTimeout, workspaces, agentCommand,
                    llmConfig, nodeArgs);
        }

        /** Each node mirrors its own workspace directory ({@link Node#workspace()}, {@code --workspace}). */
        public Options withWorkspaces() {
            return new Options(nodes, witnesses, relays, dir, keepDir, jvmArgs, readyTimeout, true, agentCommand,
                    llmConfig, nodeArgs);
        }

        /**
         * Every node that holds state hosts the same agent: {@code node run ... --workspace <its workspace> --
         * <command>}, so the node that leads runs it (docs/agents.md). Implies {@link #withWorkspaces()}.
         */
        public Options withAgent(List<String> command) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("the agent command is empty");
            }
            return new Options(nodes, witnesses, relays, dir, keepDir, jvmArgs, readyTimeout, true, command, llmConfig,
                    nodeArgs);
        }

        /**
         * Every node gets {@code json} as its {@code <home>/llm.json} (docs/llm.md "Configuration"), so each runs
         * an LLM gateway; the nodes check the file strictly at start and refuse to run with a bad one.
         */
        public Options withLlmConfig(String json) {
            if (json == null || json.isBlank()) {
                throw new IllegalArgumentException("the llm.json text is empty");
            }
            return new Options(nodes, witnesses, relays, dir, keepDir, jvmArgs, readyTimeout, workspaces, agentCommand,
                    json, nodeArgs);
        }

        /** The last {@code count} nodes are enrolled as witnesses (role WITNESS) instead of voters. */
        public Options withWitnesses(int count) {
            return new Options(nodes, count, relays, dir, keepDir, jvmArgs, readyTimeout, workspaces, agentCommand,
                    llmConfig, nodeArgs);
        }

        public Options withReadyTimeout(Duration timeout) {
            return new Options(nodes, witnesses, relays, dir, keepDir, jvmArgs, timeout, workspaces, agentCommand,
                    llmConfig, nodeArgs);
        }

        /** The role node {@code i} is enrolled with: witnesses last, then voters up to the founding list, learners. */
        Role roleOf(int i) {
            if (i >= nodes - witnesses) {
                return Role.WITNESS;
            }
            return i < Voters.MAX ? Role.VOTER : Role.LEARNER;
        }
    }

    /** One node: identity, role, directory, ports and (while it runs) its process. */
    public static final class Node {
        private final int index;
        private final String name;
        private final NodeId id;
        private final Role role;
        private final Path home;
        private final int meshPort;
        private final int httpPort;
        private final NodeClient client;
        private volatile Process process;
        private volatile boolean expectedDown;

        Node(int index, NodeId id, Role role, Path home, int meshPort, int httpPort) {
            this.index = index;
            this.name = "n" + (index + 1);
            this.id = id;
            this.role = role;
            this.home = home;
            this.meshPort = meshPort;
            this.httpPort = httpPort;
            this.client = new NodeClient(httpPort);
        }

        public int index() {
            return index;
        }

        /** Short name for reports: n1, n2... */
        public String name() {
            return name;
        }

        public NodeId id() {
            return id;
        }

        /** The role its certificate enrolls it with. */
        public Role role() {
            return role;
        }

        /**
         * Whether the node holds the agent's state: every node but a witness, which answers the state and intent
         * endpoints with 409, never leads and never performs. The one test of where state requests may go.
         */
        public boolean holdsState() {
            return role != Role.WITNESS;
        }

        public Path home() {
            return home;
        }

        public Path stateDir() {
            return home.resolve("state");
        }

        /** The file the node's job executor appends each performed job to. */
        public Path performedFile() {
            return stateDir().resolve("performed.jsonl");
        }

        public Path log() {
            return home.resolve("node.log");
        }

        /** The node's workspace directory (mirrored only when the cluster runs with workspaces). */
        public Path workspace() {
            return home.resolve("workspace");
        }

        public int meshPort() {
            return meshPort;
        }

        public int httpPort() {
            return httpPort;
        }

        public NodeClient client() {
            return client;
        }

        /** Whether the process is running (it may not be ready yet). */
        public boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }

        /** The process, while one was started; empty before the first start. */
        public Optional<Process> process() {
            return Optional.ofNullable(process);
        }

        /** Whether the harness stopped this node on purpose (so a dead process is not a problem). */
        public boolean expectedDown() {
            return expectedDown;
        }

        @Override
        public String toString() {
            return name + " (" + id.shortForm() + ", http " + httpPort + ")";
        }
    }

    /** One relay process. */
    public static final class Relay {
        private final int index;
        private final Path dir;
        private final int port;
        private final int httpPort;
        private volatile Process process;

        Relay(int index, Path dir, int port, int httpPort) {
            this.index = index;
            this.dir = dir;
            this.port = port;
            this.httpPort = httpPort;
        }

        public int index() {
            return index;
        }

        public String name() {
            return "r" + (index + 1);
        }

        public int port() {
            return port;
        }

        public Path log() {
            return dir.resolve("relay.log");
        }

        public boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }
    }

    private final Options options;
    private final Path dir;
    private final boolean deleteOnClose;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Relay> relays = new ArrayList<>();
    private final String classPath;
    private final Path javaBin;
    private final Path logbackConfig;
    private volatile boolean closed;

    private LiveCluster(Options options) throws IOException {
        this.options = options;
        if (options.dir() == null) {
            this.dir = Files.createTempDirectory("agentmesh-live-");
            this.deleteOnClose = !options.keepDir();
        } else {
            Files.createDirectories(options.dir());
            this.dir = options.dir();
            this.deleteOnClose = false;
        }
        this.classPath = System.getProperty("java.class.path");
        this.javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        this.logbackConfig = dir.resolve("logback-child.xml");
        Files.writeString(logbackConfig, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="io.agentmesh" level="INFO"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
    }

    /**
     * Creates identities and directories, starts every relay and node, and waits until each answers. On any failure
     * the processes started so far are killed before the exception leaves.
     */
    public static LiveCluster start(Options options) throws IOException, InterruptedException {
        LiveCluster c = new LiveCluster(options);
        try {
            c.prepare();
            for (Relay r : c.relays) {
                c.startRelay(r.index());
            }
            for (Relay r : c.relays) {
                c.awaitRelay(r);
            }
            for (Node n : c.nodes) {
                c.launch(n);
            }
            for (Node n : c.nodes) {
                c.awaitReady(n);
            }
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void prepare() throws IOException {
        int count = options.nodes() * 2 + options.relays() * 2;
        int[] ports = freePorts(count);
        SecureRandom random = new SecureRandom();
        IdentityDirectory agent = IdentityDirectory.of(dir.resolve("agent"));
        SigningKey root = agent.hasAgentRootKey() ? agent.readAgentRoot(Optional.empty())
                : agent.createAgent(random, Optional.empty());
        int p = 0;
        for (int r = 0; r < options.relays(); r++) {
            Path rd = dir.resolve("relay" + (r + 1));
            Files.createDirectories(rd);
            relays.add(new Relay(r, rd, ports[p++], ports[p++]));
        }
        for (int i = 0; i < options.nodes(); i++) {
            Path home = dir.resolve("n" + (i + 1));
            IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
            if (!ids.hasNodeKey()) {
                ids.createNodeKey(random, Optional.empty());
                ids.writeAgentPublicKey(root.verifyingKey());
                long now = System.currentTimeMillis();
                ids.writeCertificate(NodeCertificate.issue(root, ids.nodePublicKey(), options.roleOf(i),
                        now - 60_000, now + Duration.ofDays(3650).toMillis()));
            }
            Role role = ids.readCertificate().role();
            if (role != options.roleOf(i)) {
                throw new IllegalArgumentException("n" + (i + 1) + " in " + home + " is enrolled as " + role
                        + ", but these options make it a " + options.roleOf(i) + "; use another directory");
            }
            Files.createDirectories(home.resolve("state"));
            if (options.workspaces() && role != Role.WITNESS) {
                Files.createDirectories(home.resolve("workspace"));
            }
            if (options.llmConfig() != null) {
                Files.writeString(home.resolve("llm.json"), options.llmConfig());
            }
            nodes.add(new Node(i, ids.nodeId(), role, home, ports[p++], ports[p++]));
        }
    }

    /** Distinct free loopback ports (all held open at once, so none repeats). */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] out = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                held.add(s);
                out[i] = s.getLocalPort();
            }
            return out;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ accessors

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public Node node(int i) {
        return nodes.get(i);
    }

    /** The nodes that hold the agent's state ({@link Node#holdsState()}): where state requests go. */
    public List<Node> stateNodes() {
        return nodes.stream().filter(Node::holdsState).toList();
    }

    /** The witnesses: they vote, hold no state, never lead. */
    public List<Node> witnesses() {
        return nodes.stream().filter(n -> !n.holdsState()).toList();
    }

    public List<Relay> relays() {
        return List.copyOf(relays);
    }

    public Path dir() {
        return dir;
    }

    public Options options() {
        return options;
    }

    /** Node by node id text, or empty. */
    public Optional<Node> byId(String nodeId) {
        return nodes.stream().filter(n -> n.id().toString().equals(nodeId)).findFirst();
    }

    // ------------------------------------------------------------------------------------------ processes

    private List<String> nodeCommand(Node n) {
        List<String> cmd = new ArrayList<>(jvm());
        cmd.addAll(List.of(NODE_MAIN, "node", "run", "--home", n.home().toString(),
                "--listen", "127.0.0.1:" + n.meshPort(), "--http", "127.0.0.1:" + n.httpPort(),
                "--enable-fault-injection"));
        if (options.workspaces() && n.holdsState()) {
            cmd.addAll(List.of("--workspace", n.workspace().toString()));
        }
        for (Node other : nodes) {
            if (other != n) {
                cmd.add("--peer");
                cmd.add(other.id() + "@127.0.0.1:" + other.meshPort());
            }
        }
        for (Relay r : relays) {
            cmd.add("--relay");
            cmd.add("127.0.0.1:" + r.port());
        }
        cmd.addAll(options.nodeArgs());
        // A witness never leads, so it cannot host the agent (node run refuses a command on one).
        if (!options.agentCommand().isEmpty() && n.holdsState()) {
            cmd.add("--");
            cmd.addAll(options.agentCommand());
        }
        return cmd;
    }

    private List<String> jvm() {
        List<String> cmd = new ArrayList<>(List.of(javaBin.toString(), "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(options.jvmArgs());
        cmd.add("-Dlogback.configurationFile=" + logbackConfig);
        cmd.addAll(List.of("-cp", classPath));
        return cmd;
    }

    private Process spawn(List<String> cmd, Path log) throws IOException {
        if (closed) {
            throw new IllegalStateException("the cluster is closed");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        CHILDREN.add(p);
        p.onExit().thenRun(() -> CHILDREN.remove(p));
        if (closed) { // close() raced with us: do not leave this one behind
            p.destroyForcibly();
        }
        return p;
    }

    private void launch(Node n) throws IOException {
        if (n.alive()) {
            throw new IllegalStateException(n.name() + " is already running");
        }
        Files.writeString(n.log(), "---- start " + java.time.Instant.now() + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        n.process = spawn(nodeCommand(n), n.log());
        n.expectedDown = false;
    }

    /** Waits until {@code n} answers /readyz; throws (with the log's tail) if its process dies or time runs out. */
    public void awaitReady(Node n) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + options.readyTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            Process p = n.process;
            if (p == null || !p.isAlive()) {
                throw new IOException(n.name() + " exited before it was ready (exit "
                        + (p == null ? "-" : p.exitValue()) + "); log tail:\n" + tail(n.log(), 30));
            }
            if (n.client().probe("/readyz")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IOException(n.name() + " not ready within " + options.readyTimeout().toSeconds() + " s; log tail:\n"
                + tail(n.log(), 30));
    }

    /** Starts {@code n} again with the same directory, ports and peers, and waits until it is ready. */
    public void restart(int i) throws IOException, InterruptedException {
        Node n = nodes.get(i);
        launch(n);
        awaitReady(n);
    }

    /** Starts {@code n} without waiting for it (see {@link #awaitReady}). */
    public void launch(int i) throws IOException {
        launch(nodes.get(i));
    }

    /** kill -9: the process gets no chance to flush or hand anything over. Returns once it is gone. */
    public void kill9(int i) throws InterruptedException {
        Node n = nodes.get(i);
        n.expectedDown = true;
        Process p = n.process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * SIGTERM: the node hands leadership over and stops cleanly. Waits up to 20 s, then kills it. Returns the exit
     * status (-1 when it had to be killed).
     */
    public int terminate(int i) throws InterruptedException {
        Node n = nodes.get(i);
        n.expectedDown = true;
        Process p = n.process;
        if (p == null || !p.isAlive()) {
            return p == null ? -1 : p.exitValue();
        }
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return -1;
        }
        return p.exitValue();
    }

    public void startRelay(int r) throws IOException {
        Relay relay = relays.get(r);
        if (relay.alive()) {
            throw new IllegalStateException(relay.name() + " is already running");
        }
        List<String> cmd = new ArrayList<>(jvm());
        cmd.addAll(List.of(RELAY_MAIN, "relay", "run", "--listen", "127.0.0.1:" + relay.port(),
                "--http", "127.0.0.1:" + relay.httpPort));
        relay.process = spawn(cmd, relay.log());
    }

    public void awaitRelay(int r) throws IOException, InterruptedException {
        awaitRelay(relays.get(r));
    }

    private void awaitRelay(Relay relay) throws IOException, InterruptedException {
        NodeClient c = new NodeClient(relay.httpPort);
        long deadline = System.nanoTime() + options.readyTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            if (!relay.alive()) {
                throw new IOException(relay.name() + " exited; log tail:\n" + tail(relay.log(), 30));
            }
            if (c.probe("/healthz")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IOException(relay.name() + " not ready in time; log tail:\n" + tail(relay.log(), 30));
    }

    public void killRelay(int r) throws InterruptedException {
        Process p = relays.get(r).process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ------------------------------------------------------------------------------------------ faults

    /**
     * Applies one fault-injection action at node {@code at} about {@code peer} (null for "clear"). Returns false
     * when the node did not take it (down, or no answer); the caller decides whether that matters.
     */
    public boolean fault(int at, String action, Integer peer, long delayMs) {
        Node n = nodes.get(at);
        if (!n.alive()) {
            return false;
        }
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("action", action);
        if (peer != null) {
            body.put("peer", nodes.get(peer).id().toString());
        }
        if (delayMs > 0) {
            body.put("delayMs", delayMs);
        }
        try {
            return n.client().post("/v1/admin/faults", body, Duration.ofSeconds(3)).ok();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Cuts the link between {@code a} and {@code b}: each side blocks the other. */
    public void partition(int a, int b) {
        fault(a, "block", b, 0);
        fault(b, "block", a, 0);
    }

    /** Restores the link between {@code a} and {@code b} (both directions). */
    public void heal(int a, int b) {
        fault(a, "unblock", b, 0);
        fault(b, "unblock", a, 0);
    }

    /** Cuts {@code i} off from every other node. */
    public void isolate(int i) {
        for (int j = 0; j < nodes.size(); j++) {
            if (j != i) {
                partition(i, j);
            }
        }
    }

    /** Clears every fault rule on every running node. */
    public void healAll() {
        for (int i = 0; i < nodes.size(); i++) {
            fault(i, "clear", null, 0);
        }
    }

    // ------------------------------------------------------------------------------------------ cleanup

    /** Kills every node and relay (bounded waits) and removes the directory unless it is to be kept. Idempotent. */
    @Override
    public void close() {
        closed = true;
        List<Process> all = new ArrayList<>();
        for (Node n : nodes) {
            n.expectedDown = true;
            if (n.process != null) {
                all.add(n.process);
            }
        }
        for (Relay r : relays) {
            if (r.process != null) {
                all.add(r.process);
            }
        }
        killAll(all);
        if (deleteOnClose) {
            deleteTree(dir);
        }
    }

    private static void killAll(List<Process> processes) {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        for (Process p : processes) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    p.waitFor(left, TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void killAllChildren() {
        killAll(new ArrayList<>(CHILDREN));
    }

    /** How many child processes of live clusters are running in this JVM now (for tests). */
    public static int runningChildren() {
        return (int) CHILDREN.stream().filter(Process::isAlive).count();
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp directory left behind is harmless
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    /** The last {@code lines} lines of a log file (for error messages). */
    public static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no log)";
            }
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
