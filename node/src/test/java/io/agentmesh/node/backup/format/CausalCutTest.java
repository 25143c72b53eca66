package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Point-in-time restore to a causal cut over a real backup of two nodes' changes: node A writes 3, node B (which has
 * A's 3) writes 2, A writes a 4th without B's.
 */
class CausalCutTest {
    private static String ids(List<SignedChange> changes) {
        return changes.stream().map(c -> c.actor().hex().substring(0, 8) + ":" + c.seq()).sorted().toList().toString();
    }

    @Test
    void aCutKeepsExactlyTheChangesAtOrBelowItAndRefusesOneThatIsNotCausallyClosed() {
        try (BackupFixture f = new BackupFixture(41)) {
            f.write(3);
            SigningKey nodeB = SigningKey.fromSeed(BackupFixture.filled(77));
            NodeCertificate certB = NodeCertificate.issue(f.root, nodeB.verifyingKey(), Role.VOTER,
                    BackupFixture.NOW - 1000, BackupFixture.NOW + 1_000_000);
            ActorId b = ActorId.derive(nodeB.verifyingKey().bytes(), 1);
            List<SignedChange> all = new ArrayList<>(f.changes);
            try (AgentState sb = AgentState.create(f.agent.bytes(), b)) {
                f.changes.forEach(c -> sb.applyChange(c.bytes()));
                for (int i = 0; i < 2; i++) {
                    LocalChange c = sb.appendMemory(new MemoryEntry("b-" + i, BackupFixture.NOW, "b", "note", "b" + i,
                            List.of()));
                    all.add(SignedChanges.sign(f.agent, nodeB, 1, c.seq(), c.changeBytes()));
                }
            }
            f.write(1);
            all.add(f.changes.get(3));
            Backup backup = BackupWriter.write(new BackupWriter.Request(f.node, f.cert, BackupFixture.NOW,
                    Optional.empty(), all, List.of(), new IdentityMaterial(f.root.verifyingKey(), List.of(f.cert, certB),
                    List.of()), Optional.empty(), f.grants(), BackupWriter.DEFAULT_SEGMENT_BYTES));
            f.put(backup);
            BackupReader.RestoreSet set = f.reader(f.phraseIdentity).verify(backup.ref(), f.source());
            String a = f.actor().hex();
            String a8 = a.substring(0, 8);
            String b8 = b.hex().substring(0, 8);

            assertEquals("[" + a8 + ":1, " + a8 + ":2, " + a8 + ":3, " + a8 + ":4]",
                    ids(CausalCut.parse(a8 + ":4").apply(set)), "actors not named keep nothing");
            List<SignedChange> kept = CausalCut.parse(a + ":3," + b.hex() + ":2").apply(set);
            assertEquals(5, kept.size(), ids(kept));
            assertTrue(kept.indexOf(set.changes().stream().filter(c -> c.actor().equals(b) && c.seq() == 1).findFirst()
                    .orElseThrow()) > kept.indexOf(f.changes.get(2)), "still in causal order");
            assertEquals(6, CausalCut.parse(a8 + ":4," + b8 + ":2").apply(set).size());
            assertEquals(0, CausalCut.parse(a8 + ":0").apply(set).size());

            IllegalArgumentException open = assertThrows(IllegalArgumentException.class,
                    () -> CausalCut.parse(a8 + ":2," + b8 + ":1").apply(set));
            assertTrue(open.getMessage().contains("not causally closed: change " + b.hex() + ":1 (kept) depends on"
                    + " change " + a + ":3, which is above the cut (" + a + ":2)"), open.getMessage());
            IllegalArgumentException onlyB = assertThrows(IllegalArgumentException.class,
                    () -> CausalCut.parse(b8 + ":2").apply(set));
            assertTrue(onlyB.getMessage().contains(b.hex() + ":1 (kept) depends on change " + a + ":3"),
                    onlyB.getMessage());

            assertTrue(assertThrows(IllegalArgumentException.class, () -> CausalCut.parse("deadbeefdeadbeef:1")
                    .apply(set)).getMessage().contains("is not in manifest 1; its actors are"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> CausalCut.parse(a8 + ":9").apply(set))
                    .getMessage().contains("up to seq 4 only, not 9"));
            for (String bad : List.of("", a8, a8 + ":x", "abc:1", a8 + ":1," + a8 + ":2", a8 + ":1,")) {
                assertThrows(IllegalArgumentException.class, () -> CausalCut.parse(bad), bad);
            }
        }
    }
}
