package io.agentmesh.state.export;

import io.agentmesh.state.Intent;
import io.agentmesh.state.Malformed;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.Outcome;
import io.agentmesh.state.Schedule;
import io.agentmesh.state.StateView;
import io.agentmesh.state.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MarkdownExporterTest {
    // 2025-01-01T23:59:00Z and 2025-01-02T00:01:00Z: two UTC days
    private static final long DAY1 = 1_735_775_940_000L;
    private static final long DAY2 = 1_735_776_060_000L;
    private static final String AGENT_HEX = "61676e74".repeat(5);

    private static StateView view() {
        return new StateView(AGENT_HEX, List.of(
                new MemoryEntry("m-3", DAY2, "user", "chat", "Good morning.", List.of()),
                new MemoryEntry("m-1", DAY1, "node-1", "observation", "It rained.\nA lot.", List.of("weather", "a|b")),
                new MemoryEntry("m-2", DAY1 - 60_000, "node-2", "reflection", "", List.of())),
                "# Goals\nStay alive.",
                List.of(new Task("t1", "Write tests", Task.Status.DOING, DAY1, "unit\nand property"),
                        new Task("t2", "Ship", Task.Status.TODO, DAY1, null),
                        new Task("t3", "Plan", Task.Status.DONE, DAY2, null)),
                List.of(new Schedule("s1", "0 9 * * *", "Europe/Berlin", "llm.chat", "{\"q\":\"a|b\"}", "skip", DAY1)),
                List.of(new Intent("i1", "llm.chat", "{}", "node-1", DAY1),
                        new Intent("i2", "wallet.pay", "{\"to\":\"0xabc\"}", "node-2", DAY2)),
                List.of(new Outcome("i1", "succeeded", "42", "node-1", 3, 17, DAY2)),
                Map.of("llm.tokens", 1200L, "wallet.wei", 5L),
                List.of());
    }

    @Test
    void writesTheThreeKindsOfFileAndGroupsMemoryByUtcDay(@TempDir Path dir) throws IOException {
        List<Path> written = MarkdownExporter.export(view(), dir);
        assertEquals(List.of(dir.resolve("HEARTBEAT.md"), dir.resolve("MEMORY.md"),
                dir.resolve("memory/2025-01-01.md"), dir.resolve("memory/2025-01-02.md")), written);

        String day1 = Files.readString(dir.resolve("memory/2025-01-01.md"));
        assertEquals("""
                # Memory, 2025-01-01 (UTC)

                2 entries, oldest first.

                ## 23:58:00.000 · reflection · node-2

                id `m-2`

                _(empty)_

                ## 23:59:00.000 · observation · node-1

                id `m-1` · tags: `weather`, `a|b`

                It rained.
                A lot.
                """, day1);

        String memory = Files.readString(dir.resolve("MEMORY.md"));
        String agent = new io.agentmesh.protocol.identity.AgentId(java.util.HexFormat.of().parseHex(AGENT_HEX))
                .toString();
        assertTrue(agent.startsWith("agent1"), agent);
        assertTrue(memory.contains("Agent `" + agent + "`"), "the id as the CLI shows it: " + memory);
        assertFalse(memory.contains(AGENT_HEX), memory);
        assertTrue(Files.readString(dir.resolve("HEARTBEAT.md")).contains("Agent `" + agent + "`"));
        assertTrue(memory.contains("- Memory entries: 3, 2025-01-01 to 2025-01-02 (UTC)"), memory);
        assertTrue(memory.contains("- Tasks: 3 (1 to do, 1 doing, 1 done, 0 cancelled)"), memory);
        assertTrue(memory.contains("- Intents: 2 (1 pending), outcomes: 1"), memory);
        assertTrue(memory.contains("- Costs: llm.tokens 1200, wallet.wei 5"), memory);
        assertTrue(memory.endsWith("## Long-term notes\n\n# Goals\nStay alive.\n"), memory);

        String heartbeat = Files.readString(dir.resolve("HEARTBEAT.md"));
        assertTrue(heartbeat.contains("### Doing\n\n- [ ] Write tests (`t1`, updated 2025-01-01 23:59:00 UTC)\n"
                + "  unit\n  and property\n"), heartbeat);
        assertTrue(heartbeat.contains("- [x] Plan (`t3`"), heartbeat);
        assertTrue(heartbeat.contains("| s1 | 0 9 * * * | Europe/Berlin | llm.chat | skip | {\"q\":\"a\\|b\"} |"),
                "pipes are escaped in tables: " + heartbeat);
        assertTrue(heartbeat.contains("## Pending intents\n\n| id | kind | requested by | requested | payload |\n"
                + "|---|---|---|---|---|\n| i2 | wallet.pay | node-2 | 2025-01-02 00:01:00 UTC |"), heartbeat);
        assertTrue(heartbeat.contains("| i1 | succeeded | 2025-01-02 00:01:00 UTC | node-1 | 3/17 | 42 |"),
                heartbeat);
    }

    @Test
    void exportingTheSameStateTwiceGivesIdenticalFiles(@TempDir Path a, @TempDir Path b) throws IOException {
        MarkdownExporter.export(view(), a);
        MarkdownExporter.export(view(), b);
        MarkdownExporter.export(view(), b);
        for (String f : List.of("MEMORY.md", "HEARTBEAT.md", "memory/2025-01-01.md", "memory/2025-01-02.md")) {
            assertEquals(Files.readString(a.resolve(f)), Files.readString(b.resolve(f)), f);
        }
    }

    @Test
    void dayFilesOfDaysWithoutEntriesAreRemovedButOtherFilesAreLeftAlone(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("memory"));
        Files.writeString(dir.resolve("memory/2020-01-01.md"), "stale");
        Files.writeString(dir.resolve("memory/notes-by-hand.txt"), "mine");
        MarkdownExporter.export(view(), dir);
        assertFalse(Files.exists(dir.resolve("memory/2020-01-01.md")));
        assertTrue(Files.exists(dir.resolve("memory/notes-by-hand.txt")));
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files left");
        }
    }

    @Test
    void anEmptyStateStillGivesReadableFiles(@TempDir Path dir) throws IOException {
        StateView empty = new StateView(AGENT_HEX, List.of(), "", List.of(), List.of(), List.of(), List.of(), Map.of(),
                List.of(new Malformed("tasks/x", "expected a map, found a string")));
        assertEquals(2, MarkdownExporter.export(empty, dir).size());
        String memory = Files.readString(dir.resolve("MEMORY.md"));
        assertTrue(memory.contains("_(none yet)_"));
        assertTrue(memory.contains("`tasks/x`: expected a map, found a string"));
        assertTrue(Files.readString(dir.resolve("HEARTBEAT.md")).contains("## Tasks\n\n_(none)_"));
    }

    @Test
    void longTableCellsAreCutWithoutSplittingACharacter() {
        String cell = MarkdownExporter.cell("😀".repeat(200));
        assertTrue(cell.length() <= MarkdownExporter.MAX_CELL_CHARS);
        assertTrue(cell.endsWith("…"));
        assertFalse(Character.isHighSurrogate(cell.charAt(cell.length() - 2)));
    }
}
