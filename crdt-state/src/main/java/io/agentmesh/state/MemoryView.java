package io.agentmesh.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The memory log as it stood after one change, immutable, readable from any thread without the document: the
 * newest entries and a search by words and tag. {@link MemoryIndex} (on the thread that owns the document) makes a
 * new one after every change and publishes it through one volatile reference, so a reader never waits for that
 * thread and never sees a half-applied change.
 *
 * <p>Layout: the list is cut into chunks. Every chunk but the last is sealed (never written again) and carries a
 * tag index and a lower-cased copy of its entries' text, kind and tags (its corpus), so a search over 100k entries
 * is a few {@code String.indexOf} calls per chunk rather than 100k lower-casings. The last chunk (the tail) is
 * appended in place by the owning thread beyond {@link #tailCount}: a view reads only the slots below its own
 * count, which are never written again, so many views share one tail array. A slot is null where the document holds
 * something that is not a well-formed entry (the document read skips it, and so does every read here).
 */
public final class MemoryView {
    /** The most entries one read returns. */
    public static final int MAX_LIMIT = 10_000;
    /** The most words a search takes. */
    public static final int MAX_QUERY_WORDS = 16;
    /** The longest search query, chars. */
    public static final int MAX_QUERY_LENGTH = 1_000;

    private final MemoryIndex.Chunk[] sealed;
    /** starts[i]: the list position of sealed[i]'s first slot; starts[sealed.length]: the tail's. */
    private final long[] starts;
    private final MemoryIndex.Chunk tail;
    private final int tailCount;
    private final long version;

    MemoryView(MemoryIndex.Chunk[] sealed, long[] starts, MemoryIndex.Chunk tail, int tailCount, long version) {
        this.sealed = sealed;
        this.starts = starts;
        this.tail = tail;
        this.tailCount = tailCount;
        this.version = version;
    }

    /** A view over {@code slots} (null for a malformed one), without a document: e.g. a saved view at start-up. */
    public static MemoryView of(List<MemoryEntry> slots) {
        return new MemoryIndex(null, null, java.util.Set.of(), id -> java.util.Optional.empty(), at -> null,
                () -> slots, MemoryIndex.CHUNK).current();
    }

    static MemoryView empty() {
        return new MemoryView(new MemoryIndex.Chunk[0], new long[]{0}, MemoryIndex.Chunk.tail(0), 0, 0);
    }

    /** How many changes to the memory log this view reflects (grows by one per change that touched it). */
    public long version() {
        return version;
    }

    /** List slots, malformed ones included (what {@link AgentState#memoryCount()} counts). */
    public long size() {
        return starts[sealed.length] + tailCount;
    }

    /** Every well-formed entry in list order. O(entries): for tests and exports, not for requests. */
    public List<MemoryEntry> all() {
        List<MemoryEntry> out = new ArrayList<>();
        for (MemoryIndex.Chunk c : sealed) {
            for (MemoryEntry e : c.slots) {
                if (e != null) {
                    out.add(e);
                }
            }
        }
        for (int i = 0; i < tailCount; i++) {
            if (tail.slots[i] != null) {
                out.add(tail.slots[i]);
            }
        }
        return out;
    }

    /** Every slot in list order, null where the document holds no well-formed entry (what a file saves). */
    List<MemoryEntry> slots() {
        List<MemoryEntry> out = new ArrayList<>((int) size());
        for (MemoryIndex.Chunk c : sealed) {
            out.addAll(Arrays.asList(c.slots));
        }
        out.addAll(Arrays.asList(tail.slots).subList(0, tailCount));
        return out;
    }

    /** The newest {@code limit} well-formed entries, oldest first. */
    public List<MemoryEntry> newest(int limit) {
        checkLimit(limit);
        List<MemoryEntry> out = new ArrayList<>(Math.min(limit, 1024));
        for (int i = tailCount - 1; i >= 0 && out.size() < limit; i--) {
            if (tail.slots[i] != null) {
                out.add(tail.slots[i]);
            }
        }
        for (int c = sealed.length - 1; c >= 0 && out.size() < limit; c--) {
            MemoryEntry[] slots = sealed[c].slots;
            for (int i = slots.length - 1; i >= 0 && out.size() < limit; i--) {
                if (slots[i] != null) {
                    out.add(slots[i]);
                }
            }
        }
        Collections.reverse(out);
        return out;
    }

    /**
     * The newest {@code limit} entries that carry {@code tag} (exactly; null for any) and contain every word of
     * {@code query} (case-insensitive, in the text, kind or a tag; null or blank for any), newest first.
     *
     * @throws IllegalArgumentException for a limit outside 1..{@link #MAX_LIMIT}, a query over
     *                                  {@link #MAX_QUERY_LENGTH} chars or {@link #MAX_QUERY_WORDS} words, or one with
     *                                  control characters
     */
    public List<MemoryEntry> search(String query, String tag, int limit) {
        checkLimit(limit);
        String[] words = words(query);
        if (tag != null && tag.isEmpty()) {
            throw new IllegalArgumentException("tag must not be empty");
        }
        List<MemoryEntry> out = new ArrayList<>();
        for (int i = tailCount - 1; i >= 0 && out.size() < limit; i--) {
            MemoryEntry e = tail.slots[i];
            if (e != null && (tag == null || e.tags().contains(tag)) && containsAll(MemoryIndex.haystack(e), words)) {
                out.add(e);
            }
        }
        for (int c = sealed.length - 1; c >= 0 && out.size() < limit; c--) {
            sealed[c].search(words, tag, limit - out.size(), out);
        }
        return out;
    }

    /** The lower-cased words of a query; empty for null or blank. */
    static String[] words(String query) {
        if (query == null) {
            return new String[0];
        }
        if (query.length() > MAX_QUERY_LENGTH) {
            throw new IllegalArgumentException("q may be at most " + MAX_QUERY_LENGTH + " characters, got "
                    + query.length());
        }
        for (int i = 0; i < query.length(); i++) {
            char ch = query.charAt(i);
            if (Character.isISOControl(ch) && !Character.isWhitespace(ch)) {
                throw new IllegalArgumentException("q must not contain control characters");
            }
        }
        String[] words = query.toLowerCase(Locale.ROOT).trim().split("\\s+");
        if (words.length == 1 && words[0].isEmpty()) {
            return new String[0];
        }
        if (words.length > MAX_QUERY_WORDS) {
            throw new IllegalArgumentException("q may have at most " + MAX_QUERY_WORDS + " words, got "
                    + words.length);
        }
        return words;
    }

    static boolean containsAll(String haystack, String[] words) {
        for (String w : words) {
            if (!haystack.contains(w)) {
                return false;
            }
        }
        return true;
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
    }

    /** Figures for status and benchmarks: slots, sealed chunks, chars held by the search corpora. */
    public Map<String, Long> figures() {
        long corpus = 0;
        for (MemoryIndex.Chunk c : sealed) {
            corpus += c.corpusChars();
        }
        return Map.of("slots", size(), "sealedChunks", (long) sealed.length, "corpusChars", corpus,
                "version", version);
    }
}
