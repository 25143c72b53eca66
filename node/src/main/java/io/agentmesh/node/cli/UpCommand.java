package io.agentmesh.node.cli;

import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * The README's first command: a local mesh on loopback with embedded defaults, so a new user sees nodes replicate
 * without writing any configuration. Keys are stored unencrypted under {@code --dir}; it is a playground.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start a local mesh of nodes on loopback (first run creates an agent under --dir).")
public final class UpCommand implements Callable<Integer> {
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

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 16) {
            throw new IllegalArgumentException("--nodes must be 1..16");
        }
        List<NodeId> ids = ensureIdentities();
        List<NodeRuntime> running = new ArrayList<>();
        List<RelayServer> relayServers = new ArrayList<>();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.forEach(n -> n.shutdown("signal"));
            relayServers.forEach(RelayServer::close);
            stop.countDown();
        }, "shutdown-hook"));
        List<InetSocketAddress> relays = new ArrayList<>();
        for (int r = 0; r < relayCount; r++) {
            RelayServer relay = new RelayServer(RelayConfig.defaults("127.0.0.1", relayPort + r).withHttp("127.0.0.1", 0));
            relayServers.add(relay);
            relays.add(relay.start());
        }
        for (int i = 0; i < nodes; i++) {
            List<NodeSettings.PeerSpec> peers = new ArrayList<>();
            for (int j = 0; j < nodes; j++) {
                if (j != i) {
                    peers.add(new NodeSettings.PeerSpec(ids.get(j), InetSocketAddress.createUnresolved("127.0.0.1", meshPort + j)));
                }
            }
            Path home = nodeHome(i);
            running.add(NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"), Optional.empty(),
                    new InetSocketAddress("127.0.0.1", meshPort + i), Optional.empty(),
                    new InetSocketAddress("127.0.0.1", httpPort + i), peers, relays, 20_000, false, AgentSettings.none())));
        }
        System.out.println();
        System.out.println("Local mesh of " + nodes + " node(s) is up (Ctrl-C stops it):");
        for (int i = 0; i < nodes; i++) {
            System.out.println("  node" + (i + 1) + "  " + ids.get(i) + "  http://127.0.0.1:" + (httpPort + i)
                    + "  mesh 127.0.0.1:" + (meshPort + i));
        }
        int last = httpPort + nodes - 1;
        for (InetSocketAddress relay : relays) {
            System.out.println("  relay  127.0.0.1:" + relay.getPort());
        }
        System.out.println();
        System.out.println("Write a memory on node1:");
        System.out.println("  curl -s -X POST http://127.0.0.1:" + httpPort + "/v1/memory -d '{\"text\":\"hello from node1\"}'");
        System.out.println("Read it on node" + nodes + ":");
        System.out.println("  curl -s http://127.0.0.1:" + last + "/v1/memory");
        System.out.println("Peers, links and lag:");
        System.out.println("  curl -s http://127.0.0.1:" + last + "/v1/status");
        stop.await();
        return 0;
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
        List<NodeId> ids = new ArrayList<>();
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
