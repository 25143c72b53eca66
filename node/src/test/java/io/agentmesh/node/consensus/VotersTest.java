package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VotersTest {
    private static NodeId id(int fill) {
        byte[] b = new byte[NodeId.LENGTH];
        Arrays.fill(b, (byte) fill);
        return new NodeId(b);
    }

    @Test
    void everyNodeSelectsTheSameFirstSevenByNodeIdWhateverOrderItKnowsThemIn() {
        List<NodeId> members = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            members.add(id(i * 11));
        }
        List<NodeId> expected = members.subList(0, Voters.MAX);
        for (long seed = 0; seed < 5; seed++) {
            List<NodeId> shuffled = new ArrayList<>(members);
            Collections.shuffle(shuffled, new Random(seed));
            shuffled.add(shuffled.getFirst()); // a node listed twice counts once
            assertEquals(expected, Voters.select(shuffled));
        }
    }

    @Test
    void aSmallMeshVotesWhole() {
        assertEquals(List.of(id(1), id(2), id(3)), Voters.select(List.of(id(3), id(1), id(2))));
    }
}
