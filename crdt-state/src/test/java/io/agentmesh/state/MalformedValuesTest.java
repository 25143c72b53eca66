package io.agentmesh.state;

import org.automerge.AmValue;
import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.automerge.Transaction;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.T0;
import static io.agentmesh.state.Fixtures.memory;
import static io.agentmesh.state.Fixtures.rawPeerChange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A peer may write values of the wrong shape; reads skip them, report them, and never throw. */
class MalformedValuesTest {

    private static ObjectId obj(Document doc, String key) {
        AmValue v = doc.get(ObjectId.ROOT, key).orElseThrow();
        return switch (v) {
            case AmValue.Map m -> m.getId();
            case AmValue.List l -> l.getId();
            default -> throw new IllegalStateException(key);
        };
    }

    @Test
    void readsSkipAndReportValuesOfTheWrongShape(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        try (AgentState state = AgentState.create(AGENT, A)) {
            state.appendMemory(memory(1));
            state.upsertTask(new Task("good", "fine", Task.Status.TODO, T0, null));
            state.incrementCost("tokens", 5);
            byte[] weird = rawPeerChange(state, B, (Document doc, Transaction tx) -> {
                ObjectId memory = obj(doc, "memory");
                tx.insert(memory, 1, "a bare string where an entry belongs");
                ObjectId entry = tx.insert(memory, 2, ObjectType.MAP);
                tx.set(entry, "id", "m-bad-time");
                tx.set(entry, "time", "yesterday");
                tx.set(entry, "author", "x");
                tx.set(entry, "kind", "k");
                tx.set(entry, "text", "t");
                ObjectId ok = tx.insert(memory, 3, ObjectType.MAP);
                tx.set(ok, "id", "m-odd-tags");
                tx.set(ok, "time", 5.0);
                tx.set(ok, "author", "x");
                tx.set(ok, "kind", "k");
                tx.set(ok, "text", "t");
                ObjectId tags = tx.set(ok, "tags", ObjectType.LIST);
                tx.insert(tags, 0, "fine-tag");
                tx.insert(tags, 1, 42.0);
                ObjectId tasks = obj(doc, "tasks");
                tx.set(tasks, "string-task", "not a map");
                ObjectId paused = tx.set(tasks, "paused", ObjectType.MAP);
                tx.set(paused, "title", "p");
                tx.set(paused, "status", "PAUSED");
                tx.set(paused, "updated", 1.0);
                ObjectId costs = obj(doc, "costs");
                tx.set(costs, "not-an-actor-map", 3.0);
                ObjectId intents = obj(doc, "intents");
                ObjectId half = tx.set(intents, "half", ObjectType.MAP);
                tx.set(half, "kind", "llm");
            });
            assertEquals(ApplyResult.Status.APPLIED, state.applyChange(weird).status());

            List<MemoryEntry> mem = state.memory();
            assertEquals(List.of("m-1", "m-odd-tags"), mem.stream().map(MemoryEntry::id).toList());
            assertEquals(List.of("fine-tag"), mem.get(1).tags());
            assertEquals(List.of("good"), state.tasks().stream().map(Task::id).toList());
            assertEquals(Map.of("tokens", 5L), state.costs());
            assertTrue(state.intents().isEmpty());

            StateView view = state.view();
            Set<String> paths = view.malformed().stream().map(Malformed::path).collect(Collectors.toSet());
            assertEquals(Set.of("memory[1]", "memory[2]/time", "memory[3]/tags[1]", "tasks/string-task",
                    "tasks/paused/status", "costs/not-an-actor-map", "intents/half/payload"), paths,
                    view.malformed().toString());
            // and the export of such a state still works
            io.agentmesh.state.export.MarkdownExporter.export(view, dir);
            assertTrue(java.nio.file.Files.readString(dir.resolve("MEMORY.md")).contains("wrong shape"));
        }
    }
}
