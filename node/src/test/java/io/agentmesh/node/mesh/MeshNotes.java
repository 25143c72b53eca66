package io.agentmesh.node.mesh;

import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.state.MemoryEntry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/** What the mesh tests write on a {@link LocalMesh}'s nodes and read back to see replication work. */
final class MeshNotes {
    private MeshNotes() {
    }

    /** The texts of the notes {@code node} holds (at most 10,000). */
    static Set<String> texts(NodeRuntime node) {
        return node.memory(10_000).join().stream().map(e -> ((MemoryEntry) e).text()).collect(Collectors.toSet());
    }

    /** Every node of {@code mesh} (all running) writes "from node i"; waits up to 20 s until each holds them all. */
    static void oneFromEachNode(LocalMesh mesh) {
        for (int i = 0; i < mesh.nodes.length; i++) {
            mesh.nodes[i].appendMemory("note", "from node " + i, List.of()).join();
        }
        for (NodeRuntime node : mesh.nodes) {
            await().atMost(Duration.ofSeconds(20)).until(() -> texts(node).size() == mesh.nodes.length);
        }
    }

    /** A counter of the replication part of {@code node}'s status ("rejected", "changesSent", "refusedRevoked"). */
    @SuppressWarnings("unchecked")
    static long replication(NodeRuntime node, String counter) {
        return ((Map<String, Long>) node.status().join().get("replication")).get(counter);
    }
}
