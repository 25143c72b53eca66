package io.agentmesh.state;

import io.agentmesh.state.automerge.ChangeOps;
import org.automerge.AmValue;
import org.automerge.Document;
import org.automerge.ObjectId;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The intents without an outcome ({@link AgentState#pendingIntents}), kept up to date as changes are applied, so the
 * leader's poll costs the pending intents, not every intent ever requested (issue 16, goal 5).
 *
 * <p>What it tracks: an intent {@code K} is pending when {@code intents/K} reads as an {@link Intent} and
 * {@code outcomes} has no key {@code K} (any value there, readable or not, counts as an outcome, as the full scan
 * did). That read changes only through ops on the {@code intents} map at key {@code K}, on the {@code outcomes} map
 * at key {@code K}, or on the map that is {@code intents/K}'s current value (its fields). Every such op marks
 * {@code K} dirty; a dirty key is read again from the document at the next {@link #pending()} (lazily: a burst of
 * changes costs one read per key). The map objects are known for every key without an outcome (only those can be
 * pending): recorded when the key is read, whether at the build or when dirty. A map that loses a concurrent
 * creation of the same key is not recorded, and need not be: it becomes the value only through an op on
 * {@code intents/K}, which marks the key dirty, and the read then records it.
 *
 * <p>Built from the document on the first read after {@link AgentState#load} or {@link AgentState#create} (a full
 * scan, once), so replaying the store at restart costs nothing extra; until then nothing is tracked. Past
 * {@link #MAX_DIRTY_KEYS} dirty keys (a peer's change that rewrites many intents, a long catch-up nobody reads in
 * between) the index drops itself and the next read builds it again: the set of dirty keys stays bounded.
 *
 * <p>Node thread only, like the document it reads.
 */
final class IntentIndex {
    /** Dirty keys kept before the index gives up and rebuilds at the next read. */
    static final int MAX_DIRTY_KEYS = 65_536;
    private static final Comparator<Intent> OLDEST_FIRST =
            Comparator.comparingLong(Intent::requestedMillis).thenComparing(Intent::id);

    private final Document doc;
    private final DocReader reader;
    private final ObjectId intentsMap;
    private final ObjectId outcomesMap;
    private final String intentsId;
    private final String outcomesId;

    private boolean built;
    /** Pending intents by id, and the same in poll order. */
    private final Map<String, Intent> byId = new HashMap<>();
    private final TreeSet<Intent> ordered = new TreeSet<>(OLDEST_FIRST);
    /** Map object (as Automerge prints its id) that is {@code intents/K}'s value, to K, for keys without outcome. */
    private final Map<String, String> fieldMaps = new HashMap<>();
    /** The reverse of {@link #fieldMaps}. */
    private final Map<String, String> fieldMapOf = new HashMap<>();
    private final Set<String> dirty = new HashSet<>();
    /** Times the index was built from a full scan (the first read, and after each overflow). */
    private long builds;

    IntentIndex(Document doc, DocReader reader, ObjectId intentsMap, ObjectId outcomesMap) {
        this.doc = doc;
        this.reader = reader;
        this.intentsMap = intentsMap;
        this.outcomesMap = outcomesMap;
        this.intentsId = intentsMap.toString();
        this.outcomesId = outcomesMap.toString();
    }

    /** Pending intents, oldest request first (ties by id). Builds the index or reads its dirty keys first. */
    List<Intent> pending() {
        refresh();
        return List.copyOf(ordered);
    }

    /** How many intents are pending (same cost rules as {@link #pending}). */
    int pendingCount() {
        refresh();
        return ordered.size();
    }

    long builds() {
        return builds;
    }

    /**
     * Notes what an applied change's ops may have done to intents (called by the gate after Automerge applied it,
     * and for this node's own writes). Nothing is read from the document here.
     */
    void observe(ChangeOps ops) {
        if (!built) {
            return;
        }
        for (int i = 0; i < ops.count(); i++) {
            String target = ops.target(i);
            if (target.equals(intentsId) || target.equals(outcomesId)) {
                if (ops.keyKind(i) == ChangeOps.KeyKind.PROPERTY) {
                    markDirty(ops.keyProperty(i));
                }
            } else {
                String key = fieldMaps.get(target);
                if (key != null) {
                    markDirty(key);
                }
            }
        }
    }

    /** This node wrote {@code intents/K} or {@code outcomes/K} itself. */
    void touched(String key) {
        if (built) {
            markDirty(key);
        }
    }

    private void markDirty(String key) {
        dirty.add(key);
        if (dirty.size() > MAX_DIRTY_KEYS) {
            drop();
        }
    }

    private void drop() {
        built = false;
        byId.clear();
        ordered.clear();
        fieldMaps.clear();
        fieldMapOf.clear();
        dirty.clear();
    }

    private void refresh() {
        if (!built) {
            build();
            return;
        }
        if (dirty.isEmpty()) {
            return;
        }
        for (String key : dirty) {
            read(key);
        }
        dirty.clear();
    }

    /** The full scan, once: every key of intents, checked against the keys of outcomes. */
    private void build() {
        drop();
        Set<String> withOutcome = new HashSet<>();
        for (String k : doc.keys(outcomesMap).orElse(new String[0])) {
            withOutcome.add(k);
        }
        for (org.automerge.MapEntry e : doc.mapEntries(intentsMap).orElse(new org.automerge.MapEntry[0])) {
            if (!withOutcome.contains(e.getKey())) {
                index(e.getKey(), e.getValue());
            }
        }
        built = true;
        builds++;
    }

    /** Reads key {@code K} again: forgets what the index held for it, then indexes its current value. */
    private void read(String key) {
        Intent old = byId.remove(key);
        if (old != null) {
            ordered.remove(old);
        }
        String map = fieldMapOf.remove(key);
        if (map != null) {
            fieldMaps.remove(map);
        }
        if (reader.hasKey(outcomesMap, key)) {
            return;
        }
        Optional<AmValue> value = doc.get(intentsMap, key);
        if (value.isPresent()) {
            index(key, value.get());
        }
    }

    private void index(String key, AmValue value) {
        if (value instanceof AmValue.Map m) {
            String map = m.getId().toString();
            fieldMaps.put(map, key);
            fieldMapOf.put(key, map);
        }
        // Problems are reported by the full reads (StateView.malformed); the index only leaves such keys out.
        Optional<Intent> intent = reader.intent(key, value, new ArrayList<>());
        if (intent.isPresent()) {
            byId.put(key, intent.get());
            ordered.add(intent.get());
        }
    }
}
