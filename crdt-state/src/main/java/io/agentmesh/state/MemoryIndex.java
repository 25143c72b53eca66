package io.agentmesh.state;

import io.agentmesh.state.automerge.ChangeHeader;
import io.agentmesh.state.automerge.ChangeOps;
import org.automerge.Cursor;
import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.ObjectType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Keeps {@link MemoryView} up to date with the document, on the thread that owns it, and publishes each new view
 * through one volatile reference ({@link #current()}, callable from any thread).
 *
 * <p>How each change reaches it, without reading the whole log again:
 * <ul>
 *   <li>A local append ({@link #appendedLocally}): the entry the write made, at the end of the list, which is where
 *       a local insert after the last element lands.</li>
 *   <li>A peer's change ({@link #afterRemote}), from its ops as the change gate decoded them: each element it
 *       inserted into the memory list is found by its op id (an Automerge cursor, a few microseconds) and read at
 *       that position; an existing entry map it wrote to is found the same way and read again. Anything else that
 *       touches the log (a deleted or overwritten element, a write to an existing list such as an entry's tags)
 *       agentmesh never writes, only a foreign writer would: then the log is read again whole
 *       ({@link #resyncs()} counts it).</li>
 * </ul>
 * Memory per entry: the entry's strings (authors, kinds and tags are shared through a bounded intern table), one
 * slot, and in a sealed chunk the lower-cased search copy of its text, kind and tags plus its tag postings.
 */
final class MemoryIndex {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MemoryIndex.class);
    /** Slots per chunk by default: a local append copies nothing; sealing a chunk indexes this many entries. */
    static final int CHUNK = 256;
    /** Distinct author, kind and tag strings shared between entries; past it new ones are kept as read. */
    static final int MAX_INTERNED = 4096;
    /** How far a search counts a word's occurrences in a chunk to pick the rarest one to scan for. */
    static final int RAREST_CAP = 16;

    /** One run of slots. Sealed: exact length, indexed, never written again. Tail: capacity the chunk size. */
    static final class Chunk {
        final MemoryEntry[] slots;
        private final Map<String, int[]> tags;
        private final String corpus;
        private final int[] offsets;

        private Chunk(MemoryEntry[] slots, Map<String, int[]> tags, String corpus, int[] offsets) {
            this.slots = slots;
            this.tags = tags;
            this.corpus = corpus;
            this.offsets = offsets;
        }

        static Chunk tail(int capacity) {
            return new Chunk(new MemoryEntry[capacity], null, null, null);
        }

        /** A sealed chunk over {@code slots} (kept, not copied), with its tag postings and search corpus. */
        static Chunk seal(MemoryEntry[] slots) {
            Map<String, List<Integer>> postings = new HashMap<>();
            StringBuilder corpus = new StringBuilder(slots.length * 48);
            int[] offsets = new int[slots.length + 1];
            for (int i = 0; i < slots.length; i++) {
                offsets[i] = corpus.length();
                MemoryEntry e = slots[i];
                if (e != null) {
                    corpus.append(haystack(e));
                    for (String t : new HashSet<>(e.tags())) {
                        postings.computeIfAbsent(t, k -> new ArrayList<>()).add(i);
                    }
                }
                corpus.append('\u0000');
            }
            offsets[slots.length] = corpus.length();
            Map<String, int[]> tags = new HashMap<>(postings.size() * 2);
            postings.forEach((t, list) -> tags.put(t, list.stream().mapToInt(Integer::intValue).toArray()));
            return new Chunk(slots, tags, corpus.toString(), offsets);
        }

        /**
         * This sealed chunk with {@code e} inserted at slot {@code at}: the corpus and postings are spliced, not built
         * again. A peer's entry often lands inside a sealed chunk (concurrent appends from two nodes interleave by op
         * id), and sealing again lower-cased and hashed the whole chunk for each one: 16-25 % of a node thread's
         * time while two nodes wrote at once.
         */
        Chunk inserted(int at, MemoryEntry e) {
            MemoryEntry[] grown = new MemoryEntry[slots.length + 1];
            System.arraycopy(slots, 0, grown, 0, at);
            grown[at] = e;
            System.arraycopy(slots, at, grown, at + 1, slots.length - at);
            String added = (e == null ? "" : haystack(e)) + '\u0000';
            int cut = offsets[at];
            String spliced = corpus.substring(0, cut) + added + corpus.substring(cut);
            int[] shifted = new int[offsets.length + 1];
            System.arraycopy(offsets, 0, shifted, 0, at + 1);
            for (int i = at; i < offsets.length; i++) {
                shifted[i + 1] = offsets[i] + added.length();
            }
            Map<String, int[]> moved = new HashMap<>(tags.size() * 2 + 2);
            Set<String> own = e == null ? Set.of() : new HashSet<>(e.tags());
            tags.forEach((t, hits) -> {
                boolean mine = own.contains(t);
                int split = indexOfFirstAtOrAfter(hits, at);
                int[] out = new int[hits.length + (mine ? 1 : 0)];
                System.arraycopy(hits, 0, out, 0, split);
                int o = split;
                if (mine) {
                    out[o++] = at;
                }
                for (int i = split; i < hits.length; i++) {
                    out[o++] = hits[i] + 1;
                }
                moved.put(t, out);
            });
            for (String t : own) {
                moved.putIfAbsent(t, new int[] {at});
            }
            return new Chunk(grown, moved, spliced, shifted);
        }

        private static int indexOfFirstAtOrAfter(int[] hits, int at) {
            int i = Arrays.binarySearch(hits, at);
            return i >= 0 ? i : -i - 1;
        }

        long corpusChars() {
            return corpus == null ? 0 : corpus.length();
        }

        /** Adds up to {@code want} matches of this sealed chunk to {@code out}, newest first. */
        void search(String[] words, String tag, int want, List<MemoryEntry> out) {
            int added = 0;
            if (tag != null) {
                int[] hits = tags.get(tag);
                if (hits == null) {
                    return;
                }
                for (int h = hits.length - 1; h >= 0 && added < want; h--) {
                    if (matches(hits[h], words)) {
                        out.add(slots[hits[h]]);
                        added++;
                    }
                }
                return;
            }
            if (words.length == 0) {
                for (int i = slots.length - 1; i >= 0 && added < want; i--) {
                    if (slots[i] != null) {
                        out.add(slots[i]);
                        added++;
                    }
                }
                return;
            }
            // A word the chunk lacks ends the search of the chunk at once (one scan each, before any counting).
            // Then scan for the rarest word, counting each no further than RAREST_CAP (a word in every entry used to
            // be counted to the end of every chunk: 63 % of the HTTP threads' time in `bench reads`), and check the
            // others per hit.
            for (String w : words) {
                if (corpus.indexOf(w) < 0) {
                    return;
                }
            }
            String first = words[0];
            int fewest = Integer.MAX_VALUE;
            for (String w : words) {
                int n = occurrences(w, Math.min(fewest, RAREST_CAP));
                if (n < fewest) {
                    fewest = n;
                    first = w;
                }
            }
            List<Integer> found = new ArrayList<>();
            int from = 0;
            while (true) {
                int at = corpus.indexOf(first, from);
                if (at < 0) {
                    break;
                }
                int slot = slotAt(at);
                if (slots[slot] != null && matches(slot, words)) {
                    found.add(slot);
                }
                from = offsets[slot + 1]; // next entry
            }
            for (int f = found.size() - 1; f >= 0 && added < want; f--) {
                out.add(slots[found.get(f)]);
                added++;
            }
        }

        /** Occurrences of {@code word} in the corpus, counting no further than {@code cap}. */
        private int occurrences(String word, int cap) {
            int n = 0;
            int at = corpus.indexOf(word);
            while (at >= 0 && n < cap) {
                n++;
                at = corpus.indexOf(word, at + 1);
            }
            return n;
        }

        private int slotAt(int corpusIndex) {
            int i = Arrays.binarySearch(offsets, corpusIndex);
            return i >= 0 ? i : -i - 2;
        }

        private boolean matches(int slot, String[] words) {
            int start = offsets[slot];
            int end = offsets[slot + 1] - 1; // the separator
            for (String w : words) {
                if (corpus.indexOf(w, start, end) < 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** What a search looks in: text, kind and tags, lower-cased, one per line. */
    static String haystack(MemoryEntry e) {
        StringBuilder b = new StringBuilder(e.text().length() + e.kind().length() + 16);
        b.append(e.text()).append('\n').append(e.kind());
        for (String t : e.tags()) {
            b.append('\n').append(t);
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    private final Document doc;
    private final ObjectId memory;
    private final String memoryKey;
    private final Set<String> rootObjects;
    private final Function<String, Optional<ObjectType>> typeOf;
    private final Function<Long, MemoryEntry> readSlot;
    private final java.util.function.Supplier<List<MemoryEntry>> readAll;
    private final Map<String, String> interned = new HashMap<>();
    /** Existing maps a peer wrote to that are not memory entries (tasks, cost counters), so they are looked up once. */
    private final Set<String> notEntries = new HashSet<>();

    private final List<Chunk> sealed = new ArrayList<>();
    private Chunk[] sealedArray = new Chunk[0];
    private long[] starts = {0};
    private final int chunkSlots;
    private Chunk tail;
    private int tailCount;
    private long version;
    private long resyncs;
    private volatile MemoryView current = MemoryView.empty();

    /**
     * @param readSlot the entry at a list position as the document read gives it, null when malformed
     * @param readAll  every slot of the list in order, null where malformed
     */
    MemoryIndex(Document doc, ObjectId memory, Set<String> rootObjects,
                Function<String, Optional<ObjectType>> typeOf, Function<Long, MemoryEntry> readSlot,
                java.util.function.Supplier<List<MemoryEntry>> readAll, int chunkSlots) {
        if (chunkSlots < 2) {
            throw new IllegalArgumentException("a chunk holds at least 2 slots, got " + chunkSlots);
        }
        this.chunkSlots = chunkSlots;
        this.tail = Chunk.tail(chunkSlots);
        this.doc = doc;
        this.memory = memory;
        this.memoryKey = memory == null ? "" : memory.toString();
        this.rootObjects = Set.copyOf(rootObjects);
        this.typeOf = typeOf;
        this.readSlot = readSlot;
        this.readAll = readAll;
        resync();
        resyncs = 0;
    }

    /** An index over {@code slots} (null for a malformed one) taken from a file at the document's current heads. */
    MemoryIndex(Document doc, ObjectId memory, Set<String> rootObjects,
                Function<String, Optional<ObjectType>> typeOf, Function<Long, MemoryEntry> readSlot,
                java.util.function.Supplier<List<MemoryEntry>> readAll, int chunkSlots, List<MemoryEntry> slots) {
        this(doc, memory, rootObjects, typeOf, readSlot, () -> slots, chunkSlots);
    }

    /** The newest published view. Any thread. */
    MemoryView current() {
        return current;
    }

    /** How many times a change made the whole log be read again. */
    long resyncs() {
        return resyncs;
    }

    long size() {
        return starts[sealedArray.length] + tailCount;
    }

    /** This node appended {@code e} at list position {@code position}. */
    void appendedLocally(long position, MemoryEntry e) {
        if (position != size()) {
            resync(); // cannot happen while every change passes through here; reading again is always right
            return;
        }
        append(e);
        publish();
    }

    /** A peer's change (or a replayed one) was just applied to the document. */
    void afterRemote(ChangeHeader header) {
        ChangeOps ops = header.ops();
        String actor = header.actorHex();
        long startOp = header.startOp();
        TreeSet<Long> inserted = new TreeSet<>();
        TreeSet<Long> rewritten = new TreeSet<>();
        for (int i = 0; i < ops.count(); i++) {
            String target = ops.target(i);
            if (target.equals(memoryKey)) {
                if (!ops.insert(i)) {
                    resyncBecause(header, "it deletes or overwrites an entry of the log");
                    return;
                }
                long at = position(Long.toUnsignedString(startOp + i) + "@" + actor);
                if (at < 0) {
                    resyncBecause(header, "an element it inserted is not in the log");
                    return;
                }
                inserted.add(at);
                continue;
            }
            if (rootObjects.contains(target) || madeBy(target, actor, startOp, ops.count())
                    || notEntries.contains(target)) {
                continue;
            }
            ObjectType type = typeOf.apply(target).orElse(null);
            if (type == ObjectType.TEXT) {
                continue;
            }
            if (type != ObjectType.MAP) {
                // An existing list other than the log: an entry's tags, which agentmesh never rewrites.
                resyncBecause(header, "it writes to an existing list (an entry's tags?)");
                return;
            }
            long at = position(target);
            if (at >= 0) {
                rewritten.add(at);
            } else {
                if (notEntries.size() >= 100_000) {
                    notEntries.clear();
                }
                notEntries.add(target);
            }
        }
        if (inserted.isEmpty() && rewritten.isEmpty()) {
            return;
        }
        // Ascending: each element goes to its final position once every element before it is in place.
        for (long at : inserted) {
            insert(at, intern(readSlot.apply(at)));
        }
        for (long at : rewritten) {
            if (!inserted.contains(at)) {
                replace(at, intern(readSlot.apply(at)));
            }
        }
        publish();
    }

    private void resyncBecause(ChangeHeader header, String why) {
        log.info("the memory view reads the whole log again after change {}/{}: {} (only a foreign writer makes"
                + " such changes)", header.actorHex(), header.seq(), why);
        resync();
    }

    /** Reads the whole log again. */
    void resync() {
        resyncs++;
        sealed.clear();
        tail = Chunk.tail(chunkSlots);
        tailCount = 0;
        for (MemoryEntry e : readAll.get()) {
            appendQuietly(intern(e));
        }
        rebuildDirectory();
        publish();
    }

    private static boolean madeBy(String target, String actor, long startOp, int count) {
        int at = target.indexOf('@');
        if (at < 0 || !target.regionMatches(at + 1, actor, 0, actor.length())
                || target.length() != at + 1 + actor.length()) {
            return false;
        }
        try {
            long counter = Long.parseUnsignedLong(target, 0, at, 10);
            return counter >= startOp && counter < startOp + count;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The list position of the element with op id {@code elementId}, or -1 when the log holds no such element. */
    private long position(String elementId) {
        try {
            return doc.lookupCursorIndex(memory, Cursor.fromString(elementId));
        } catch (RuntimeException e) {
            return -1; // AutomergeException (package-private in 0.0.7): not an element of the log
        }
    }

    private void append(MemoryEntry e) {
        appendQuietly(e);
        if (tailCount == 0) {
            rebuildDirectory(); // the tail was just sealed
        }
    }

    private void appendQuietly(MemoryEntry e) {
        tail.slots[tailCount++] = e;
        if (tailCount == chunkSlots) {
            sealed.add(Chunk.seal(tail.slots));
            tail = Chunk.tail(chunkSlots);
            tailCount = 0;
        }
    }

    private void insert(long position, MemoryEntry e) {
        long tailStart = starts[sealedArray.length];
        if (position >= size()) {
            append(e);
            return;
        }
        if (position >= tailStart) {
            int at = (int) (position - tailStart);
            // Copy on write: earlier views still read the old tail's slots.
            Chunk copy = Chunk.tail(chunkSlots);
            System.arraycopy(tail.slots, 0, copy.slots, 0, at);
            copy.slots[at] = e;
            System.arraycopy(tail.slots, at, copy.slots, at + 1, tailCount - at);
            tail = copy;
            tailCount++;
            if (tailCount == chunkSlots) {
                sealed.add(Chunk.seal(tail.slots));
                tail = Chunk.tail(chunkSlots);
                tailCount = 0;
            }
            rebuildDirectory();
            return;
        }
        int c = chunkOf(position);
        int at = (int) (position - starts[c]);
        Chunk grown = sealed.get(c).inserted(at, e);
        if (grown.slots.length >= 2 * chunkSlots) {
            sealed.set(c, Chunk.seal(Arrays.copyOfRange(grown.slots, 0, chunkSlots)));
            sealed.add(c + 1, Chunk.seal(Arrays.copyOfRange(grown.slots, chunkSlots, grown.slots.length)));
        } else {
            sealed.set(c, grown);
        }
        rebuildDirectory();
    }

    private void replace(long position, MemoryEntry e) {
        long tailStart = starts[sealedArray.length];
        if (position >= tailStart) {
            Chunk copy = Chunk.tail(chunkSlots);
            System.arraycopy(tail.slots, 0, copy.slots, 0, tailCount);
            copy.slots[(int) (position - tailStart)] = e;
            tail = copy;
            return;
        }
        int c = chunkOf(position);
        MemoryEntry[] copy = sealed.get(c).slots.clone();
        copy[(int) (position - starts[c])] = e;
        sealed.set(c, Chunk.seal(copy));
        rebuildDirectory();
    }

    private int chunkOf(long position) {
        int i = Arrays.binarySearch(starts, 0, sealedArray.length, position);
        if (i >= 0) {
            // Several chunks cannot start at one position (none is empty): this is the one.
            return i;
        }
        return -i - 2;
    }

    private void rebuildDirectory() {
        sealedArray = sealed.toArray(new Chunk[0]);
        long[] s = new long[sealedArray.length + 1];
        for (int i = 0; i < sealedArray.length; i++) {
            s[i + 1] = s[i] + sealedArray[i].slots.length;
        }
        starts = s;
    }

    private void publish() {
        current = new MemoryView(sealedArray, starts, tail, tailCount, ++version);
    }

    /** The entry with its author, kind and tags shared with earlier entries' equal strings. */
    private MemoryEntry intern(MemoryEntry e) {
        if (e == null) {
            return null;
        }
        List<String> tags = e.tags();
        String[] t = new String[tags.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = intern(tags.get(i));
        }
        return new MemoryEntry(e.id(), e.timeMillis(), intern(e.author()), intern(e.kind()), e.text(), List.of(t));
    }

    private String intern(String s) {
        String known = interned.get(s);
        if (known != null) {
            return known;
        }
        if (interned.size() < MAX_INTERNED && s.length() <= Limits.MAX_NAME_LENGTH) {
            interned.put(s, s);
        }
        return s;
    }
}
