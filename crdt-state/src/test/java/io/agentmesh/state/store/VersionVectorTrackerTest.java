package io.agentmesh.state.store;

import io.agentmesh.protocol.change.ActorId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class VersionVectorTrackerTest {

    /** Whatever order changes arrive in, the vector is the contiguous prefix a full recount would give. */
    @Property(tries = 300)
    void theVectorEqualsARecountOfTheContiguousPrefixInAnyArrivalOrder(
            @ForAll @Size(max = 200) List<@IntRange(min = 0, max = 2) Integer> actors,
            @ForAll @Size(max = 200) List<@IntRange(min = 1, max = 40) Integer> seqs) {
        VersionVectorTracker tracker = new VersionVectorTracker();
        Map<ActorId, Set<Long>> present = new HashMap<>();
        for (int i = 0; i < Math.min(actors.size(), seqs.size()); i++) {
            ActorId actor = TestChanges.actor(actors.get(i));
            long seq = seqs.get(i);
            tracker.add(actor, seq);
            present.computeIfAbsent(actor, a -> new HashSet<>()).add(seq);
            assertEquals(recount(present), tracker.vector().seqs());
        }
    }

    private static Map<ActorId, Long> recount(Map<ActorId, Set<Long>> present) {
        Map<ActorId, Long> expected = new HashMap<>();
        present.forEach((actor, s) -> {
            long n = 0;
            while (s.contains(n + 1)) {
                n++;
            }
            if (n > 0) {
                expected.put(actor, n);
            }
        });
        return expected;
    }

    @Test
    void anUnchangedVectorIsNotRebuilt() {
        VersionVectorTracker tracker = new VersionVectorTracker();
        tracker.add(TestChanges.actor(1), 1);
        VersionVector first = tracker.vector();
        tracker.add(TestChanges.actor(1), 1);
        tracker.add(TestChanges.actor(1), 3);
        assertSame(first, tracker.vector());
        tracker.add(TestChanges.actor(1), 2);
        assertEquals(3, tracker.vector().get(TestChanges.actor(1)));
    }
}
