package io.agentmesh.state.automerge;

import io.agentmesh.state.AgentState;
import io.agentmesh.state.StateException;
import io.agentmesh.state.Fixtures;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.Task;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;

/**
 * The parsers on hostile bytes: each input gives a result or an {@link AutomergeFormatException}, never another
 * exception (jqwik fails the property on anything else and shrinks it to a small reproducer).
 */
class ChangeHeaderFuzzTest {
    private static final List<byte[]> CHANGES = realChanges();
    private static final byte[] DOCUMENT = realDocument();

    private static List<byte[]> realChanges() {
        List<byte[]> out = new ArrayList<>();
        out.add(ChangeHeaderTest.EXAMPLE);
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            out.add(a.genesis().change());
            out.add(a.appendMemory(new MemoryEntry("m", 1, "a", "k", "text", List.of("x", "y"))).changeBytes());
            out.add(a.replaceNotes("hello 😀 notes").orElseThrow().changeBytes());
            out.add(a.upsertTask(new Task("t", "title", Task.Status.TODO, 5, "d")).changeBytes());
            out.add(a.incrementCost("c", 9).changeBytes());
            out.forEach(c -> {
                try {
                    b.applyChange(c);
                } catch (StateException ignored) {
                    // the example belongs to another document
                }
            });
            out.add(b.editNotes(0, 5, "HELLO").orElseThrow().changeBytes());
            out.add(b.upsertTask(new Task("t", "title 2", Task.Status.DONE, 6, null)).changeBytes());
            byte[] big = a.appendMemory(new MemoryEntry("big", 2, "a", "k", "z".repeat(2000), List.of()))
                    .changeBytes();
            out.add(big);
            out.add(ChangeHeaderTest.compress(big));
        }
        return out;
    }

    private static byte[] realDocument() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            a.appendMemory(Fixtures.memory(1));
            a.replaceNotes("notes");
            return a.save();
        }
    }

    private static void parseOrRefusal(byte[] bytes) {
        try {
            ChangeHeader h = ChangeHeader.parse(bytes, Set.of("1@00", "4@0909090909090909"));
            h.toString();
            for (int i = 0; i < h.opCount(); i++) {
                h.ops().target(i);
                h.ops().keyKind(i);
            }
        } catch (AutomergeFormatException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("an AutomergeFormatException without a message");
            }
        }
    }

    @Property(tries = 3000)
    void randomBytesGiveAHeaderOrARefusal(@ForAll @Size(max = 400) byte[] bytes) {
        parseOrRefusal(bytes);
    }

    @Property(tries = 3000)
    void randomBodiesBehindAValidFrameAndChecksumGiveAHeaderOrARefusal(
            @ForAll @Size(max = 600) byte[] body, @ForAll("chunkTypes") int type) {
        parseOrRefusal(ChangeSurgery.chunk(type, body));
    }

    @Property(tries = 5000)
    void mutatedRealChangesGiveAHeaderOrARefusal(@ForAll("changes") byte[] change,
                                                         @ForAll("mutations") List<int[]> mutations,
                                                         @ForAll boolean fixChecksum) {
        byte[] m = change.clone();
        for (int[] mut : mutations) {
            int pos = Math.floorMod(mut[0], m.length);
            m[pos] = (byte) (mut[1] == 0 ? m[pos] ^ (1 << (mut[2] & 7)) : mut[2]);
        }
        parseOrRefusal(fixChecksum && m.length > 12 && m[8] == 1 ? Fixtures.fixChecksum(m) : m);
    }

    @Property(tries = 2000)
    void mutatedDocumentsPassTheFrameCheckOrGiveARefusal(@ForAll("mutations") List<int[]> mutations,
                                                               @ForAll @Size(max = 3) List<Integer> cuts) {
        byte[] m = DOCUMENT.clone();
        for (int[] mut : mutations) {
            int pos = Math.floorMod(mut[0], m.length);
            m[pos] = (byte) (mut[1] == 0 ? m[pos] ^ (1 << (mut[2] & 7)) : mut[2]);
        }
        for (int cut : cuts) {
            m = java.util.Arrays.copyOf(m, Math.floorMod(cut, m.length + 1));
        }
        try {
            DocumentCheck.check(m);
        } catch (AutomergeFormatException expected) {
            // fine
        }
    }

    @Provide
    Arbitrary<byte[]> changes() {
        return Arbitraries.of(CHANGES);
    }

    @Provide
    Arbitrary<Integer> chunkTypes() {
        return Arbitraries.of(1, 1, 1, 2, 0);
    }

    @Provide
    Arbitrary<List<int[]>> mutations() {
        Arbitrary<int[]> one = Arbitraries.integers().between(0, Integer.MAX_VALUE)
                .flatMap(pos -> Arbitraries.integers().between(0, 1)
                        .flatMap(kind -> Arbitraries.integers().between(0, 255)
                                .map(v -> new int[]{pos, kind, v})));
        return one.list().ofMinSize(1).ofMaxSize(4);
    }
}
