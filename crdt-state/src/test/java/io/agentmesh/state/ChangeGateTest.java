package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.StateException.Reason;
import org.automerge.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.memory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admission of remote changes on its own: the bounded queue of held changes and the causal index. */
class ChangeGateTest {
    private static final ActorId RECEIVER = ActorId.fromHex("0d".repeat(16));
    private static final Genesis GENESIS = Genesis.of(AGENT);

    private Document doc;

    @AfterEach
    void free() {
        if (doc != null) {
            doc.free();
        }
    }

    private ChangeGate freshGate(int maxPendingChanges, long maxPendingBytes) {
        doc = new Document(RECEIVER.bytes());
        doc.applyEncodedChanges(GENESIS.change());
        doc.applyEncodedChanges(GENESIS.workspaceChange());
        return new ChangeGate(doc, GENESIS, maxPendingChanges, maxPendingBytes);
    }

    /** Admits without patches: what the gate decides does not depend on them. */
    private static ApplyResult admit(ChangeGate gate, byte[] change) {
        return gate.admit(change, null, path -> false);
    }

    /** Four changes by A, each depending on the one before. */
    private static List<byte[]> chainOfFour() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            return List.of(a.appendMemory(memory(1)).changeBytes(), a.appendMemory(memory(2)).changeBytes(),
                    a.appendMemory(memory(3)).changeBytes(), a.appendMemory(memory(4)).changeBytes());
        }
    }

    @Test
    void onceTheHeldLimitIsReachedAChangeWithMissingDependenciesIsRefusedAndNotHeld() {
        ChangeGate gate = freshGate(2, AgentState.MAX_PENDING_BYTES);
        List<byte[]> c = chainOfFour();
        assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, admit(gate, c.get(1)).status());
        assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, admit(gate, c.get(2)).status());
        StateException full = assertThrows(StateException.class, () -> admit(gate, c.get(3)));
        assertEquals(Reason.TOO_LARGE, full.reason());
        assertTrue(full.getMessage().contains("2 changes"), full.getMessage());
        assertEquals(2, gate.pendingChanges());

        ApplyResult first = admit(gate, c.get(0));
        assertEquals(List.of(2L, 3L), first.released().stream().map(h -> h.seq()).toList());
        assertEquals(0, gate.pendingChanges());
        assertEquals(ApplyResult.Status.APPLIED, admit(gate, c.get(3)).status(),
                "the refused change can come again");
    }

    @Test
    void theHeldBytesAreBoundedToo() {
        List<byte[]> c = chainOfFour();
        ChangeGate gate = freshGate(100, c.get(1).length + 1);
        assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, admit(gate, c.get(1)).status());
        assertEquals(Reason.TOO_LARGE, assertThrows(StateException.class, () -> admit(gate, c.get(2))).reason());
        assertEquals(1, gate.pendingChanges());
    }

    @Test
    void aChangeHeldTwiceIsHeldOnce() {
        ChangeGate gate = freshGate(10, AgentState.MAX_PENDING_BYTES);
        List<byte[]> c = chainOfFour();
        admit(gate, c.get(2));
        assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, admit(gate, c.get(2)).status());
        assertEquals(1, gate.pendingChanges());
    }

    @Test
    void aLoadedDocumentIsIndexedOnTheFirstRemoteChangeSoReplaysAndEquivocationAreKnown() {
        byte[] saved;
        byte[] second;
        byte[] forged;
        try (AgentState a = AgentState.create(AGENT, A); AgentState other = AgentState.create(AGENT, A)) {
            a.appendMemory(memory(1));
            second = a.appendMemory(memory(2)).changeBytes();
            saved = a.save();
            other.appendMemory(memory(1));
            forged = other.appendMemory(memory(99)).changeBytes();
        }
        Document loaded = Document.load(saved);
        try {
            doc = loaded.fork(RECEIVER.bytes());
        } finally {
            loaded.free();
        }
        ChangeGate gate = new ChangeGate(doc, GENESIS, 10, AgentState.MAX_PENDING_BYTES);
        assertEquals(ApplyResult.Status.DUPLICATE, admit(gate, second).status());
        StateException e = assertThrows(StateException.class, () -> admit(gate, forged));
        assertEquals(Reason.FORBIDDEN, e.reason());
        assertTrue(e.getMessage().contains("equivocation"), e.getMessage());
    }

    @Test
    void badBytesAreRefusedAsAStateExceptionWithTheParsersReason() {
        ChangeGate gate = freshGate(10, AgentState.MAX_PENDING_BYTES);
        byte[] change = chainOfFour().getFirst();
        byte[] flipped = change.clone();
        flipped[flipped.length - 1] ^= 1;
        assertEquals(Reason.BAD_CHECKSUM, assertThrows(StateException.class, () -> admit(gate, flipped)).reason());
        assertEquals(Reason.MALFORMED, assertThrows(StateException.class,
                () -> admit(gate, new byte[]{1, 2, 3})).reason());
        assertEquals(Reason.MALFORMED, assertThrows(StateException.class, () -> AgentState.parseHeader(null))
                .reason());
        assertEquals(0, gate.pendingChanges());
    }

    @Test
    void aRemovedNodesChangesPastItsCutAreRefusedAndThoseUpToItStillApply() {
        ChangeGate gate = freshGate(10, AgentState.MAX_PENDING_BYTES);
        List<byte[]> c = chainOfFour();
        assertEquals(0, gate.limit(A, 2));
        assertEquals(ApplyResult.Status.APPLIED, admit(gate, c.get(0)).status());
        assertEquals(ApplyResult.Status.APPLIED, admit(gate, c.get(1)).status());
        StateException e = assertThrows(StateException.class, () -> admit(gate, c.get(2)));
        assertEquals(Reason.REVOKED, e.reason());
        assertTrue(e.getMessage().contains("only changes up to seq 2"), e.getMessage());
        assertEquals(Reason.REVOKED, assertThrows(StateException.class, () -> admit(gate, c.get(3))).reason(),
                "refused even though its dependencies are missing: it is not held");
        assertEquals(0, gate.pendingChanges());
        assertEquals(ApplyResult.Status.DUPLICATE, admit(gate, c.get(1)).status());
    }

    @Test
    void limitingAnActorDropsItsHeldChangesPastTheCutAndRefusesThemWhenTheirDependenciesArrive() {
        ChangeGate gate = freshGate(10, AgentState.MAX_PENDING_BYTES);
        List<byte[]> c = chainOfFour();
        assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, admit(gate, c.get(1)).status());
        assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, admit(gate, c.get(2)).status());
        assertEquals(1, gate.limit(A, 2), "seq 3 was held and is past the cut");
        ApplyResult first = admit(gate, c.get(0));
        assertEquals(List.of(2L), first.released().stream().map(h -> h.seq()).toList());
        assertTrue(first.releasedRejected().isEmpty());
        assertEquals(0, gate.pendingChanges());
        assertEquals(Reason.REVOKED, assertThrows(StateException.class, () -> admit(gate, c.get(2))).reason());
    }

    @Test
    void theLowestLimitOfAnActorHoldsWhateverOrderTheLimitsComeIn() {
        ChangeGate gate = freshGate(10, AgentState.MAX_PENDING_BYTES);
        List<byte[]> c = chainOfFour();
        admit(gate, c.get(2));
        gate.limit(A, 5);
        gate.limit(A, 2);
        gate.limit(A, 9);
        assertEquals(0, gate.pendingChanges(), "dropped at the limit of 2");
        admit(gate, c.get(0));
        assertEquals(ApplyResult.Status.APPLIED, admit(gate, c.get(1)).status());
        assertEquals(Reason.REVOKED, assertThrows(StateException.class, () -> admit(gate, c.get(2))).reason());
    }

    @Test
    void otherActorsAreNotLimited() {
        ChangeGate gate = freshGate(10, AgentState.MAX_PENDING_BYTES);
        gate.limit(ActorId.fromHex("0b".repeat(16)), 0);
        assertEquals(ApplyResult.Status.APPLIED, admit(gate, chainOfFour().getFirst()).status());
        assertThrows(IllegalArgumentException.class, () -> gate.limit(A, -1));
    }
}
