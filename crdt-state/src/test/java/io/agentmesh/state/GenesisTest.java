package io.agentmesh.state;

import io.agentmesh.state.automerge.ChangeHeader;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.OTHER_AGENT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GenesisTest {

    /**
     * Pinned: every node of every agentmesh version must build exactly these bytes for schema 1, or two nodes would
     * disagree about an agent's first change. If an Automerge upgrade breaks this test, do not update the hash:
     * build the genesis change another way so the bytes stay the same.
     */
    private static final String GOLDEN_AGENT = "agentmesh-golden-agent";
    private static final String GOLDEN_HASH = "6d0d3c79e068775bf3aeb7a2188f1f0326eb13580730ea129e04219b8bba7b41";

    @Test
    void isByteIdenticalEveryTimeItIsBuilt() {
        assertArrayEquals(Genesis.of(AGENT).change(), Genesis.of(AGENT).change());
        assertArrayEquals(Genesis.of(AGENT).hash(), Genesis.of(AGENT.clone()).hash());
    }

    @Test
    void hashIsPinnedForSchemaVersion1() {
        Genesis g = Genesis.of(GOLDEN_AGENT.getBytes(StandardCharsets.UTF_8));
        assertEquals(GOLDEN_HASH, HexFormat.of().formatHex(g.hash()));
    }

    @Test
    void actorIsDerivedFromTheAgentIdAndDiffersPerAgent() {
        Genesis g = Genesis.of(AGENT);
        assertEquals(16, g.actor().length);
        assertArrayEquals(Genesis.actorOf(AGENT), g.actor());
        assertFalse(java.util.Arrays.equals(Genesis.actorOf(AGENT), Genesis.actorOf(OTHER_AGENT)));
        ChangeHeader header = ChangeHeader.parse(g.change());
        assertArrayEquals(g.actor(), header.actor());
        assertEquals(1, header.seq());
        assertEquals(0, header.depCount());
        assertEquals(0, header.timeMillis());
        assertArrayEquals(g.hash(), header.hash());
    }

    @Test
    void createsEveryTopLevelObjectUnderTheGenesisActor() {
        Genesis g = Genesis.of(AGENT);
        Map<String, String> ids = g.objectIds();
        assertEquals(java.util.List.of("meta", "memory", "notes", "tasks", "schedules", "intents", "outcomes",
                "costs"), java.util.List.copyOf(ids.keySet()));
        assertEquals("1@" + g.actorHex(), ids.get("meta"));
        assertEquals("4@" + g.actorHex(), ids.get("memory"));
        assertEquals("10@" + g.actorHex(), ids.get("costs"));
    }

    @Test
    void nodesStartingIndependentlyShareOneSetOfTopLevelObjects() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            assertEquals(a.heads(), b.heads());
            a.appendMemory(Fixtures.memory(1));
            byte[] fromB = b.appendMemory(Fixtures.memory(2)).changeBytes();
            a.applyChange(fromB);
            assertEquals(2, a.memory().size());
            assertEquals(a.genesis().objectIds(), b.genesis().objectIds());
        }
    }

    @Test
    void refusesEmptyOrOversizedAgentIds() {
        assertThrows(IllegalArgumentException.class, () -> Genesis.of(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> Genesis.of(new byte[Limits.MAX_AGENT_ID_BYTES + 1]));
    }
}
