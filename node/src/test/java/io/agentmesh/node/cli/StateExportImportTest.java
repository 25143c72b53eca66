package io.agentmesh.node.cli;

import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.OfflineState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateExportImportTest {

    private static Path sharedDir() {
        String configured = System.getProperty("agentmesh.shared.dir");
        return configured != null ? Path.of(configured) : Path.of("../../shared");
    }

    private static void runNode(Path home, List<String> texts) throws IOException {
        try (NodeRuntime node = LoneNode.start(home)) {
            for (String t : texts) {
                node.appendMemory("note", t, List.of("export")).join();
            }
        }
    }

    private static long memoryEntries(Path home) throws IOException {
        try (OfflineState state = OfflineState.open(home.resolve("identity"), home.resolve("state"), Optional.empty())) {
            return state.read(s -> s.memoryCount());
        }
    }

    @Test
    void exportWritesMarkdownAndAnAutomergeFileThatImportsIntoAnotherNode(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        runNode(home, List.of("first memory", "second memory"));
        Path md = dir.resolve("md");
        Path am = dir.resolve("state.automerge");
        assertEquals(0, AgentmeshCommand.execute("state", "export", "--home", home.toString(),
                "--markdown", md.toString(), "--automerge", am.toString()));
        assertTrue(Files.readString(md.resolve("MEMORY.md")).length() > 0);
        assertTrue(Files.exists(md.resolve("HEARTBEAT.md")));
        try (Stream<Path> days = Files.list(md.resolve("memory"))) {
            String all = days.map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }).reduce("", String::concat);
            assertTrue(all.contains("first memory") && all.contains("second memory"), all);
        }
        // Import into the same node after wiping nothing: already present entries are not duplicated.
        assertEquals(0, AgentmeshCommand.execute("state", "import", "--home", home.toString(), "--automerge", am.toString()));
        assertEquals(2, memoryEntries(home));
    }

    @Test
    void exportWhileTheNodeRunsGoesThroughItsHttpApi(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        try (NodeRuntime node = LoneNode.start(home)) {
            node.appendMemory("note", "written while running", List.of()).join();
            String http = node.httpAddress();
            Path md = dir.resolve("md");
            Path am = dir.resolve("state.automerge");
            assertEquals(0, AgentmeshCommand.execute("state", "export", "--home", home.toString(), "--http", http,
                    "--markdown", md.toString(), "--automerge", am.toString()));
            try (Stream<Path> days = Files.list(md.resolve("memory"))) {
                assertTrue(days.anyMatch(p -> {
                    try {
                        return Files.readString(p).contains("written while running");
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            assertTrue(Files.readString(md.resolve("MEMORY.md")).contains("Agent `agent1"));
            assertTrue(Files.size(am) > 0);

            // While another home's node runs too, the node on this address is not that home's: refused.
            Path other = dir.resolve("b");
            assertEquals(0, AgentmeshCommand.execute("init", "--home", other.toString(), "--quiet-phrase"));
            try (NodeRuntime b = LoneNode.start(other)) {
                Path wrong = dir.resolve("wrong");
                assertEquals(2, AgentmeshCommand.execute("state", "export", "--home", other.toString(), "--http",
                        http, "--markdown", wrong.toString()));
                assertTrue(Files.notExists(wrong.resolve("MEMORY.md")), "nothing written");
            }
        }
    }

    @Test
    void everyMalformedAutomergeFileIsRejectedAndChangesNothing(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        runNode(home, List.of("keep me"));
        List<Path> malformed;
        try (Stream<Path> files = Files.list(sharedDir().resolve("testvectors/automerge-malformed"))) {
            malformed = files.sorted().toList();
        }
        assertTrue(malformed.size() >= 10, "test vectors not found under " + sharedDir());
        for (Path file : malformed) {
            int code = AgentmeshCommand.execute("state", "import", "--home", home.toString(), "--automerge", file.toString());
            assertNotEquals(0, code, file + " was accepted");
        }
        assertEquals(1, memoryEntries(home));
    }
}
