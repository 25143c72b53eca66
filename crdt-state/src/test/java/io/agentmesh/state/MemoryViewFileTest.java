package io.agentmesh.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.agentmesh.state.Fixtures.AGENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory view saved beside a snapshot: a restart adopts it when the loaded document has its heads (without
 * reading the log), reads the log when the heads differ, and refuses a damaged file with the reason.
 */
class MemoryViewFileTest {

    @Test
    void aDocumentWithTheSavedHeadsAdoptsTheFileAndLaterChangesKeepItExact(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(MemoryViewFile.NAME);
        try (AgentState a = AgentState.create(AGENT, Fixtures.A)) {
            a.enableMemoryView();
            for (int i = 0; i < 700; i++) {
                a.appendMemory(Fixtures.memory(i));
            }
            MemoryViewFile.write(file, AGENT, a.heads(), a.memoryViews().get());
            byte[] snapshot = a.save();
            MemoryViewFile.Saved saved = MemoryViewFile.read(file, AGENT).orElseThrow();
            assertEquals(a.memory(), saved.slots());

            // A marked copy with the same heads: what the restarted view shows proves it came from the file.
            List<MemoryEntry> marked = new ArrayList<>(saved.slots());
            MemoryEntry first = marked.get(0);
            marked.set(0, new MemoryEntry(first.id(), first.timeMillis(), first.author(), first.kind(), "from the file",
                    first.tags()));
            try (AgentState restarted = AgentState.load(AGENT, snapshot, Fixtures.A)) {
                restarted.enableMemoryView(new MemoryViewFile.Saved(saved.heads(), marked));
                assertEquals("from the file", restarted.memoryViews().get().all().get(0).text());
            }
            try (AgentState restarted = AgentState.load(AGENT, snapshot, Fixtures.A);
                 AgentState b = AgentState.load(AGENT, snapshot, Fixtures.B)) {
                restarted.enableMemoryView(saved);
                // A peer's entries and this node's own keep it equal to the document.
                for (int i = 0; i < 5; i++) {
                    restarted.applyChange(b.appendMemory(Fixtures.memory(1000 + i)).changeBytes());
                    restarted.appendMemory(Fixtures.memory(2000 + i));
                }
                assertEquals(restarted.memory(), restarted.memoryViews().get().all());
                assertEquals(0, restarted.memoryViewResyncs());
            }
        }
    }

    @Test
    void otherHeadsMeanTheLogIsReadInstead(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(MemoryViewFile.NAME);
        try (AgentState a = AgentState.create(AGENT, Fixtures.A)) {
            a.enableMemoryView();
            a.appendMemory(Fixtures.memory(1));
            MemoryViewFile.write(file, AGENT, a.heads(), a.memoryViews().get());
            a.appendMemory(Fixtures.memory(2));
            try (AgentState restarted = AgentState.load(AGENT, a.save(), Fixtures.A)) {
                restarted.enableMemoryView(MemoryViewFile.read(file, AGENT).orElseThrow());
                assertEquals(a.memory(), restarted.memoryViews().get().all());
            }
        }
    }

    @Test
    void aDamagedOrForeignFileIsRefusedWithTheReason(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(MemoryViewFile.NAME);
        assertTrue(MemoryViewFile.read(file, AGENT).isEmpty(), "no file, no view");
        try (AgentState a = AgentState.create(AGENT, Fixtures.A)) {
            a.enableMemoryView();
            for (int i = 0; i < 20; i++) {
                a.appendMemory(Fixtures.memory(i));
            }
            MemoryViewFile.write(file, AGENT, a.heads(), a.memoryViews().get());
        }
        byte[] good = Files.readAllBytes(file);
        assertTrue(assertThrows(IOException.class, () -> MemoryViewFile.read(file, Fixtures.OTHER_AGENT))
                .getMessage().contains("another agent"));
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 1;
        Files.write(file, flipped);
        assertThrows(IOException.class, () -> MemoryViewFile.read(file, AGENT));
        Files.write(file, java.util.Arrays.copyOf(good, good.length - 3));
        assertTrue(assertThrows(IOException.class, () -> MemoryViewFile.read(file, AGENT)).getMessage()
                .contains("truncated"));
    }
}
