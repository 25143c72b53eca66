package io.agentmesh.state.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The exported Automerge file read by a second implementation: the JavaScript library
 * (scripts/automerge-js, pinned in its package-lock.json), installed with npm into target/. Runs where npm is on
 * the PATH (here and in CI); skipped elsewhere.
 */
class JavaScriptInteropTest {
    private static final Path SCRIPTS = Path.of("..", "scripts", "automerge-js");
    private static final Path WORK = Path.of("target", "automerge-js");

    @Test
    void theJavaScriptLibrarySeesTheSameMemoryNotesTasksCostsAndHeads(@TempDir Path tmp) throws Exception {
        assumeTrue(onPath("npm") && onPath("node"), "npm and node are not on the PATH");
        installScripts();

        byte[] exported;
        List<MemoryEntry> memory;
        String notes;
        List<String> heads;
        try (AgentState state = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            state.appendMemory(new MemoryEntry("m-1", T0, "node-1", "observation", "It rained. ☔", List.of("weather")));
            state.appendMemory(new MemoryEntry("m-2", T0 + 60_000, "user", "chat", "Ça va? 😀\nline two", List.of()));
            peer.applyChange(state.replaceNotes("# Notes\nremember the milk").orElseThrow().changeBytes());
            state.applyChange(peer.appendMemory(new MemoryEntry("m-3", T0 + 1, "node-2", "reflection", "merged",
                    List.of("a", "b"))).changeBytes());
            state.upsertTask(new Task("t1", "Write tests", Task.Status.DOING, T0, null));
            state.incrementCost("llm.tokens", 1_000_000);
            state.applyChange(peer.incrementCost("llm.tokens", 5).changeBytes());
            exported = AutomergeFile.export(state);
            memory = state.memory();
            notes = state.notes();
            heads = state.heads();
        }
        Path file = tmp.resolve("state.automerge");
        Files.write(file, exported);

        String json = run(List.of("node", "load.mjs", file.toAbsolutePath().toString()), WORK, 60);
        JsonNode out = new ObjectMapper().readTree(json);
        assertEquals(java.util.HexFormat.of().formatHex(AGENT), out.get("agentId").asText());
        assertEquals(1, out.get("schemaVersion").asInt());
        assertEquals(heads, toStrings(out.get("heads")));
        assertEquals(memory.size(), out.get("memoryCount").asInt());
        for (int i = 0; i < memory.size(); i++) {
            MemoryEntry e = memory.get(i);
            JsonNode js = out.get("memory").get(i);
            assertEquals(e.id(), js.get("id").asText());
            assertEquals(e.timeMillis(), js.get("time").asLong());
            assertEquals(e.author(), js.get("author").asText());
            assertEquals(e.kind(), js.get("kind").asText());
            assertEquals(e.text(), js.get("text").asText());
            assertEquals(e.tags(), toStrings(js.get("tags")));
        }
        assertEquals(notes, out.get("notes").asText());
        assertEquals(List.of("t1"), toStrings(out.get("tasks")));
        assertEquals(1_000_005L, out.get("costs").get("llm.tokens").asLong());
    }

    private static List<String> toStrings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Copies package.json, package-lock.json and load.mjs to target/automerge-js and runs npm ci once there. */
    private static void installScripts() throws Exception {
        Files.createDirectories(WORK);
        for (String f : List.of("package.json", "package-lock.json", "load.mjs")) {
            Files.copy(SCRIPTS.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(WORK.resolve("node_modules/@automerge/automerge"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), WORK, 300);
        }
    }

    private static String run(List<String> command, Path dir, long timeoutSeconds) throws IOException,
            InterruptedException {
        Path log = Files.createTempFile("js-", ".log");
        Path out = Files.createTempFile("js-", ".out");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " took longer than " + timeoutSeconds + " s");
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
                        + Files.readString(log, StandardCharsets.UTF_8) + Files.readString(out));
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(log);
            Files.deleteIfExists(out);
        }
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, exe))) {
                return true;
            }
        }
        return false;
    }
}
