package io.agentmesh.node.cli;

import io.agentmesh.node.ops.Doctor;
import io.agentmesh.node.ops.Tailnet;
import io.agentmesh.node.runtime.NodeSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code agentmesh doctor}: checks this machine against what `node run` needs (its settings read as `node run` reads
 * them: flags after `--`, environment, agentmesh.yaml) and prints one line per check.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check this machine for the node: JDK, clock sync, ports, disk, key file permissions, peers"
                + " and relays reachable. One line per check: OK, WARN or FAIL and what to do.",
                "Reads the node's settings as `node run` does (agentmesh.yaml, $AGENTMESH_*, flags after --)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no check failed (warnings allowed)", "1:a check failed", "2:bad arguments or settings"})
public final class DoctorCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--home", description = "The node's home (default: $AGENTMESH_HOME or ~/.agentmesh).")
    Path home;

    @Option(names = "--config", paramLabel = "FILE", description = "The config file (default: <home>/agentmesh.yaml"
            + " when present).")
    Path config;

    @Option(names = "--timeout-ms", defaultValue = "3000", description = "How long to wait for each peer or relay"
            + " (default ${DEFAULT-VALUE}).")
    int timeoutMs;

    @CommandLine.Parameters(paramLabel = "FLAGS", arity = "0..*", description = "`node run` flags, after `--`.")
    List<String> flags = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        List<String> args = new ArrayList<>();
        if (home != null) {
            args.addAll(List.of("--home", home.toString()));
        }
        if (config != null) {
            args.addAll(List.of("--config", config.toString()));
        }
        args.addAll(flags);
        String[] argv = args.toArray(String[]::new);
        NodeCommand.Run run = new NodeCommand.Run();
        CommandLine runCli = new CommandLine(run);
        ConfigCommand.installNodeRun(runCli, argv, System.getenv());
        runCli.parseArgs(argv);
        List<Doctor.Check> checks = checks(run, timeoutMs);
        var out = spec.commandLine().getOut();
        checks.forEach(c -> out.println(c.line()));
        long failed = checks.stream().filter(c -> c.status() == Doctor.Status.FAIL).count();
        long warned = checks.stream().filter(c -> c.status() == Doctor.Status.WARN).count();
        out.println(failed == 0 ? "no problems" + (warned > 0 ? " (" + warned + " warning(s))" : "")
                : failed + " problem(s) to fix");
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    static List<Doctor.Check> checks(NodeCommand.Run run, int timeoutMs) throws IOException {
        List<Doctor.Check> out = new ArrayList<>();
        out.add(Doctor.jdk(Runtime.version().feature()));
        out.add(Doctor.clockSync(Doctor.askTimedatectl(System.getenv("PATH"))));
        Path homeDir = run.home.home();
        boolean running = io.agentmesh.state.store.SqliteChangeStore.inUse(run.home.stateDir().resolve("changes.db"));
        out.add(address("listen", run.listen, running, timeoutMs));
        out.add(address("http", run.http, running, timeoutMs));
        Path existing = homeDir;
        while (existing != null && !java.nio.file.Files.exists(existing)) {
            existing = existing.getParent();
        }
        out.add(existing == null ? new Doctor.Check("disk", Doctor.Status.FAIL, "no directory of " + homeDir
                + " exists", "agentmesh init --home " + homeDir)
                : Doctor.disk(homeDir, java.nio.file.Files.getFileStore(existing).getUsableSpace()));
        out.add(Doctor.secretFile("node key", run.home.identityDir().resolve("node.key"), true));
        out.add(Doctor.secretFile("agent root key", run.home.identityDir().resolve("agent-root.key"), false));
        if (run.home.passphraseFile != null) {
            out.add(Doctor.secretFile("passphrase file", run.home.passphraseFile, true));
        }
        out.add(Doctor.secretFile("llm config", run.llmConfig != null ? run.llmConfig
                : homeDir.resolve("llm.json"), run.llmConfig != null));
        out.add(Doctor.secretFile("backup config", homeDir.resolve(NodeCommand.Run.BACKUP_CONFIG_FILE), false));
        for (String p : run.peers) {
            try {
                NodeSettings.PeerSpec peer = NodeSettings.PeerSpec.parse(p);
                out.add(Doctor.reachable("peer " + peer.node().toString().substring(0, 13), peer.address(), timeoutMs));
            } catch (IllegalArgumentException | io.agentmesh.protocol.identity.IdentityException e) {
                out.add(new Doctor.Check("peer", Doctor.Status.FAIL, e.getMessage(), "fix the peer in agentmesh.yaml"));
            }
        }
        for (String r : run.relays) {
            try {
                out.add(Doctor.reachable("relay " + r, NodeSettings.parseHostPort(NodeCommand.Run.withoutPin(r),
                        "relay"), timeoutMs));
            } catch (IllegalArgumentException e) {
                out.add(new Doctor.Check("relay", Doctor.Status.FAIL, e.getMessage(), "fix the relay in agentmesh.yaml"));
            }
        }
        if (running) {
            out.addAll(clockOffsets(run.http));
        }
        if (run.peers.isEmpty() && run.relays.isEmpty()) {
            out.add(new Doctor.Check("mesh", Doctor.Status.WARN, "no peers and no relays configured",
                    "alone, this node is a mesh of one: add peer: and relay: to agentmesh.yaml"));
        }
        return out;
    }

    /** Each connected peer's clock offset as the running node estimates it ({@code /v1/status} peers[]). */
    private static List<Doctor.Check> clockOffsets(String http) {
        String status;
        try {
            status = NodeHttp.get(http, "/v1/status");
        } catch (IOException | IllegalArgumentException e) {
            return List.of(new Doctor.Check("peer clocks", Doctor.Status.WARN, "cannot ask the node: "
                    + e.getMessage(), "check the node's --http and its API token"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
        try {
            return peerClockChecks(new com.fasterxml.jackson.databind.ObjectMapper().readTree(status));
        } catch (IOException e) {
            return List.of(new Doctor.Check("peer clocks", Doctor.Status.WARN, "the node's status is not JSON: "
                    + e.getMessage(), ""));
        }
    }

    /** One check per peer with an estimate; peers not connected (no estimate) are left to the reachability checks. */
    static List<Doctor.Check> peerClockChecks(com.fasterxml.jackson.databind.JsonNode status) {
        List<Doctor.Check> out = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode p : status.path("peers")) {
            if (p.path("clockOffsetMs").isIntegralNumber()) {
                String node = p.path("node").asText();
                out.add(Doctor.clockOffset("peer " + node.substring(0, Math.min(13, node.length())),
                        p.path("clockOffsetMs").asLong(), p.path("clockOffsetErrorMs").asLong()));
            }
        }
        return out;
    }

    private static Doctor.Check address(String name, String text, boolean running, int timeoutMs) {
        try {
            InetSocketAddress a;
            if (Tailnet.asks(text)) {
                int colon = text.indexOf(':');
                a = new InetSocketAddress(Tailnet.ofThisMachine(System.getenv("PATH")),
                        colon < 0 ? 0 : Integer.parseInt(text.substring(colon + 1)));
            } else {
                a = NodeSettings.parseHostPort(text, name);
            }
            return Doctor.port(name, a, running, timeoutMs);
        } catch (IllegalArgumentException e) {
            return new Doctor.Check(name, Doctor.Status.FAIL, e.getMessage(), "fix " + name + " in agentmesh.yaml");
        }
    }
}
