package io.agentmesh.relay;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code agentmesh relay run}: the relay process. Runs until SIGTERM or SIGINT, then closes every connection and
 * exits (with the JVM's status for the signal, 143 for SIGTERM; systemd: {@code SuccessExitStatus=143}). Exit code
 * 2 for bad flags, 1 when the relay cannot start (port in use...).
 */
@Command(name = "agentmesh", mixinStandardHelpOptions = true, version = "agentmesh relay 0.1.0",
        description = "agentmesh relay: rendezvous and forwarding for agentmesh nodes.",
        subcommands = RelayMain.Relay.class)
public final class RelayMain {

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "relay-logback.xml");
        }
        String[] argv = args.length > 0 && !args[0].equals("relay") && !args[0].startsWith("-")
                ? prepend("relay", args) : args;
        System.exit(execute(System.getenv(), argv));
    }

    /**
     * Runs the command line with {@code env} as the environment: `relay run` takes its defaults from
     * $AGENTMESH_RELAY_* variables and the {@code relay:} section of the config file (exit 2 when they are refused).
     */
    static int execute(java.util.Map<String, String> env, String... argv) {
        CommandLine cli = commandLine();
        if (argv.length >= 2 && argv[0].equals("relay") && argv[1].equals("run")) {
            String[] runArgs = java.util.Arrays.copyOfRange(argv, 2, argv.length);
            try {
                io.agentmesh.relay.config.ConfigSetup.install(cli.getSubcommands().get("relay").getSubcommands()
                        .get("run"), "relay", ENV_PREFIX, runArgs, env, defaultConfigFile(env));
            } catch (IllegalArgumentException | java.io.IOException e) {
                cli.getErr().println("agentmesh relay: " + e.getMessage());
                cli.getErr().flush();
                return 2;
            }
        }
        return cli.execute(argv);
    }

    /** The prefix of `relay run`'s variables: a node's $AGENTMESH_LISTEN on the same host must not move the relay. */
    public static final String ENV_PREFIX = "AGENTMESH_RELAY_";

    /** {@code $AGENTMESH_HOME/agentmesh.yaml}, else {@code ~/.agentmesh/agentmesh.yaml}: read when present. */
    static java.nio.file.Path defaultConfigFile(java.util.Map<String, String> env) {
        String home = env.get("AGENTMESH_HOME");
        java.nio.file.Path dir = home != null && !home.isBlank() ? java.nio.file.Path.of(home)
                : java.nio.file.Path.of(System.getProperty("user.home"), ".agentmesh");
        return dir.resolve(io.agentmesh.relay.config.ConfigFile.DEFAULT_NAME);
    }

    static CommandLine commandLine() {
        return new CommandLine(new RelayMain());
    }

    /** The options of `relay run`, for `agentmesh config` (keys, table, effective values). */
    public static CommandLine runCommandLine() {
        return new CommandLine(new Run());
    }

    private static String[] prepend(String first, String[] rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    @Command(name = "relay", mixinStandardHelpOptions = true,
            description = "Relays: untrusted rendezvous points that also forward traffic between nodes that cannot"
                    + " dial each other. They keep no agent state.",
            subcommands = Run.class)
    static final class Relay {
    }

    @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Runs a relay until SIGTERM.",
                    "Nodes register signed records here (memory only) and open circuits through it; their TLS runs"
                            + " end to end inside, so the relay cannot read or alter what it forwards.",
                    "HTTP: GET /healthz, GET /metrics (Prometheus)."})
    static final class Run implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE",
                description = "YAML config file whose relay: section gives defaults for these flags (default:"
                        + " $AGENTMESH_HOME/agentmesh.yaml or ~/.agentmesh/agentmesh.yaml when present; or"
                        + " $AGENTMESH_CONFIG). A flag wins over $AGENTMESH_RELAY_<FLAG>, which wins over the file.")
        String config;

        @Option(names = "--home", paramLabel = "DIR",
                description = "Directory of the relay's key, relay.key, made at first start (default:"
                        + " $AGENTMESH_HOME, else ~/.agentmesh).")
        java.nio.file.Path home;

        @Option(names = "--print-fingerprint",
                description = "Print the relay key's fingerprint (making the key if there is none) and exit: nodes"
                        + " pin it with --relay HOST:PORT#sha256:...")
        boolean printFingerprint;

        @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:" + RelayConfig.DEFAULT_PORT,
                description = "Address for nodes (default: ${DEFAULT-VALUE}).")
        String listen;

        @Option(names = "--http", paramLabel = "HOST:PORT|off", defaultValue = "127.0.0.1:7780",
                description = "Address of /healthz and /metrics, or 'off' (default: ${DEFAULT-VALUE}).")
        String http;

        @Option(names = "--max-connections", defaultValue = "4096",
                description = "TCP connections open at once (default: ${DEFAULT-VALUE}).")
        int maxConnections;

        @Option(names = "--max-registrations", defaultValue = "10000",
                description = "Registrations held at once (default: ${DEFAULT-VALUE}).")
        int maxRegistrations;

        @Option(names = "--max-registrations-per-agent", defaultValue = "64",
                description = "Registrations of one agent held at once (default: ${DEFAULT-VALUE}).")
        int maxRegistrationsPerAgent;

        @Option(names = "--max-circuits", defaultValue = "1024",
                description = "Circuits open at once (default: ${DEFAULT-VALUE}).")
        int maxCircuits;

        @Option(names = "--max-circuits-per-node", defaultValue = "32",
                description = "Circuits one node takes part in at once (default: ${DEFAULT-VALUE}).")
        int maxCircuitsPerNode;

        @Option(names = "--circuit-max-bytes", defaultValue = "1073741824",
                description = "Bytes one circuit may carry before it is closed (default: ${DEFAULT-VALUE}).")
        long circuitMaxBytes;

        @Option(names = "--circuit-max-seconds", defaultValue = "3600",
                description = "Seconds one circuit may stay open before it is closed (default: ${DEFAULT-VALUE}).")
        long circuitMaxSeconds;

        @Option(names = "--max-record-ttl-seconds", defaultValue = "3600",
                description = "Longest validity a registration may claim (default: ${DEFAULT-VALUE}).")
        long maxRecordTtlSeconds;

        @Option(names = "--idle-timeout-seconds", defaultValue = "60",
                description = "Close a control connection silent for this long (default: ${DEFAULT-VALUE}).")
        long idleTimeoutSeconds;

        @Option(names = "--max-requests-per-source-per-second", paramLabel = "N",
                defaultValue = "" + io.agentmesh.relay.limits.SourceLimits.DEFAULT_MAX_REQUESTS_PER_SECOND,
                description = "Registrations and lookups one source address may make a second (2 s of it as a"
                        + " burst); beyond, each waits its turn (default: ${DEFAULT-VALUE}).")
        long maxRequestsPerSourcePerSecond;

        @Option(names = "--source-limit-disconnect-after-ms", paramLabel = "MS",
                defaultValue = "" + io.agentmesh.relay.limits.SourceLimits.DEFAULT_DISCONNECT_AFTER_MS,
                description = "A source over its limit this long is refused (RATE_LIMITED) and disconnected"
                        + " (default: ${DEFAULT-VALUE}).")
        long sourceLimitDisconnectAfterMs;

        RelayConfig config() {
            InetSocketAddress l = HostPort.parse(listen);
            String httpHost = "127.0.0.1";
            int httpPort = -1;
            if (!"off".equalsIgnoreCase(http.strip())) {
                InetSocketAddress h = HostPort.parse(http);
                httpHost = h.getHostString();
                httpPort = h.getPort();
            }
            RelayConfig d = RelayConfig.defaults(l.getHostString(), l.getPort());
            return new RelayConfig(l.getHostString(), l.getPort(), httpHost, httpPort, maxConnections,
                    maxRegistrations, maxRegistrationsPerAgent, maxCircuits, maxCircuitsPerNode, circuitMaxBytes,
                    Math.multiplyExact(circuitMaxSeconds, 1000L), Math.multiplyExact(maxRecordTtlSeconds, 1000L),
                    d.handshakeTimeoutMs(), Math.multiplyExact(idleTimeoutSeconds, 1000L), d.attachTimeoutMs());
        }

        /** {@code --home}, else $AGENTMESH_HOME, else ~/.agentmesh. */
        private java.nio.file.Path home() {
            if (home != null) {
                return home;
            }
            String env = System.getenv("AGENTMESH_HOME");
            return env != null && !env.isBlank() ? java.nio.file.Path.of(env)
                    : java.nio.file.Path.of(System.getProperty("user.home"), ".agentmesh");
        }

        @Override
        public Integer call() {
            RelayConfig config;
            io.agentmesh.relay.limits.SourceLimits sourceLimits;
            try {
                config = config();
                if (maxRequestsPerSourcePerSecond <= 0 || sourceLimitDisconnectAfterMs <= 0) {
                    throw new IllegalArgumentException("--max-requests-per-source-per-second and"
                            + " --source-limit-disconnect-after-ms must be > 0, got " + maxRequestsPerSourcePerSecond
                            + " and " + sourceLimitDisconnectAfterMs);
                }
                sourceLimits = new io.agentmesh.relay.limits.SourceLimits(maxRequestsPerSourcePerSecond,
                        sourceLimitDisconnectAfterMs);
            } catch (IllegalArgumentException | ArithmeticException e) {
                System.err.println("agentmesh relay: " + e.getMessage());
                return 2;
            }
            io.agentmesh.relay.tls.RelayKey.Loaded key;
            try {
                key = io.agentmesh.relay.tls.RelayKey.loadOrCreate(home(), new java.security.SecureRandom());
            } catch (java.io.IOException | IllegalArgumentException e) {
                System.err.println("agentmesh relay: cannot use the relay key in " + home() + ": " + e.getMessage());
                return 1;
            }
            if (key.created()) {
                System.err.println("agentmesh relay: made a new relay key in " + key.file());
            }
            if (printFingerprint) {
                System.out.println(key.key().fingerprint());
                return 0;
            }
            RelayServer relay = new RelayServer(config, key.key(), new io.agentmesh.protocol.time.SystemClock(),
                    RelayTampering.NONE, sourceLimits);
            try {
                InetSocketAddress bound = relay.start();
                System.out.println("relay key " + key.key().fingerprint() + " (" + key.file() + "); nodes pin it:"
                        + " --relay HOST:" + bound.getPort() + "#" + key.key().fingerprint());
            } catch (IllegalStateException e) {
                System.err.println("agentmesh relay: " + e.getMessage());
                relay.close();
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                relay.close();
                stopped.countDown();
            }, "relay-shutdown"));
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                relay.close();
            }
            return 0;
        }
    }
}
