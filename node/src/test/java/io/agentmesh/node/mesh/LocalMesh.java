package io.agentmesh.node.mesh;

import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** N nodes of one agent in this JVM, over real Netty and SQLite on loopback. Close it. */
final class LocalMesh implements AutoCloseable {
    final Path dir;
    final SigningKey root;
    final List<NodeId> ids = new ArrayList<>();
    final List<Integer> meshPorts = new ArrayList<>();
    final List<Integer> httpPorts = new ArrayList<>();
    final NodeRuntime[] nodes;
    /** Relays every node registers with; peers are still given directly unless {@link #peersGiven} is false. */
    List<InetSocketAddress> relays = List.of();
    boolean peersGiven = true;
    /** Each node's workspace directory (mirrored), or null for none (the array, or one node's entry). */
    Path[] workspaces;
    /** Every node's llm.json (none by default). */
    io.agentmesh.node.llm.config.LlmConfig llm = io.agentmesh.node.llm.config.LlmConfig.none();
    /** Every node's backup.json (no targets by default). */
    io.agentmesh.node.backup.target.BackupConfig backup = new io.agentmesh.node.backup.target.BackupConfig(List.of());

    LocalMesh(Path dir, int n) throws IOException {
        this.dir = dir;
        SecureRandom random = new SecureRandom();
        IdentityDirectory first = IdentityDirectory.of(home(0).resolve("identity"));
        root = first.createAgent(random, Optional.empty());
        for (int i = 0; i < n; i++) {
            IdentityDirectory d = IdentityDirectory.of(home(i).resolve("identity"));
            d.createNodeKey(random, Optional.empty());
            d.writeAgentPublicKey(root.verifyingKey());
            long now = System.currentTimeMillis();
            d.writeCertificate(NodeCertificate.issue(root, d.nodePublicKey(), Role.VOTER, now - 60_000, now + 86_400_000));
            ids.add(d.nodeId());
            meshPorts.add(freePort());
            httpPorts.add(freePort());
        }
        nodes = new NodeRuntime[n];
    }

    Path home(int i) {
        return dir.resolve("node" + i);
    }

    NodeRuntime start(int i) throws IOException {
        List<NodeSettings.PeerSpec> peers = new ArrayList<>();
        for (int j = 0; j < ids.size(); j++) {
            if (j != i && peersGiven) {
                peers.add(new NodeSettings.PeerSpec(ids.get(j), InetSocketAddress.createUnresolved("127.0.0.1", meshPorts.get(j))));
            }
        }
        nodes[i] = NodeRuntime.start(new NodeSettings(home(i).resolve("identity"), home(i).resolve("state"), Optional.empty(),
                new InetSocketAddress("127.0.0.1", meshPorts.get(i)), Optional.empty(),
                new InetSocketAddress("127.0.0.1", httpPorts.get(i)), peers, relays, 20_000, true,
                workspaces == null || workspaces[i] == null ? AgentSettings.none()
                        : new AgentSettings(Optional.of(workspaces[i]), List.of()),
                io.agentmesh.node.actions.exec.ExecCommands.none(), llm, backup));
        return nodes[i];
    }

    void startAll() throws IOException {
        for (int i = 0; i < ids.size(); i++) {
            start(i);
        }
    }

    void stop(int i) {
        if (nodes[i] != null) {
            nodes[i].shutdown("test");
            nodes[i] = null;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < nodes.length; i++) {
            stop(i);
        }
    }
}
