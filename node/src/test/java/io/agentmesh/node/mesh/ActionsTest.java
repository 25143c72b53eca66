package io.agentmesh.node.mesh;

import io.agentmesh.node.runtime.NodeRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Actions over real nodes: any node takes a request, the leader performs it once, every node sees the outcome. */
class ActionsTest {

    private static List<String> performedLines(LocalMesh mesh) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < mesh.ids.size(); i++) {
            Path f = mesh.home(i).resolve("state").resolve("performed.jsonl");
            if (Files.exists(f)) {
                lines.addAll(Files.readAllLines(f));
            }
        }
        return lines;
    }

    @SuppressWarnings("unchecked")
    private static boolean hasOutcome(NodeRuntime node, String id) {
        Optional<Object> found = node.intent(id).join();
        return found.isPresent() && ((Map<String, Object>) found.get()).get("outcome") != null;
    }

    /** Requests a job through {@code node} and waits until that node shows its outcome. */
    private static void awaitJobPerformedThrough(NodeRuntime node, Duration timeout) {
        var intent = (io.agentmesh.state.Intent) node.requestIntent("job", "{}").join();
        await().atMost(timeout).until(() -> hasOutcome(node, intent.id()));
    }

    @Test
    void intentsRequestedOnAnyNodeArePerformedOnceAndEveryNodeSeesTheOutcome(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            mesh.startAll();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                var intent = (io.agentmesh.state.Intent) mesh.nodes[i % 3].requestIntent("job", "{\"n\":" + i + "}").join();
                ids.add(intent.id());
            }
            for (NodeRuntime node : mesh.nodes) {
                await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(id -> hasOutcome(node, id)));
            }
            List<String> lines = performedLines(mesh);
            assertEquals(ids.size(), lines.size(), "each intent performed exactly once: " + lines);
            for (String id : ids) {
                assertEquals(1, lines.stream().filter(l -> l.contains(id)).count(), id);
            }
        }
    }

    private static void cut(LocalMesh mesh, int a, int b, String action) {
        mesh.nodes[a].faults().orElseThrow().apply(action, mesh.ids.get(b).toString(), 0);
        mesh.nodes[b].faults().orElseThrow().apply(action, mesh.ids.get(a).toString(), 0);
    }

    @Test
    void aMinorityPartitionAcceptsRequestsPerformsNothingAndHandsThemOverAfterTheHeal(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            mesh.startAll();
            // Make sure a leader exists, then cut node 2 off from both others.
            awaitJobPerformedThrough(mesh.nodes[0], Duration.ofSeconds(30));
            cut(mesh, 2, 0, "block");
            cut(mesh, 2, 1, "block");
            var isolated = (io.agentmesh.state.Intent) mesh.nodes[2].requestIntent("job", "{\"minority\":true}").join();
            // Long enough for any leader the minority could elect to act; it cannot elect one alone.
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                assertEquals(0, performedLines(mesh).stream().filter(l -> l.contains(isolated.id())).count());
                Thread.onSpinWait();
            }
            assertEquals(false, hasOutcome(mesh.nodes[2], isolated.id()));
            cut(mesh, 2, 0, "unblock");
            cut(mesh, 2, 1, "unblock");
            for (NodeRuntime node : mesh.nodes) {
                await().atMost(Duration.ofSeconds(30)).until(() -> hasOutcome(node, isolated.id()));
            }
            assertEquals(1, performedLines(mesh).stream().filter(l -> l.contains(isolated.id())).count());
        }
    }

    @Test
    void aGracefullyStoppedLeaderHandsLeadershipOverAndTheNextActionIsPerformed(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            mesh.startAll();
            awaitJobPerformedThrough(mesh.nodes[0], Duration.ofSeconds(30));
            int leader = -1;
            for (int i = 0; i < 3; i++) {
                if (mesh.nodes[i].isLeader()) {
                    leader = i;
                }
            }
            org.junit.jupiter.api.Assertions.assertTrue(leader >= 0, "no leader");
            mesh.stop(leader);
            int other = (leader + 1) % 3;
            long t0 = System.nanoTime();
            awaitJobPerformedThrough(mesh.nodes[other], Duration.ofSeconds(10));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            org.junit.jupiter.api.Assertions.assertTrue(ms < 5_000, "next action took " + ms + " ms after hand-over");
        }
    }

    @Test
    void aScheduleWithABadCronExpressionIsRefusedAndAGoodOneIsStored(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 1)) {
            mesh.startAll();
            var bad = mesh.nodes[0].addSchedule("s1", "not a cron", "UTC", "job", "{}", "skip");
            org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.CompletionException.class, bad::join);
            mesh.nodes[0].addSchedule("s2", "*/5 * * * *", "Europe/Paris", "job", "{}", "once").join();
            var view = (io.agentmesh.state.StateView) mesh.nodes[0].state().join();
            assertEquals(List.of("s2"), view.schedules().stream().map(io.agentmesh.state.Schedule::id).toList());
        }
    }
}
