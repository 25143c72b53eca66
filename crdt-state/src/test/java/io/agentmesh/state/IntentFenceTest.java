package io.agentmesh.state;

import org.automerge.AmValue;
import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.T0;
import static io.agentmesh.state.Fixtures.rawPeerChange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An intent keeps the agent fence that requested it ({@link Intent#fence}): optional, so intents written before the
 * field existed read as they did; strict, so a bad fence is refused on write and an unreadable one in a peer's change
 * is skipped and reported, never read as "no fence".
 */
class IntentFenceTest {

    private static ObjectId intents(Document doc) {
        return ((AmValue.Map) doc.get(ObjectId.ROOT, "intents").orElseThrow()).getId();
    }

    @Test
    void anIntentKeepsTheFenceOfTheRunThatRequestedItOnEveryNode() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            byte[] fenced = a.requestIntent(new Intent("i1", "exec", "{}", "node-1", T0, "7.1042")).changeBytes();
            byte[] plain = a.requestIntent(new Intent("i2", "exec", "{}", "node-1", T0 + 1)).changeBytes();
            assertEquals("7.1042", a.intent("i1").orElseThrow().fence());
            assertNull(a.intent("i2").orElseThrow().fence());
            assertEquals(ApplyResult.Status.APPLIED, b.applyChange(fenced).status());
            assertEquals(ApplyResult.Status.APPLIED, b.applyChange(plain).status());
            assertEquals(new Intent("i1", "exec", "{}", "node-1", T0, "7.1042"), b.intent("i1").orElseThrow());
            assertEquals(List.of("i1", "i2"), b.pendingIntents().stream().map(Intent::id).toList());
            assertEquals(a.view(), b.view());
            assertTrue(b.view().malformed().isEmpty(), b.view().malformed().toString());
        }
    }

    @Test
    void anIntentWrittenBeforeFencesExistedReadsWithoutOne() {
        try (AgentState state = AgentState.create(AGENT, A)) {
            // Exactly the fields an older node writes.
            byte[] old = rawPeerChange(state, B, (doc, tx) -> {
                ObjectId m = tx.set(intents(doc), "old", ObjectType.MAP);
                tx.set(m, "kind", "job");
                tx.set(m, "payload", "{}");
                tx.set(m, "requestedBy", "node-old");
                tx.set(m, "requested", (double) T0);
            });
            assertEquals(ApplyResult.Status.APPLIED, state.applyChange(old).status());
            assertEquals(new Intent("old", "job", "{}", "node-old", T0, null), state.intent("old").orElseThrow());
            assertEquals(List.of("old"), state.pendingIntents().stream().map(Intent::id).toList());
            assertTrue(state.view().malformed().isEmpty(), state.view().malformed().toString());
        }
    }

    @Test
    void aBadFenceIsRefusedWithTheReasonAndChangesNothing() {
        try (AgentState state = AgentState.create(AGENT, A)) {
            List<String> heads = state.heads();
            for (String bad : List.of("", "7", "7.", ".7", "7.0", "7.1.2", "-1.2", "7.1a", " 7.1", "7,1", "7.١",
                    "9007199254740992.1", "1.9007199254740992", "1".repeat(40) + ".1")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> state.requestIntent(new Intent("i", "exec", "{}", "node-1", T0, bad)), bad);
                assertTrue(e.getMessage().startsWith("intent fence"), e.getMessage());
            }
            assertTrue(state.intents().isEmpty());
            assertEquals(heads, state.heads(), "no change was made");
            // The largest numbers the document holds exactly are fine.
            state.requestIntent(new Intent("i", "exec", "{}", "node-1", T0, "9007199254740991.9007199254740991"));
            assertEquals("9007199254740991.9007199254740991", state.intent("i").orElseThrow().fence());
        }
    }

    @Test
    void aPeersIntentWithAnUnreadableFenceIsSkippedAndReportedNeverReadAsUnfenced() {
        try (AgentState state = AgentState.create(AGENT, A)) {
            byte[] weird = rawPeerChange(state, B, (doc, tx) -> {
                ObjectId ids = intents(doc);
                for (String key : List.of("number", "text", "good")) {
                    ObjectId m = tx.set(ids, key, ObjectType.MAP);
                    tx.set(m, "kind", "exec");
                    tx.set(m, "payload", "{}");
                    tx.set(m, "requestedBy", "node-b");
                    tx.set(m, "requested", (double) T0);
                    switch (key) {
                        case "number" -> tx.set(m, "fence", 7.5);
                        case "text" -> tx.set(m, "fence", "seven.1042");
                        default -> tx.set(m, "fence", "7.1042");
                    }
                }
            });
            assertEquals(ApplyResult.Status.APPLIED, state.applyChange(weird).status());
            assertEquals(List.of("good"), state.intents().stream().map(Intent::id).toList());
            assertEquals(List.of("good"), state.pendingIntents().stream().map(Intent::id).toList());
            assertTrue(state.intent("number").isEmpty());
            Set<String> paths = state.view().malformed().stream().map(Malformed::path).collect(Collectors.toSet());
            assertEquals(Set.of("intents/number/fence", "intents/text/fence"), paths,
                    state.view().malformed().toString());
        }
    }
}
