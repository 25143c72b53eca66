package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.store.VersionVector;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which changes a backup adds: pure functions of the store's version vector and the newest manifest at a target.
 * Incremental means above that manifest's version vector; a target with no manifest gets everything.
 */
public final class BackupPlan {

    /** Changes {@code fromSeq..toSeq} (inclusive) of one actor. */
    public record Range(ActorId actor, long fromSeq, long toSeq) {
        public Range {
            if (fromSeq < 1 || toSeq < fromSeq) {
                throw new IllegalArgumentException("a range is 1 <= from <= to, got " + fromSeq + ".." + toSeq);
            }
        }

        public long count() {
            return toSeq - fromSeq + 1;
        }
    }

    private BackupPlan() {
    }

    /**
     * The changes the store holds above {@code newest}'s version vector, by actor, in actor order. An actor the store
     * holds fewer of than the backup (a store restored from an older backup) adds nothing.
     */
    public static List<Range> newChanges(VersionVector store, Optional<Manifest> newest) {
        VersionVector backedUp = newest.map(Manifest::versionVector).orElse(VersionVector.EMPTY);
        List<Range> out = new ArrayList<>();
        store.seqs().forEach((actor, seq) -> {
            long from = backedUp.get(actor) + 1;
            if (seq >= from) {
                out.add(new Range(actor, from, seq));
            }
        });
        return out;
    }

    /** The pointwise maximum: what a target holds after a backup of {@code added} over {@code backedUp}. */
    public static VersionVector merged(VersionVector backedUp, VersionVector added) {
        TreeMap<ActorId, Long> m = new TreeMap<>(backedUp.seqs());
        added.seqs().forEach((a, s) -> m.merge(a, s, Math::max));
        return new VersionVector(m);
    }
}
