package io.agentmesh.state;

import io.agentmesh.state.automerge.ChangeSurgery;

import java.util.ArrayList;
import java.util.List;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.memory;

/**
 * Checksum-valid changes that Automerge 0.5.7 takes far enough to panic on (which aborts the JVM through JNI),
 * each with the document it is applied to.
 */
public final class CraftedChanges {
    private CraftedChanges() {
    }

    public record Case(byte[] document, byte[] change) {
    }

    /**
     * An op whose object names actor index 1 in a change that lists no other actor: Automerge panics with "index
     * out of bounds" in import_ops (automerge.rs:856).
     */
    public static Case actorIndexOutOfRange() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            ChangeSurgery s = ChangeSurgery.of(b.appendMemory(memory(1)).changeBytes());
            s.others.clear();
            return new Case(a.save(), s.build());
        }
    }

    /**
     * A property write ("id") aimed at the memory <em>list</em> (the second op of an appendMemory, retargeted from
     * the new entry map): Automerge panics with "can only compare map keys" (op_set.rs:801) when it compares the
     * property with the list's positions.
     */
    public static Case propertyInAList() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            b.applyChange(a.appendMemory(memory(0)).changeBytes());
            ChangeSurgery s = ChangeSurgery.of(b.appendMemory(memory(1)).changeBytes());
            int objActor = 0 << 4 | 1;
            int objCounter = 0 << 4 | 2;
            List<Long> actors = new ArrayList<>(s.ulebColumn(objActor));
            List<Long> counters = new ArrayList<>(s.ulebColumn(objCounter));
            actors.set(1, actors.get(0)); // op 1 ("id" of the new entry) now writes to
            counters.set(1, counters.get(0)); // the object of op 0: the memory list
            s.columns.put(objActor, ChangeSurgery.encodeUleb(actors));
            s.columns.put(objCounter, ChangeSurgery.encodeUleb(counters));
            return new Case(a.save(), s.build());
        }
    }
}
