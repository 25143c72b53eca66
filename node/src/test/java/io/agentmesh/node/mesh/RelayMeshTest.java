package io.agentmesh.node.mesh;

import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import io.agentmesh.state.MemoryEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/** Nodes that know only relay addresses find each other and replicate, through a relay when they cannot dial. */
class RelayMeshTest {

    private static Set<String> texts(NodeRuntime node) {
        return node.memory(10_000).join().stream().map(e -> ((MemoryEntry) e).text()).collect(Collectors.toSet());
    }

    private static List<RelayServer> relays(int n) {
        List<RelayServer> relays = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RelayServer r = new RelayServer(RelayConfig.defaults("127.0.0.1", 0).withHttp("127.0.0.1", 0));
            r.start();
            relays.add(r);
        }
        return relays;
    }

    @Test
    void nodesGivenOnlyRelayAddressesConvergeAndSurviveARelayDying(@TempDir Path dir) throws Exception {
        List<RelayServer> relays = relays(2);
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            mesh.relays = relays.stream().map(RelayServer::address).toList();
            mesh.peersGiven = false;
            mesh.startAll();
            for (int i = 0; i < 3; i++) {
                mesh.nodes[i].appendMemory("note", "from " + i, List.of()).join();
            }
            for (NodeRuntime node : mesh.nodes) {
                await().atMost(Duration.ofSeconds(30)).until(() -> texts(node).size() == 3);
            }
            relays.get(0).close();
            mesh.nodes[0].appendMemory("note", "after relay died", List.of()).join();
            for (NodeRuntime node : mesh.nodes) {
                await().atMost(Duration.ofSeconds(30)).until(() -> texts(node).contains("after relay died"));
            }
        } finally {
            relays.forEach(RelayServer::close);
        }
    }

    @Test
    void twoNodesThatCannotDialEachOtherReplicateThroughARelay(@TempDir Path dir) throws Exception {
        List<RelayServer> relays = relays(1);
        try (LocalMesh mesh = new LocalMesh(dir, 2)) {
            mesh.relays = relays.stream().map(RelayServer::address).toList();
            mesh.start(0);
            mesh.start(1);
            // Cut the direct path both ways; the nodes must fall back to a relay circuit.
            mesh.nodes[0].faults().orElseThrow().apply("blockDirect", mesh.ids.get(1).toString(), 0);
            mesh.nodes[1].faults().orElseThrow().apply("blockDirect", mesh.ids.get(0).toString(), 0);
            mesh.nodes[0].appendMemory("note", "relayed", List.of()).join();
            await().atMost(Duration.ofSeconds(45)).until(() -> texts(mesh.nodes[1]).contains("relayed"));
            mesh.nodes[1].appendMemory("note", "and back", List.of()).join();
            await().atMost(Duration.ofSeconds(45)).until(() -> texts(mesh.nodes[0]).contains("and back"));
        } finally {
            relays.forEach(RelayServer::close);
        }
    }
}
