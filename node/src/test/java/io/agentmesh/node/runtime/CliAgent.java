package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.identity.IdentityDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent set up as a user sets one up, with the CLI in child JVMs: {@code init} makes the first node (its home holds
 * the root key), and each further node makes its key ({@code node keygen}), is enrolled where the root key lives
 * ({@code node enroll}) and installs its certificate ({@code node join}). Its nodes run as {@link NodeProcess}es on
 * free loopback ports, killed (kill -9) when the agent is closed. Every CLI call must succeed; its output goes to
 * {@code cli.log} in the directory.
 */
final class CliAgent implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One node of the agent: its name (and home directory's), id and ports. */
    record Member(String name, Path home, String id, int mesh, int http) {
        /** How other nodes name this one in {@code --peer}. */
        String peer() {
            return id + "@127.0.0.1:" + mesh;
        }
    }

    private final Path dir;
    private final Path log;
    /** The first node, made by {@code init}. */
    final Member founder;
    private final List<NodeProcess> started = new ArrayList<>();

    /** Runs {@code agentmesh init} for the first node, named {@code founderName}, under {@code dir}. */
    CliAgent(Path dir, String founderName) throws Exception {
        this.dir = dir;
        this.log = dir.resolve("cli.log");
        Path home = dir.resolve(founderName);
        cli("init", "--home", home.toString(), "--quiet-phrase");
        founder = member(founderName, home);
    }

    /** A new node named {@code name}, enrolled with {@code role} ("voter", "learner" or "witness"). */
    Member enroll(String name, String role) throws Exception {
        Path home = dir.resolve(name);
        cli("node", "keygen", "--home", home.toString());
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        Path cert = dir.resolve(name + "-cert.json");
        cli("node", "enroll", "--home", founder.home().toString(), "--public-key", ids.nodePublicKey().hex(),
                "--role", role, "--out", cert.toString());
        assertTrue(NodeProcess.read(log).contains(" as " + role + " of agent "), NodeProcess.read(log));
        cli("node", "join", "--home", home.toString(), "--certificate", cert.toString());
        return member(name, home);
    }

    /** Runs {@code m} with {@code peers} as its {@code --peer}s, logging to {@code <name>.log}. */
    NodeProcess start(Member m, Member... peers) throws IOException {
        return start(m, List.of(), peers);
    }

    /**
     * Runs {@code m} with {@code peers} as its {@code --peer}s and {@code extra} after them (for instance
     * {@code --workspace DIR -- <agent command>}), logging to {@code <name>.log} (appended to on a restart).
     */
    NodeProcess start(Member m, List<String> extra, Member... peers) throws IOException {
        List<String> args = new ArrayList<>();
        for (Member p : peers) {
            args.add("--peer");
            args.add(p.peer());
        }
        args.addAll(extra);
        NodeProcess p = NodeProcess.start(m.home(), m.mesh(), m.http(), dir.resolve(m.name() + ".log"),
                args.toArray(String[]::new));
        started.add(p);
        return p;
    }

    /** Kills every process this agent started that still runs. */
    @Override
    public void close() throws InterruptedException {
        for (NodeProcess p : started) {
            p.close();
        }
    }

    private void cli(String... args) throws Exception {
        assertEquals(0, NodeProcess.runCli(log, args), NodeProcess.read(log));
    }

    private static Member member(String name, Path home) throws Exception {
        return new Member(name, home, IdentityDirectory.of(home.resolve("identity")).nodeId().toString(),
                KillNineRestartTest.freePort(), KillNineRestartTest.freePort());
    }

    /** The {@code consensus} part of {@code p}'s status; empty while it does not answer. */
    static JsonNode consensus(NodeProcess p) {
        try {
            return JSON.readTree(p.get("/v1/status").body()).path("consensus");
        } catch (IOException | InterruptedException e) {
            return JSON.createObjectNode();
        }
    }

    /** The Raft voters {@code p} knows of; empty while it does not answer. */
    static Set<String> voters(NodeProcess p) {
        Set<String> out = new TreeSet<>();
        consensus(p).path("voters").forEach(v -> out.add(v.asText()));
        return out;
    }

    /** The leader {@code p} knows of, or null. */
    static String leader(NodeProcess p) {
        JsonNode l = consensus(p).path("leader");
        return l.isTextual() ? l.asText() : null;
    }
}
