package io.agentmesh.node.cli;

import io.agentmesh.node.actions.exec.ExecCommands;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "node", mixinStandardHelpOptions = true, description = "Run a node, enroll one, or remove one.",
        subcommands = {NodeCommand.Run.class, EnrollCommands.Keygen.class, EnrollCommands.Enroll.class,
                EnrollCommands.Join.class, RevokeCommands.Remove.class, RevokeCommands.Apply.class})
public final class NodeCommand {

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run this machine's node until SIGTERM or Ctrl-C.")
    static final class Run implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Mixin
        LimitOptions limitOptions;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE",
                description = "YAML config file whose node: section gives defaults for these flags (default:"
                        + " <home>/agentmesh.yaml when present, or $AGENTMESH_CONFIG). A flag wins over"
                        + " $AGENTMESH_<FLAG>, which wins over the file; `agentmesh config show` prints the result.")
        Path config;

        @Option(names = "--listen", defaultValue = "127.0.0.1:7700",
                description = "Mesh transport address (default ${DEFAULT-VALUE}); tailscale:PORT listens on this"
                        + " machine's tailnet address only.")
        String listen;

        @Option(names = "--advertise", description = "Address peers dial to reach this node (default: --listen);"
                + " tailscale (or tailscale:PORT) advertises this machine's tailnet address (`tailscale ip -4`, else"
                + " the interface address in 100.64.0.0/10) with the --listen port.")
        String advertise;

        @Option(names = "--http", defaultValue = "127.0.0.1:7070",
                description = "HTTP API address, loopback by default (default ${DEFAULT-VALUE}).")
        String http;

        @Option(names = "--peer", split = ",",
                description = "A peer as <node-id>@host:port; repeat (or separate with commas) for several.")
        List<String> peers = new ArrayList<>();

        @Option(names = "--relay", split = ",",
                description = "A relay as host:port to register with and find peers through, pinned to its key with"
                        + " host:port#sha256:FINGERPRINT (`relay run --print-fingerprint`; unpinned: its first key is"
                        + " trusted and recorded); repeat (or separate with commas) for several.")
        List<String> relays = new ArrayList<>();

        @Option(names = "--relay-pins", split = ",", paramLabel = "HOST:PORT#sha256:FINGERPRINT",
                description = "Keys of relays given by --relay, as host:port#sha256:FINGERPRINT (the relay written"
                        + " as in --relay); repeat (or separate with commas) for several.")
        List<String> relayPins = new ArrayList<>();

        @Option(names = "--snapshot-every", defaultValue = "20000",
                description = "Write a snapshot every this many changes, the node's own and those it received:"
                        + " a restart replays at most about that many (default ${DEFAULT-VALUE}).")
        long snapshotEvery;

        @Option(names = "--max-writes-per-change", defaultValue = "256",
                description = "Concurrent local writes committed together as one signed change at most (one"
                        + " signature, row and fsync for all); 1 makes every write its own change, as before"
                        + " batching (default ${DEFAULT-VALUE}).")
        int maxWritesPerChange;

        @Option(names = "--workspace", paramLabel = "DIR",
                description = "The agent's workspace directory, mirrored on every node of the mesh.")
        Path workspace;

        @Parameters(paramLabel = "COMMAND", arity = "0..*",
                description = "After `--`: the agent's command, run on whichever node leads.")
        List<String> agentCommand = new ArrayList<>();

        @Option(names = "--exec-config", paramLabel = "FILE",
                description = "JSON file of the named commands `exec` intents may run on this node (default:"
                        + " <home>/exec.json when present). Never taken from the replicated state.")
        Path execConfig;

        @Option(names = "--llm-config", paramLabel = "FILE",
                description = "The LLM gateway's provider file (default: <home>/llm.json when present; see"
                        + " docs/llm.md). Node-local, never taken from the replicated state; a bad file stops the"
                        + " node at start.")
        Path llmConfig;

        @Option(names = "--wallet-config", paramLabel = "FILE",
                description = "The wallet's node-local config (default: <home>/wallet.json when present; see"
                        + " docs/wallet.md): chain, key, confirmations, policy. A bad file or a keystore the passphrase"
                        + " does not open stops the node at start.")
        Path walletConfig;

        @Option(names = "--agent-stop-grace-ms", defaultValue = "500", paramLabel = "MS",
                description = "How long the agent may take to exit after SIGTERM before SIGKILL (default"
                        + " ${DEFAULT-VALUE}); the next leader waits this long too, so it adds to failover time.")
        long agentStopGraceMs;

        static final String BACKUP_CONFIG_FILE = "backup.json";

        @Option(names = "--take-over",
                description = "On a home made by `agentmesh restore`: become the agent's cluster. Intents without an"
                        + " outcome get an `uncertain` one first (never run again); see docs/backup.md, \"Restoring\".")
        boolean takeOver;

        @Option(names = "--api-token-file", paramLabel = "FILE",
                description = "The HTTP API's bearer token (default: <home>/api-token, made by `agentmesh init` or"
                        + " `agentmesh api-token new`). Required when --http is not loopback.")
        Path apiTokenFile;

        @Option(names = "--require-token",
                description = "Require the API token on loopback too (a machine shared with other users).")
        boolean requireToken;

        @Option(names = "--enable-fault-injection", hidden = true,
                description = "Serve the fault-injection admin endpoints (for `agentmesh sim live` only).")
        boolean faultInjection;

        /**
         * {@code text} as host:port, or {@code tailscale[:PORT]} as this machine's tailnet address with PORT (else
         * {@code defaultPort}, -1 for none).
         */
        private static java.net.InetSocketAddress address(String text, String what, int defaultPort) {
            if (!io.agentmesh.node.ops.Tailnet.asks(text)) {
                return NodeSettings.parseHostPort(text, what);
            }
            int port = defaultPort;
            int colon = text.indexOf(':');
            if (colon >= 0) {
                port = NodeSettings.parseHostPort("x" + text.substring(colon), what).getPort();
            }
            if (port <= 0) {
                throw new IllegalArgumentException(what + " " + text + " needs a port: write tailscale:PORT");
            }
            try {
                return new java.net.InetSocketAddress(io.agentmesh.node.ops.Tailnet.ofThisMachine(
                        System.getenv("PATH")), port);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
            }
        }

        /** How to name {@code option} in an error: the flag, or the variable or file line its value came from. */
        private String label(String option) {
            if (spec != null && spec.commandLine() != null
                    && spec.commandLine().getDefaultValueProvider() instanceof io.agentmesh.relay.config.OptionDefaults d) {
                return d.label(option, spec, spec.commandLine().getParseResult() != null
                        && spec.commandLine().getParseResult().hasMatchedOption(option));
            }
            return option;
        }

        /** {@code host:port} of a relay written {@code host:port#sha256:...}. */
        static String withoutPin(String relay) {
            int hash = relay.indexOf(io.agentmesh.relay.RelayAddress.PIN_SEPARATOR);
            return hash < 0 ? relay : relay.substring(0, hash);
        }

        /** The pins in --relay and --relay-pins, by relay name; a relay pinned twice to two keys is refused. */
        private java.util.Map<String, io.agentmesh.relay.tls.RelayFingerprint> relayPins() {
            java.util.Map<String, io.agentmesh.relay.tls.RelayFingerprint> pins = new java.util.LinkedHashMap<>();
            java.util.Set<String> named = new java.util.HashSet<>();
            for (String r : relays) {
                named.add(io.agentmesh.relay.HostPort.format(NodeSettings.parseHostPort(withoutPin(r),
                        label("--relay"))));
            }
            for (String option : List.of("--relay", "--relay-pins")) {
                boolean fromPins = option.equals("--relay-pins");
                for (String text : fromPins ? relayPins : relays) {
                    io.agentmesh.relay.RelayAddress a;
                    try {
                        a = io.agentmesh.relay.RelayAddress.parse(text);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(label(option) + ": " + e.getMessage(), e);
                    }
                    if (a.pin().isEmpty()) {
                        if (fromPins) {
                            throw new IllegalArgumentException(label(option) + ": " + text + " has no #sha256:..."
                                    + " fingerprint");
                        }
                        continue;
                    }
                    if (!named.contains(a.name())) {
                        throw new IllegalArgumentException(label(option) + ": " + a.name() + " is not a relay given"
                                + " by --relay " + named);
                    }
                    io.agentmesh.relay.tls.RelayFingerprint before = pins.put(a.name(), a.pin().get());
                    if (before != null && !before.equals(a.pin().get())) {
                        throw new IllegalArgumentException(label(option) + ": relay " + a.name() + " is pinned to two"
                                + " keys, " + before + " and " + a.pin().get());
                    }
                }
            }
            return pins;
        }

        /** The given exec config (it must exist), else {@code <home>/exec.json} when present, else none. */
        private ExecCommands execCommands() throws java.io.IOException {
            if (execConfig != null) {
                return ExecCommands.load(execConfig);
            }
            Path fallback = home.home().resolve(ExecCommands.DEFAULT_FILE_NAME);
            return java.nio.file.Files.exists(fallback) ? ExecCommands.load(fallback) : ExecCommands.none();
        }

        /** The given llm config (it must exist), else {@code <home>/llm.json} when present, else none. */
        private LlmConfig llmConfig() throws java.io.IOException {
            Path file = llmConfig != null ? llmConfig : home.home().resolve(LlmConfig.DEFAULT_FILE_NAME);
            if (llmConfig == null && !java.nio.file.Files.exists(file)) {
                return LlmConfig.none();
            }
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IllegalArgumentException("llm config " + file + " does not exist");
            }
            return LlmConfig.load(file, PriceTable.shipped());
        }

        /** The given wallet config (it must exist), else {@code <home>/wallet.json} when present, else none. */
        private Optional<io.agentmesh.node.wallet.spend.WalletConfig> walletConfig() throws java.io.IOException {
            Path file = walletConfig != null ? walletConfig
                    : home.home().resolve(io.agentmesh.node.wallet.spend.WalletConfig.DEFAULT_FILE_NAME);
            if (walletConfig == null && !java.nio.file.Files.exists(file)) {
                return Optional.empty();
            }
            return Optional.of(io.agentmesh.node.wallet.spend.WalletConfig.read(file, home.home()));
        }

        /** {@code <home>/backup.json} when present, else no targets. */
        static io.agentmesh.node.backup.target.BackupConfig backupConfig(Path home) throws java.io.IOException {
            Path file = home.resolve(BACKUP_CONFIG_FILE);
            return java.nio.file.Files.exists(file) ? io.agentmesh.node.backup.target.BackupConfig.read(file)
                    : new io.agentmesh.node.backup.target.BackupConfig(List.of());
        }

        @Override
        public Integer call() throws Exception {
            io.agentmesh.node.limits.Limits limits = limitOptions.limits(); // a bad limit changes nothing
            List<NodeSettings.PeerSpec> peerSpecs = new ArrayList<>();
            for (String p : peers) {
                try {
                    peerSpecs.add(NodeSettings.PeerSpec.parse(p));
                } catch (IllegalArgumentException | io.agentmesh.protocol.identity.IdentityException e) {
                    throw new IllegalArgumentException(label("--peer") + ": " + e.getMessage(), e);
                }
            }
            if (!agentCommand.isEmpty() && workspace == null) {
                throw new IllegalArgumentException("an agent command needs --workspace DIR: the agent runs there, and"
                        + " its files are mirrored on every node");
            }
            java.net.InetSocketAddress listenAddress = address(listen, label("--listen"), -1);
            Optional<java.nio.file.Path> checkedWorkspace = Optional.ofNullable(workspace)
                    .map(AgentSettings::checkWorkspace);
            AgentSettings.checkCommand(agentCommand, checkedWorkspace, System.getenv("PATH"));
            NodeSettings settings = new NodeSettings(home.identityDir(), home.stateDir(), home.passphrase(),
                    listenAddress,
                    Optional.ofNullable(advertise).map(a -> address(a, label("--advertise"), listenAddress.getPort())),
                    NodeSettings.parseHostPort(http, label("--http")), peerSpecs,
                    relays.stream().map(r -> NodeSettings.parseHostPort(withoutPin(r), label("--relay"))).toList(),
                    snapshotEvery, faultInjection, new AgentSettings(checkedWorkspace, agentCommand)
                            .withStopGraceMs(agentStopGraceMs), execCommands(), llmConfig(), backupConfig(home.home()),
                    walletConfig(), relayPins(), maxWritesPerChange);
            if (takeOver) {
                int settled = io.agentmesh.node.runtime.RestoredHome.takeOver(home.identityDir(), home.stateDir(),
                        home.passphrase(), new io.agentmesh.protocol.time.SystemClock());
                System.out.println("taking over: " + settled + " intent(s) without an outcome marked uncertain"
                        + " (not run again)");
            }
            Path tokenFile = apiTokenFile != null ? apiTokenFile
                    : home.home().resolve(io.agentmesh.node.api.ApiToken.FILE_NAME);
            if (apiTokenFile != null && !java.nio.file.Files.exists(apiTokenFile)) {
                throw new IllegalArgumentException("--api-token-file " + apiTokenFile + " does not exist");
            }
            var apiAccess = new io.agentmesh.node.api.ApiAccess.Policy(io.agentmesh.node.api.ApiToken.read(tokenFile),
                    requireToken);
            io.agentmesh.node.api.ApiAccess.check(settings.http(), apiAccess);
            NodeRuntime node = NodeRuntime.start(settings, apiAccess, limits);
            // Under systemd (Type=notify): READY=1 now, WATCHDOG=1 while the node thread answers.
            Optional<io.agentmesh.node.ops.SystemdNotify> systemd = io.agentmesh.node.ops.SystemdNotify.start(
                    System.getenv(), node.identity().nodeId().toString(), () -> {
                        try {
                            node.status().get(5, java.util.concurrent.TimeUnit.SECONDS);
                            return true;
                        } catch (Exception e) {
                            return false;
                        }
                    });
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                systemd.ifPresent(io.agentmesh.node.ops.SystemdNotify::close);
                node.shutdown("signal");
                // A SIGTERM handled to completion is a clean stop: exit 0 rather than the JVM's 143.
                Runtime.getRuntime().halt(0);
            }, "shutdown-hook"));
            System.out.println("node " + node.identity().nodeId() + " running; HTTP API on http://" + node.httpAddress()
                    + ", mesh on port " + node.meshPort() + "; dashboard on http://" + node.httpAddress()
                    + io.agentmesh.node.dashboard.DashboardHttp.PATH);
            String reason = node.terminated().join();
            return reason.startsWith("fatal") ? 70 : 0;
        }
    }
}
