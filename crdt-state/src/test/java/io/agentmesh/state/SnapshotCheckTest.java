package io.agentmesh.state;

import io.agentmesh.state.automerge.ChangeSurgery;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.C;
import static io.agentmesh.state.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The residual hazard documented on {@link AgentState#checkLoadable}: a canonical but inconsistent change is applied,
 * the document works, but its saved form does not load. The check catches it and the change log rebuilds the state.
 */
class SnapshotCheckTest {

    @Test
    void aChangeWhosePredNamesAnotherKeyBreaksTheSnapshotWhichTheCheckCatchesAndReplayRebuilds() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            byte[] first = a.upsertTask(new Task("t1", "title", Task.Status.TODO, T0, null)).changeBytes();
            b.applyChange(first);
            ChangeSurgery s = ChangeSurgery.of(b.upsertTask(new Task("t1", "new title", Task.Status.DONE, T0 + 1,
                    null)).changeBytes());
            int keyStrings = 1 << 4 | 5;
            List<String> keys = new ArrayList<>(s.stringColumn(keyStrings));
            int title = keys.indexOf("title");
            keys.set(title, "subtitle"); // the op keeps its pred: the op that set "title"
            s.columns.put(keyStrings, ChangeSurgery.encodeStrings(keys));
            byte[] inconsistent = s.build();

            assertEquals(ApplyResult.Status.APPLIED, a.applyChange(inconsistent).status());
            a.view();
            StateException e = assertThrows(StateException.class, () -> AgentState.checkLoadable(AGENT, a.save()));
            assertEquals(StateException.Reason.REJECTED_BY_AUTOMERGE, e.reason());

            try (AgentState rebuilt = AgentState.create(AGENT, C)) {
                rebuilt.applyChange(first);
                rebuilt.applyChange(inconsistent);
                assertEquals(a.view(), rebuilt.view());
            }
        }
    }

    @Test
    void aHealthySnapshotPassesTheCheck() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            a.appendMemory(Fixtures.memory(1));
            AgentState.checkLoadable(AGENT, a.save());
            assertThrows(StateException.class, () -> AgentState.checkLoadable(Fixtures.OTHER_AGENT, a.save()));
        }
    }
}
