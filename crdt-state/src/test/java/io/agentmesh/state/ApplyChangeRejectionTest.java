package io.agentmesh.state;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.StateException.Reason;
import io.agentmesh.state.automerge.ChangeSurgery;
import org.automerge.AmValue;
import org.automerge.NewValue;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.OTHER_AGENT;
import static io.agentmesh.state.Fixtures.concat;
import static io.agentmesh.state.Fixtures.memory;
import static io.agentmesh.state.Fixtures.rawPeerChange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every refused change gives a StateException with a reason and message, and leaves the document as it was. */
class ApplyChangeRejectionTest {
    private AgentState state;
    private AgentState peer;
    private byte[] valid;

    @BeforeEach
    void setUp() {
        state = AgentState.create(AGENT, A);
        state.appendMemory(memory(0));
        peer = AgentState.load(AGENT, state.save(), B);
        valid = peer.appendMemory(memory(1)).changeBytes();
    }

    @AfterEach
    void tearDown() {
        state.close();
        peer.close();
    }

    private StateException refused(byte[] change, Reason reason, String messagePart) {
        byte[] before = state.save();
        List<String> heads = state.heads();
        StateException e = assertThrows(StateException.class, () -> state.applyChange(change));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), "message: " + e.getMessage());
        assertEquals(heads, state.heads());
        assertArrayEquals(before, state.save(), "the document is unchanged");
        assertEquals(0, state.pendingChanges());
        return e;
    }

    @Test
    void theUntouchedChangeApplies() {
        assertEquals(ApplyResult.Status.APPLIED, state.applyChange(valid).status());
    }

    @Test
    void refusesTwoChangesInOneCall() {
        byte[] second = peer.appendMemory(memory(2)).changeBytes();
        refused(concat(valid, second), Reason.WRONG_CHUNK, "more than one chunk");
    }

    @Test
    void refusesAWholeDocument() {
        refused(peer.save(), Reason.WRONG_CHUNK, "document chunk");
    }

    @Test
    void refusesBytesAfterTheChange() {
        refused(concat(valid, new byte[]{1, 2, 3}), Reason.WRONG_CHUNK, "bytes after it");
    }

    @Test
    void refusesABadChecksumWhichAutomergeWouldSilentlyIgnore() {
        byte[] bad = valid.clone();
        bad[bad.length - 1] ^= 1;
        refused(bad, Reason.BAD_CHECKSUM, "checksum");
    }

    @Test
    void refusesTruncatedEmptyAndMissingBytes() {
        refused(Arrays.copyOf(valid, valid.length - 1), Reason.MALFORMED, "malformed");
        refused(Arrays.copyOf(valid, 10), Reason.MALFORMED, "malformed");
        refused(new byte[0], Reason.MALFORMED, "too short");
        refused(null, Reason.MALFORMED, "no bytes");
        refused("not automerge at all".getBytes(), Reason.MALFORMED, "magic");
    }

    @Test
    void refusesOversizedInput() {
        refused(new byte[SignedChange.MAX_CHANGE_BYTES + 1], Reason.TOO_LARGE, "at most");
    }

    @Test
    void refusesAWriteToTheDocumentRoot() {
        byte[] change = rawPeerChange(state, B, (doc, tx) -> tx.set(ObjectId.ROOT, "memory", "gone"));
        refused(change, Reason.FORBIDDEN, "document root");
    }

    @Test
    void refusesAWriteToMeta() {
        byte[] change = rawPeerChange(state, B, (doc, tx) -> {
            ObjectId meta = ((AmValue.Map) doc.get(ObjectId.ROOT, "meta").orElseThrow()).getId();
            tx.set(meta, "agentId", "someone else");
        });
        refused(change, Reason.FORBIDDEN, "meta");
    }

    @Test
    void refusesChangesUnderTheGenesisActor() {
        try (AgentState other = AgentState.create(AGENT, A)) {
            byte[] change = rawPeerChange(other, io.agentmesh.protocol.change.ActorId.fromHex(
                    state.genesis().actorHex()), (doc, tx) -> tx.set(tasksOf(doc), "t", "x"));
            refused(change, Reason.FORBIDDEN, "genesis actor");
        }
    }

    @Test
    void refusesActorsThatAreNot16Bytes() {
        ChangeSurgery s = ChangeSurgery.of(valid);
        s.actor = Arrays.copyOf(s.actor, 15);
        refused(s.build(), Reason.FORBIDDEN, "15 bytes");
    }

    @Test
    void refusesOpsThatDoNotFitTheirObjectsTypeWhichWouldAbortTheJvm() {
        CraftedChanges.Case c = CraftedChanges.propertyInAList();
        try (AgentState target = AgentState.load(AGENT, c.document(), B)) {
            byte[] before = target.save();
            StateException e = assertThrows(StateException.class, () -> target.applyChange(c.change()));
            assertEquals(Reason.FORBIDDEN, e.reason());
            assertTrue(e.getMessage().contains("by property"), e.getMessage());
            assertArrayEquals(before, target.save());
        }
    }

    @Test
    void refusesAnActorIndexBeyondTheActorTableWhichWouldAbortTheJvm() {
        CraftedChanges.Case c = CraftedChanges.actorIndexOutOfRange();
        try (AgentState target = AgentState.load(AGENT, c.document(), B)) {
            StateException e = assertThrows(StateException.class, () -> target.applyChange(c.change()));
            assertTrue(e.getMessage().contains("actor index 1"), e.getMessage());
        }
    }

    @Test
    void refusesWritesToObjectsTheDocumentDoesNotHold() {
        ChangeSurgery s = ChangeSurgery.of(valid);
        int objCounter = 0 << 4 | 2;
        List<Long> counters = new java.util.ArrayList<>(s.ulebColumn(objCounter));
        counters.set(0, 999L);
        s.columns.put(objCounter, ChangeSurgery.encodeUleb(counters));
        refused(s.build(), Reason.FORBIDDEN, "does not hold");
    }

    @Test
    void aChangeOfAnotherAgentWaitsForADependencyThatNeverComesWithinABound() {
        try (AgentState other = AgentState.create(OTHER_AGENT, B)) {
            byte[] change = other.appendMemory(memory(5)).changeBytes();
            assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, state.applyChange(change).status());
            assertEquals(1, state.pendingChanges());
            assertEquals(1, state.memoryCount());
        }
    }

    @Test
    void refusesMarksWhichAgentmeshNeverWrites() {
        byte[] mark = rawPeerChange(state, B, (doc, tx) -> {
            ObjectId notes = ((AmValue.Text) doc.get(ObjectId.ROOT, "notes").orElseThrow()).getId();
            tx.spliceText(notes, 0, 0, "hello");
            tx.mark(notes, 0, 5, "bold", true, org.automerge.ExpandMark.NONE);
        });
        refused(mark, Reason.FORBIDDEN, "never writes");
    }

    @Test
    void acceptsOrdinaryChangesMadeWithTheRawLibrary() {
        byte[] change = rawPeerChange(state, B, (doc, tx) -> {
            ObjectId tasks = tasksOf(doc);
            ObjectId t = tx.set(tasks, "t", ObjectType.MAP);
            tx.set(t, "title", "from JavaScript, say");
            tx.set(tasks, "u", NewValue.NULL);
        });
        assertEquals(ApplyResult.Status.APPLIED, state.applyChange(change).status());
    }

    @Test
    void refusesNonCanonicalEncodingsThatWouldBreakLaterSnapshots() {
        ChangeSurgery s = ChangeSurgery.of(valid);
        s.extra = new byte[]{0};
        refused(s.build(), Reason.MALFORMED, "follow the op columns");
        ChangeSurgery t = ChangeSurgery.of(valid);
        int action = 4 << 4 | 2;
        List<Long> actions = t.ulebColumn(action);
        // spell a literal run of two equal actions instead of a repeat run
        java.io.ByteArrayOutputStream col = new java.io.ByteArrayOutputStream();
        col.write(0x7e); // sLEB -2
        col.write(actions.get(0).intValue());
        col.write(actions.get(0).intValue());
        col.writeBytes(ChangeSurgery.encodeUleb(actions.subList(2, actions.size())));
        t.columns.put(action, col.toByteArray());
        if (actions.get(0).equals(actions.get(1))) {
            refused(t.build(), Reason.MALFORMED, "canonical");
        }
    }

    @Test
    void refusesASeqThatSkipsAhead() {
        ChangeSurgery s = ChangeSurgery.of(valid);
        s.seq = s.seq + 5;
        refused(s.build(), Reason.FORBIDDEN, "last change here is seq");
    }

    private static ObjectId tasksOf(org.automerge.Document doc) {
        return ((AmValue.Map) doc.get(ObjectId.ROOT, "tasks").orElseThrow()).getId();
    }
}
