package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.StateException.Reason;
import io.agentmesh.state.automerge.AutomergeFormatException;
import io.agentmesh.state.automerge.ChangeHeader;
import io.agentmesh.state.automerge.DocumentCheck;
import org.automerge.AmValue;
import org.automerge.ChangeHash;
import org.automerge.Document;
import org.automerge.NewValue;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.automerge.Patch;
import org.automerge.PatchAction;
import org.automerge.PatchLog;
import org.automerge.PathElement;
import org.automerge.Prop;
import org.automerge.Transaction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The agent's state as the rest of agentmesh sees it: a typed view over one Automerge document.
 *
 * <p><b>Not thread-safe, by design.</b> One thread owns the document (DESIGN.md invariant 1: the node's sans-IO
 * core is single-threaded and owns it). Everything here, reads included, must be called from that thread; other
 * threads get {@link StateView} snapshots, which are immutable. There is no locking to forget or contend.
 *
 * <p><b>Writes.</b> Each write checks its input first (an {@link IllegalArgumentException} naming the field, and no
 * change to the document), then makes exactly one Automerge commit and returns it as a {@link LocalChange}: the
 * change bytes the node signs, stores durably and sends. There is deliberately no API for keys or other secrets
 * (invariant 7): the document is readable by every node.
 *
 * <p><b>Sequence numbers.</b> Automerge numbers an actor's changes itself (highest seq of that actor in the
 * document + 1); {@link LocalChange#seq()} is read back from the change bytes, so it is always the seq the bytes
 * carry. The caller's duty: after {@link #load}, apply every durable change of this actor (snapshot + replay from
 * the store) before writing, or Automerge would hand out a seq that was already used. The store's equivocation
 * check (same (actor, seq), different bytes) is the backstop. A node that lost its store takes a new incarnation,
 * hence a new actor (invariant 5).
 *
 * <p><b>Remote changes.</b> {@link #applyChange} takes one change at a time through the document's
 * {@link ChangeGate}, which checks it in Java before Automerge sees it: framing, checksum and canonical encoding
 * ({@link ChangeHeader}), then against this document: the author's next seq, the start op its dependencies imply,
 * and that every op fits the object it writes to. It refuses writes to the document root or to {@code meta} (they
 * belong to the {@link Genesis} change only). A refused change changes nothing. Automerge 0.5.7 aborts the JVM on
 * some bytes these checks stop (see {@code NativeCrashTest}); changes waiting for dependencies are held in the gate,
 * not in Automerge.
 *
 * <p><b>Numbers</b> (times, Raft term and index) are stored as Automerge floats, exact up to 2^53 (the limit
 * {@link Limits#MAX_NUMBER} enforces, which is JavaScript's too): the integer setters of automerge-java 0.0.7 lose
 * data (see {@code putNumber}).
 *
 * <p><b>Reads</b> return immutable records and never throw on odd data: entries of the wrong shape are skipped and
 * reported in {@link StateView#malformed()}.
 */
public final class AgentState implements AutoCloseable {
    /** Largest saved document {@link #load} accepts. */
    public static final long MAX_DOCUMENT_BYTES = 512L * 1024 * 1024;
    /** At most this many changes wait for their dependencies (see {@link #applyChange}). */
    public static final int MAX_PENDING_CHANGES = 100_000;
    public static final long MAX_PENDING_BYTES = 256L * 1024 * 1024;

    private final Genesis genesis;
    private final ActorId actor;
    private final Document doc;
    private final DocReader.Objects ids;
    private final DocReader reader;
    private final ChangeGate gate;
    private final IntentIndex intentIndex;
    private final ObjectId workspace;
    private final ObjectId workspaceGone;
    /** Workspace path to its shown text and that text's content (see {@link #textOf}). */
    private final Map<String, CachedText> textCache = new java.util.HashMap<>();
    private long cachedChars;
    /** Characters of workspace texts kept in {@link #textCache}. */
    static final long MAX_CACHED_WORKSPACE_CHARS = 64L * 1024 * 1024;
    /**
     * Patches one remote change (with the held changes it releases) may make to one cached text; past it the entry
     * is dropped and the next read builds the string again. Each patch moves the rest of the string (about 0.2 ms
     * for 1 Mi characters), the rebuild costs about 50 ms per Mi characters, so this bounds the patching near it.
     */
    static final int MAX_PATCHES_PER_CACHED_TEXT = 256;
    /** Strings of workspace texts built by Automerge (cache misses), for {@link #workspaceTextBuilds()}. */
    private long workspaceTextBuilds;
    /** When set, each use of a cached text checks it against Automerge's own text ({@link #verifyTextCache}). */
    private boolean verifyTextCache;
    private long lastSeq;
    private boolean closed;
    /** The batch {@link #commitBatch} is applying, which every write goes into; null outside it. */
    private BatchTransaction batch;
    /** What a write returns inside {@link #commitBatch}: its ops wait in the batch's change. */
    public static final LocalChange IN_BATCH = new LocalChange(0, new byte[0]);
    /** The memory log's read view, kept up to date once {@link #enableMemoryView} is called; else null. */
    private MemoryIndex memoryIndex;

    private AgentState(Genesis genesis, ActorId actor, Document doc, DocReader.Objects ids) {
        this.genesis = genesis;
        this.actor = actor;
        this.doc = doc;
        this.ids = ids;
        this.reader = new DocReader(doc, ids);
        ObjectId[] ws = verifyWorkspace(doc, genesis);
        this.workspace = ws[0];
        this.workspaceGone = ws[1];
        this.gate = new ChangeGate(doc, genesis, MAX_PENDING_CHANGES, MAX_PENDING_BYTES);
        this.intentIndex = new IntentIndex(doc, reader, ids.intents(), ids.outcomes());
        gate.watchIntents(intentIndex);
    }

    /** A new document for {@code agentId}: the genesis change, writing as {@code actor}. */
    public static AgentState create(byte[] agentId, ActorId actor) {
        Genesis genesis = Genesis.of(agentId);
        requireActor(actor, genesis);
        Document doc = new Document(actor.bytes());
        try {
            doc.applyEncodedChanges(genesis.change());
            doc.applyEncodedChanges(genesis.workspaceChange());
            return new AgentState(genesis, actor, doc, verifyStructure(doc, genesis));
        } catch (RuntimeException e) {
            doc.free();
            throw e;
        }
    }

    /**
     * Loads a document saved by {@link #save()} on this node (its own snapshot), writing as {@code actor}.
     *
     * <p>Checks: size, chunk framing and checksums in Java ({@link DocumentCheck}), that Automerge loads it, and the
     * genesis structure with the same agent id. Any failure is a {@link StateException} and nothing is kept.
     *
     * <p>Trust: Automerge runs in this process. A checksummed document cannot be damaged by accident, but a crafted
     * one can still abort the JVM inside the native library; documents from anywhere but this node's own store go
     * through {@code io.agentmesh.state.export.AutomergeFile#validate} first, which loads them in a child process.
     */
    public static AgentState load(byte[] agentId, byte[] savedDocument, ActorId actor) {
        Genesis genesis = Genesis.of(agentId);
        requireActor(actor, genesis);
        if (savedDocument == null) {
            throw new StateException(Reason.MALFORMED, "no saved document given");
        }
        if (savedDocument.length > MAX_DOCUMENT_BYTES) {
            throw new StateException(Reason.TOO_LARGE, "a saved document may be at most " + MAX_DOCUMENT_BYTES
                    + " bytes, got " + savedDocument.length);
        }
        DocumentCheck.Summary chunks;
        try {
            chunks = DocumentCheck.check(savedDocument);
        } catch (AutomergeFormatException e) {
            throw StateException.of(e);
        }
        Document doc;
        if (chunks.documentChunks() == 1 && chunks.changeChunks() == 0) {
            // One document chunk (what save() writes): load it straight into a document with our actor. This is
            // Automerge's load_incremental on an empty document, which skips the copy a fork would make.
            doc = new Document(actor.bytes());
            try {
                doc.applyEncodedChanges(savedDocument);
            } catch (RuntimeException e) {
                doc.free();
                throw new StateException(Reason.REJECTED_BY_AUTOMERGE, "Automerge cannot load the document: "
                        + e.getMessage(), e);
            }
            if (doc.getHeads().length == 0) {
                // That path ignores a chunk it cannot load; Document.load says why.
                doc.free();
                String why = "it holds no changes";
                try {
                    Document.load(savedDocument).free();
                } catch (RuntimeException e) {
                    why = e.getMessage();
                }
                throw new StateException(Reason.REJECTED_BY_AUTOMERGE, "Automerge cannot load the document: " + why);
            }
        } else {
            Document loaded;
            try {
                loaded = Document.load(savedDocument);
            } catch (RuntimeException e) {
                throw new StateException(Reason.REJECTED_BY_AUTOMERGE, "Automerge cannot load the document: "
                        + e.getMessage(), e);
            }
            try {
                doc = loaded.fork(actor.bytes());
            } finally {
                loaded.free();
            }
        }
        try {
            DocReader.Objects objects = verifyStructure(doc, genesis);
            if (doc.get(ObjectId.ROOT, "workspace").isEmpty()) {
                // Saved before the workspace extension existed: every node adds the same deterministic change.
                doc.applyEncodedChanges(genesis.workspaceChange());
            }
            return new AgentState(genesis, actor, doc, objects);
        } catch (RuntimeException e) {
            doc.free();
            throw e;
        }
    }

    /** Checks the workspace extension's maps and returns their ids (workspace, workspaceGone). */
    private static ObjectId[] verifyWorkspace(Document doc, Genesis genesis) {
        ObjectId[] out = new ObjectId[Genesis.WORKSPACE_OBJECTS.size()];
        int i = 0;
        for (String key : Genesis.WORKSPACE_OBJECTS.keySet()) {
            Optional<AmValue> value = doc.get(ObjectId.ROOT, key);
            if (value.isEmpty() || !(value.get() instanceof AmValue.Map m)) {
                throw wrongDocument("its root '" + key + "' is missing or not a map");
            }
            if (!m.getId().toString().equals(genesis.workspaceObjectIds().get(key))) {
                throw wrongDocument("its '" + key + "' is object " + m.getId() + ", not the workspace extension's "
                        + genesis.workspaceObjectIds().get(key));
            }
            out[i++] = m.getId();
        }
        return out;
    }

    /**
     * Throws {@link StateException} unless {@code savedDocument} loads as this agent's state. Safe to call from any
     * thread (it uses its own document).
     *
     * <p>Why a node needs it: Automerge re-derives every change when it loads a saved document and refuses the
     * document if a change does not come out byte-identical ("mismatching heads"). {@link #applyChange} refuses
     * every non-canonical encoding it can see, but a change that is canonical and yet semantically inconsistent
     * (a pred naming an op on another key, a position naming an element that does not exist) is applied by
     * Automerge and only breaks the next load. Only a misbehaving enrolled node can send one; the fuzz test
     * ({@code ApplyChangeFuzzTest}) shows a few percent of randomly mutated changes are of this kind. So: check a
     * snapshot before keeping it, keep the previous one if the check fails, and if a stored snapshot does not load,
     * rebuild from the change log ({@link #create} plus {@link #applyChange} of every stored change), which always
     * works.
     */
    public static void checkLoadable(byte[] agentId, byte[] savedDocument) {
        AgentState probe = load(agentId, savedDocument, ActorId.fromHex("ff".repeat(ActorId.LENGTH)));
        probe.close();
    }

    private static void requireActor(ActorId actor, Genesis genesis) {
        if (actor == null) {
            throw new IllegalArgumentException("an actor is required");
        }
        if (Arrays.equals(actor.bytes(), genesis.actor())) {
            throw new IllegalArgumentException("the genesis actor writes only the genesis change");
        }
    }

    /** Checks that {@code doc} holds this agent's genesis objects and returns their ids. */
    static DocReader.Objects verifyStructure(Document doc, Genesis genesis) {
        ObjectId[] found = new ObjectId[Genesis.ROOT_OBJECTS.size()];
        int i = 0;
        for (Map.Entry<String, ObjectType> e : Genesis.ROOT_OBJECTS.entrySet()) {
            String key = e.getKey();
            Optional<AmValue> value = doc.get(ObjectId.ROOT, key);
            if (value.isEmpty()) {
                throw wrongDocument("it has no '" + key + "' at its root; it is not an agentmesh state document");
            }
            ObjectId id = switch (value.get()) {
                case AmValue.Map m when e.getValue() == ObjectType.MAP -> m.getId();
                case AmValue.List l when e.getValue() == ObjectType.LIST -> l.getId();
                case AmValue.Text t when e.getValue() == ObjectType.TEXT -> t.getId();
                default -> throw wrongDocument("its root '" + key + "' is " + DocReader.kind(value.get())
                        + ", expected a " + e.getValue().name().toLowerCase(Locale.ROOT));
            };
            found[i++] = id;
        }
        ObjectId meta = found[0];
        Optional<AmValue> version = doc.get(meta, "schemaVersion");
        long schema = version.isPresent() && version.get() instanceof AmValue.Int v ? v.getValue()
                : version.isPresent() && version.get() instanceof AmValue.UInt u ? u.getValue() : -1;
        if (schema < 0) {
            throw wrongDocument("meta.schemaVersion is missing or not an integer");
        }
        if (schema != Genesis.SCHEMA_VERSION) {
            throw wrongDocument("its schema version is " + schema + "; this agentmesh reads version "
                    + Genesis.SCHEMA_VERSION);
        }
        Optional<AmValue> agent = doc.get(meta, "agentId");
        String expected = HexFormat.of().formatHex(genesis.agentId());
        if (agent.isEmpty() || !(agent.get() instanceof AmValue.Str s)) {
            throw wrongDocument("meta.agentId is missing or not a string");
        }
        if (!s.getValue().equals(expected)) {
            throw wrongDocument("it belongs to agent " + s.getValue() + ", not to agent " + expected);
        }
        i = 0;
        for (String key : Genesis.ROOT_OBJECTS.keySet()) {
            String want = genesis.objectIds().get(key);
            if (!found[i].toString().equals(want)) {
                throw wrongDocument("its '" + key + "' is object " + found[i] + ", not the genesis object " + want
                        + "; the document was not built from this agent's genesis change");
            }
            i++;
        }
        return new DocReader.Objects(found[0], found[1], found[2], found[3], found[4], found[5], found[6], found[7]);
    }

    private static StateException wrongDocument(String why) {
        return new StateException(Reason.WRONG_DOCUMENT, "not this agent's state document: " + why);
    }

    // ------------------------------------------------------------------ remote changes

    /**
     * Applies one change made elsewhere (a peer's, or this node's own when replaying its store after a restart).
     * The caller has already verified the signature; it should also check that the {@code SignedChange}'s
     * (actor, seq) equal the bytes' ({@link ChangeHeader#parse} before calling, or {@link ApplyResult#header()}).
     *
     * <p>Refused with {@link StateException}, changing nothing: anything but exactly one change chunk, a bad
     * checksum or structure, an actor that is not 16 bytes, the genesis actor, writes to the root or to meta, op
     * types agentmesh never writes (tables, marks), ops that do not fit the type of the object they write to (a
     * list position in a map, a property in a list, an object that does not exist), and anything Automerge itself
     * rejects. These checks are what keeps Automerge 0.5.7 from aborting the JVM: it panics, across JNI, on an op
     * whose key kind does not match its object (op_set.rs "can only compare map keys"), see {@link ChangeHeader}
     * for the others.
     *
     * <p>A change whose dependencies are not all applied yet is held here, in memory and bounded
     * ({@link #MAX_PENDING_CHANGES}), and applied when they are (reported in {@link ApplyResult#released()} of the
     * call that completed them): Automerge never sees a change before the objects it refers to exist, so every
     * change is checked against the document it will be applied to. After a restart the node replays its store,
     * which rebuilds this queue.
     */
    public ApplyResult applyChange(byte[] changeBytes) {
        ensureOpen();
        // Patches only for changes to cached texts: replaying the store at start (nothing read yet) logs none.
        PatchLog patchLog = textCache.isEmpty() ? null : new PatchLog();
        boolean admitted = false;
        try {
            ApplyResult result = gate.admit(changeBytes, patchLog, textCache::containsKey);
            admitted = true;
            return result;
        } finally {
            ChangeGate.RemoteWorkspaceChanges changes = gate.takeWorkspaceChangedSinceRead();
            try {
                // A failure may come after some changes were applied: then their paths' texts are dropped.
                updateCachedTexts(changes, admitted ? patchLog : null);
            } catch (RuntimeException e) {
                // The cache only saves work: whatever went wrong keeping it, the change stands and the texts go.
                for (String path : changes.paths()) {
                    dropCachedText(path);
                }
            } finally {
                if (patchLog != null) {
                    patchLog.free();
                }
            }
        }
    }

    /**
     * From now on refuses, with {@link StateException.Reason#REVOKED}, every change of {@code actor} with a seq above
     * {@code lastValidSeq}, held ones included: the actor's node was removed, and its revocation's cut keeps only the
     * changes up to there. The lowest limit given for an actor holds. Changes already applied stay (Automerge cannot
     * take one back); a node that restarts replays its store first and limits after, so it rebuilds the document it
     * had. Returns how many held changes were dropped.
     */
    public int limitActor(ActorId actor, long lastValidSeq) {
        ensureOpen();
        return gate.limit(actor, lastValidSeq);
    }

    /** Changes held until their dependencies arrive. */
    public int pendingChanges() {
        return gate.pendingChanges();
    }

    /**
     * Parses the header of a change without applying it, e.g. to compare its (actor, seq) with its signed
     * envelope. Bad bytes give the {@link StateException} {@link #applyChange} would give.
     */
    public static ChangeHeader parseHeader(byte[] changeBytes) {
        return ChangeGate.parse(changeBytes, Set.of());
    }

    // ------------------------------------------------------------------ writes

    /**
     * Appends an entry to the memory log. Ids are not checked for uniqueness (that would read the whole log);
     * the writer picks unique ones.
     */
    public LocalChange appendMemory(MemoryEntry e) {
        ensureOpen();
        if (e == null) {
            throw new IllegalArgumentException("a memory entry is required");
        }
        Check.id("memory entry id", e.id());
        Check.time("memory entry time", e.timeMillis());
        Check.name("memory entry author", e.author());
        Check.name("memory entry kind", e.kind());
        Check.text("memory entry text", e.text(), Limits.MAX_MEMORY_TEXT_BYTES);
        Check.tags(e.tags());
        long end = doc.length(ids.memory());
        LocalChange change = commit(tx -> {
            ObjectId entry = tx.insert(ids.memory(), end, ObjectType.MAP);
            tx.set(entry, "id", e.id());
            putNumber(tx, entry, "time", e.timeMillis());
            tx.set(entry, "author", e.author());
            tx.set(entry, "kind", e.kind());
            tx.set(entry, "text", e.text());
            ObjectId tags = tx.set(entry, "tags", ObjectType.LIST);
            for (int i = 0; i < e.tags().size(); i++) {
                tx.insert(tags, i, e.tags().get(i));
            }
        });
        if (memoryIndex != null) {
            memoryIndex.appendedLocally(end, e);
        }
        return change;
    }

    /**
     * Splices the notes text: deletes {@code deleteCount} chars at {@code index} and inserts {@code insert}
     * there. Positions are UTF-16 indexes into {@link #notes()} (Automerge counts code points; this converts) and
     * may not split a surrogate pair. Empty when there is nothing to change (no commit, no change).
     */
    public Optional<LocalChange> editNotes(int index, int deleteCount, String insert) {
        ensureOpen();
        String current = reader.notes();
        if (index < 0 || index > current.length()) {
            throw new IllegalArgumentException("notes index " + index + " is outside 0.." + current.length());
        }
        if (deleteCount < 0 || deleteCount > current.length() - index) {
            throw new IllegalArgumentException("cannot delete " + deleteCount + " chars at " + index
                    + " from notes of " + current.length() + " chars");
        }
        if (splitsPair(current, index) || splitsPair(current, index + deleteCount)) {
            throw new IllegalArgumentException("a notes edit may not split a surrogate pair");
        }
        Check.text("notes insert", insert, Limits.MAX_NOTES_BYTES);
        long after = Check.utf8Length(current) - Check.utf8Length(current.substring(index, index + deleteCount))
                + Check.utf8Length(insert);
        if (after > Limits.MAX_NOTES_BYTES) {
            throw new IllegalArgumentException("the notes would be " + after + " UTF-8 bytes; at most "
                    + Limits.MAX_NOTES_BYTES + " are allowed");
        }
        if (deleteCount == 0 && insert.isEmpty()) {
            return Optional.empty();
        }
        long at = current.codePointCount(0, index);
        long delete = current.codePointCount(index, index + deleteCount);
        return Optional.of(commit(tx -> tx.spliceText(ids.notes(), at, delete, insert)));
    }

    /**
     * Replaces the notes with {@code text}, as the smallest splice (common prefix and suffix kept), so a concurrent
     * edit elsewhere in the notes survives the merge. Empty when the notes already are {@code text}.
     */
    public Optional<LocalChange> replaceNotes(String text) {
        ensureOpen();
        Check.text("notes", text, Limits.MAX_NOTES_BYTES);
        String current = reader.notes();
        int prefix = 0;
        int max = Math.min(current.length(), text.length());
        while (prefix < max && current.charAt(prefix) == text.charAt(prefix)) {
            prefix++;
        }
        if (prefix > 0 && Character.isHighSurrogate(current.charAt(prefix - 1))) {
            prefix--;
        }
        int suffix = 0;
        while (suffix < max - prefix
                && current.charAt(current.length() - 1 - suffix) == text.charAt(text.length() - 1 - suffix)) {
            suffix++;
        }
        if (suffix > 0 && Character.isLowSurrogate(current.charAt(current.length() - suffix))) {
            suffix--;
        }
        return editNotes(prefix, current.length() - prefix - suffix,
                text.substring(prefix, text.length() - suffix));
    }

    private static boolean splitsPair(String s, int at) {
        return at > 0 && at < s.length() && Character.isHighSurrogate(s.charAt(at - 1))
                && Character.isLowSurrogate(s.charAt(at));
    }

    /** Creates the task, or updates the fields of the existing one with this id. */
    public LocalChange upsertTask(Task t) {
        ensureOpen();
        if (t == null) {
            throw new IllegalArgumentException("a task is required");
        }
        Check.id("task id", t.id());
        Check.shortString("task title", t.title(), Limits.MAX_TITLE_LENGTH);
        if (t.status() == null) {
            throw new IllegalArgumentException("task status is required");
        }
        Check.time("task updated time", t.updatedMillis());
        if (t.detail() != null) {
            Check.text("task detail", t.detail(), Limits.MAX_TASK_DETAIL_BYTES);
        }
        Optional<AmValue> existing = doc.get(ids.tasks(), t.id());
        ObjectId existingMap = existing.isPresent() && existing.get() instanceof AmValue.Map m ? m.getId() : null;
        boolean hadDetail = existingMap != null && doc.get(existingMap, "detail").isPresent();
        return commit(tx -> {
            ObjectId task = existingMap != null ? existingMap : tx.set(ids.tasks(), t.id(), ObjectType.MAP);
            tx.set(task, "title", t.title());
            tx.set(task, "status", t.status().name());
            putNumber(tx, task, "updated", t.updatedMillis());
            if (t.detail() != null) {
                tx.set(task, "detail", t.detail());
            } else if (hadDetail) {
                tx.delete(task, "detail");
            }
        });
    }

    /** Adds the schedule, or replaces the whole definition of the one with this id. */
    public LocalChange addSchedule(Schedule s) {
        ensureOpen();
        if (s == null) {
            throw new IllegalArgumentException("a schedule is required");
        }
        Check.id("schedule id", s.id());
        Check.name("schedule cron expression", s.cron());
        Check.zone("schedule zone", s.zone());
        Check.name("schedule intent kind", s.intentKind());
        Check.text("schedule payload", s.payloadJson(), Limits.MAX_PAYLOAD_BYTES);
        Check.name("schedule catch-up policy", s.catchUp());
        Check.time("schedule created time", s.createdMillis());
        return commit(tx -> {
            ObjectId m = tx.set(ids.schedules(), s.id(), ObjectType.MAP);
            tx.set(m, "cron", s.cron());
            tx.set(m, "zone", s.zone());
            tx.set(m, "intentKind", s.intentKind());
            tx.set(m, "payload", s.payloadJson());
            tx.set(m, "catchUp", s.catchUp());
            putNumber(tx, m, "created", s.createdMillis());
        });
    }

    /** Removes a schedule; an unknown id is an error. */
    public LocalChange removeSchedule(String id) {
        ensureOpen();
        Check.id("schedule id", id);
        if (!reader.hasKey(ids.schedules(), id)) {
            throw new IllegalArgumentException("there is no schedule '" + id + "'");
        }
        return commit(tx -> tx.delete(ids.schedules(), id));
    }

    /**
     * Requests an action. An id names one request: requesting an existing id again is an error (check with
     * {@link #intent}); ids derived from (schedule id, fire time) make schedule expansion idempotent.
     */
    public LocalChange requestIntent(Intent i) {
        ensureOpen();
        if (i == null) {
            throw new IllegalArgumentException("an intent is required");
        }
        Check.id("intent id", i.id());
        Check.name("intent kind", i.kind());
        Check.text("intent payload", i.payloadJson(), Limits.MAX_PAYLOAD_BYTES);
        Check.name("intent requester", i.requestedBy());
        Check.time("intent request time", i.requestedMillis());
        if (i.fence() != null) {
            Check.fence("intent fence", i.fence());
        }
        if (reader.hasKey(ids.intents(), i.id())) {
            throw new IllegalArgumentException("intent '" + i.id() + "' already exists");
        }
        intentIndex.touched(i.id());
        return commit(tx -> {
            ObjectId m = tx.set(ids.intents(), i.id(), ObjectType.MAP);
            tx.set(m, "kind", i.kind());
            tx.set(m, "payload", i.payloadJson());
            tx.set(m, "requestedBy", i.requestedBy());
            putNumber(tx, m, "requested", i.requestedMillis());
            if (i.fence() != null) {
                tx.set(m, "fence", i.fence());
            }
        });
    }

    /** Records (or replaces) the outcome of an intent; its status must be one of {@link Outcome#STATUSES}. */
    public LocalChange recordOutcome(Outcome o) {
        ensureOpen();
        if (o == null) {
            throw new IllegalArgumentException("an outcome is required");
        }
        Check.id("outcome intent id", o.intentId());
        Check.name("outcome status", o.status());
        if (!Outcome.isKnownStatus(o.status())) {
            throw new IllegalArgumentException("outcome status '" + o.status() + "' is not one of "
                    + String.join(", ", Outcome.STATUSES));
        }
        Check.text("outcome result", o.result(), Limits.MAX_RESULT_BYTES);
        Check.name("outcome performer", o.performedBy());
        Check.number("outcome term", o.term());
        Check.number("outcome index", o.index());
        Check.time("outcome completion time", o.completedMillis());
        intentIndex.touched(o.intentId());
        return commit(tx -> {
            ObjectId m = tx.set(ids.outcomes(), o.intentId(), ObjectType.MAP);
            tx.set(m, "status", o.status());
            tx.set(m, "result", o.result());
            tx.set(m, "performedBy", o.performedBy());
            putNumber(tx, m, "term", o.term());
            putNumber(tx, m, "index", o.index());
            putNumber(tx, m, "completed", o.completedMillis());
        });
    }

    /**
     * Adds {@code delta} to a cost counter. Each actor keeps its own Automerge counter under
     * {@code costs/<actor hex>/<name>} and reads sum them: if two nodes created the same counter key concurrently,
     * Automerge would keep one of the two counters and lose the other's increments. Only this actor ever creates
     * keys under its own map, so there is no such race.
     */
    public LocalChange incrementCost(String counterName, long delta) {
        ensureOpen();
        Check.name("cost counter name", counterName);
        if (delta == 0) {
            throw new IllegalArgumentException("a cost increment of 0 changes nothing");
        }
        String mine = actor.hex();
        Optional<AmValue> perActor = doc.get(ids.costs(), mine);
        ObjectId existingMap = perActor.isPresent() && perActor.get() instanceof AmValue.Map m ? m.getId() : null;
        boolean hasCounter = existingMap != null && doc.get(existingMap, counterName).map(
                v -> v instanceof AmValue.Counter).orElse(false);
        return commit(tx -> {
            ObjectId map = existingMap != null ? existingMap : tx.set(ids.costs(), mine, ObjectType.MAP);
            if (hasCounter) {
                tx.increment(map, counterName, delta);
            } else {
                tx.set(map, counterName, NewValue.counter(delta));
            }
        });
    }

    /**
     * Stores a number as an Automerge float: exact for every integer up to 2^53, JavaScript's own limit. The
     * integer setters of automerge-java 0.0.7 are broken: {@code NewValue.integer} stores a float anyway (l2d) and
     * {@code setUint} keeps only the low 32 bits (a time of 1.7e12 ms reads back as -807049216).
     */
    private static void putNumber(TxOps tx, ObjectId obj, String key, long value) {
        tx.set(obj, key, (double) value);
    }

    /**
     * Runs {@code ops} as one Automerge commit and returns the change it made; inside {@link #commitBatch}, adds them
     * to the batch's open change instead and returns {@link #IN_BATCH}.
     */
    private LocalChange commit(Consumer<TxOps> ops) {
        if (batch != null) {
            return batch.apply(ops);
        }
        ChangeHash[] before = doc.getHeads();
        Transaction tx = doc.startTransaction();
        Optional<ChangeHash> committed;
        try {
            ops.accept(TxOps.on(tx));
            committed = tx.commit();
        } catch (RuntimeException e) {
            tx.rollback();
            // Inputs were checked above, so this is a bug in this class or in the library, not bad input.
            throw new IllegalStateException("Automerge refused a local write: " + e.getMessage(), e);
        }
        if (committed.isEmpty()) {
            throw new IllegalStateException("a write produced no Automerge change");
        }
        return committed(before);
    }

    /** The change the commit just made after {@code before}: read back, numbered, and known to the gate. */
    private LocalChange committed(ChangeHash[] before) {
        byte[] bytes = doc.encodeChangesSince(before);
        // Header fields only: the library's own output (peers run the full checks; tests pin that ours pass).
        List<ChangeHeader.Summary> made = ChangeHeader.summaries(bytes);
        if (made.size() != 1 || !Arrays.equals(made.get(0).actor(), actor.bytes())) {
            throw new IllegalStateException("a write produced " + made.size() + " changes, expected one by " + actor);
        }
        long seq = made.get(0).seq();
        if (lastSeq > 0 && seq != lastSeq + 1) {
            throw new IllegalStateException("Automerge numbered a change " + seq + " after " + lastSeq);
        }
        lastSeq = seq;
        gate.recordLocal(made.get(0));
        return new LocalChange(seq, bytes);
    }

    /**
     * Applies {@code mutations} in order, each as if alone (its checks see the writes before it), and commits what
     * they wrote as few changes as {@code limits} allow: usually one. A mutation that throws changes nothing and its
     * error is its outcome; the others are unaffected. The writes of one mutation always share a change. Inside a
     * mutation, each write returns {@link #IN_BATCH} instead of its own change; the changes come back in the result.
     *
     * <p>How: the writes go into one open Automerge transaction (reads through the document see it). A write that
     * would take the open change past {@code limits} (measured before it is applied) first closes it. Automerge can
     * only roll back a whole transaction, so removing a failed mutation's writes rolls back and applies the earlier
     * writes of the open change again: they are functions of the same state, so they make the same ops.
     */
    public LocalBatch commitBatch(List<? extends Function<? super AgentState, ?>> mutations,
                                  LocalBatch.ChangeLimits limits) {
        // No ensureOpen() here: on a closed state each write fails on its own and the batch changes nothing.
        if (batch != null) {
            throw new IllegalStateException("a batch is already open; batches do not nest");
        }
        int n = mutations.size();
        int[] changeOf = new int[n];
        RuntimeException[] errors = new RuntimeException[n];
        BatchTransaction b = new BatchTransaction(doc, this::committed, this::forgetLocalWrites, limits);
        batch = b;
        List<LocalChange> changes;
        try {
            for (int i = 0; i < n; i++) {
                b.nextWrite();
                try {
                    mutations.get(i).apply(this);
                } catch (RuntimeException e) {
                    errors[i] = e;
                    b.undoWrite();
                }
                if (b.lost() != null) {
                    // The open change could not be rebuilt: every write in it, this one included, changed nothing.
                    errors[i] = errors[i] != null ? errors[i] : b.lost();
                    failLostChange(changeOf, errors, i, b.lostChange(), b.lost());
                    b.clearLost();
                } else if (errors[i] == null) {
                    changeOf[i] = b.openChange();
                }
            }
            b.finish();
            if (b.lost() != null) {
                failLostChange(changeOf, errors, n, b.lostChange(), b.lost());
            }
            changes = b.changes();
        } finally {
            batch = null;
            b.abandon();
        }
        List<LocalBatch.Write> writes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (errors[i] != null) {
                writes.add(LocalBatch.Write.failed(errors[i]));
            } else if (changeOf[i] >= changes.size()) {
                writes.add(LocalBatch.Write.failed(new IllegalStateException("a write produced no Automerge change")));
            } else {
                writes.add(LocalBatch.Write.in(changeOf[i]));
            }
        }
        return new LocalBatch(changes, writes);
    }

    /** The writes before {@code upTo} that were in the change the batch lost fail with {@code why}. */
    private static void failLostChange(int[] changeOf, RuntimeException[] errors, int upTo, int lost,
                                       RuntimeException why) {
        for (int j = 0; j < upTo; j++) {
            if (errors[j] == null && changeOf[j] == lost) {
                errors[j] = why;
            }
        }
    }

    /**
     * Writes were taken out of the document again (a batch removed a failed mutation's writes): what was derived
     * from them goes too, and is rebuilt from the document when next needed.
     */
    private void forgetLocalWrites() {
        textCache.clear();
        cachedChars = 0;
        gate.forgetWorkspaceTexts();
        if (memoryIndex != null) {
            // A taken-out append may already be in the published view; reading the log again is rare and right.
            memoryIndex.resync();
        }
    }

    // ------------------------------------------------------------------ reads

    /**
     * From now on keeps a {@link MemoryView} of the memory log up to date with every local write and every applied
     * change, so other threads read the log without this one ({@link #memoryViews()}). The first call reads the
     * whole log once (about 25 us per entry); later calls do nothing.
     */
    public void enableMemoryView() {
        enableMemoryView(MemoryIndex.CHUNK);
    }

    /** {@link #enableMemoryView()} with {@code chunkSlots} entries per chunk of the view's layout. */
    void enableMemoryView(int chunkSlots) {
        ensureOpen();
        if (memoryIndex != null) {
            return;
        }
        memoryIndex = new MemoryIndex(doc, ids.memory(), memoryRoots(), gate::typeOf, reader::memorySlot,
                reader::memorySlots, chunkSlots);
        gate.onApplied(memoryIndex::afterRemote);
    }

    /**
     * Turns the memory view on from {@code saved}, a {@link MemoryViewFile} taken when the document had exactly its
     * current heads (the caller checks them: the snapshot this document was loaded from), without reading the log;
     * when its slot count is not the log's length the log is read instead. Later calls do nothing.
     */
    public void enableMemoryView(MemoryViewFile.Saved saved) {
        ensureOpen();
        if (memoryIndex != null) {
            return;
        }
        if (saved.slots().size() != reader.memoryCount() || !saved.heads().equals(heads())) {
            enableMemoryView();
            return;
        }
        memoryIndex = new MemoryIndex(doc, ids.memory(), memoryRoots(), gate::typeOf, reader::memorySlot,
                reader::memorySlots, MemoryIndex.CHUNK, saved.slots());
        gate.onApplied(memoryIndex::afterRemote);
    }

    private java.util.Set<String> memoryRoots() {
        java.util.Set<String> roots = new java.util.HashSet<>(genesis.objectIds().values());
        roots.addAll(genesis.workspaceObjectIds().values());
        roots.remove(ids.memory().toString());
        return roots;
    }

    /**
     * The published memory view, for any thread: each call returns the newest one (immutable). Requires
     * {@link #enableMemoryView}.
     */
    public java.util.function.Supplier<MemoryView> memoryViews() {
        if (memoryIndex == null) {
            throw new IllegalStateException("the memory view is off; call enableMemoryView first");
        }
        MemoryIndex index = memoryIndex;
        return index::current;
    }

    /** How many times the memory view read the whole log again (a change it could not follow piece by piece). */
    long memoryViewResyncs() {
        return memoryIndex == null ? 0 : memoryIndex.resyncs();
    }

    public List<MemoryEntry> memory() {
        ensureOpen();
        return List.copyOf(reader.memory(new ArrayList<>()));
    }

    public long memoryCount() {
        ensureOpen();
        return reader.memoryCount();
    }

    /** Up to {@code count} entries from list position {@code from} (for paging without reading everything). */
    public List<MemoryEntry> memory(long from, int count) {
        ensureOpen();
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0");
        }
        return List.copyOf(reader.memory(from, count, new ArrayList<>()));
    }

    /** Entries with {@code timeMillis >= sinceMillis}, in list order. */
    public List<MemoryEntry> memorySince(long sinceMillis) {
        return memory().stream().filter(e -> e.timeMillis() >= sinceMillis).toList();
    }

    public String notes() {
        ensureOpen();
        return reader.notes();
    }

    public List<Task> tasks() {
        ensureOpen();
        return List.copyOf(reader.tasks(new ArrayList<>()));
    }

    public Optional<Task> task(String id) {
        ensureOpen();
        return reader.task(id, new ArrayList<>());
    }

    public List<Schedule> schedules() {
        ensureOpen();
        return List.copyOf(reader.schedules(new ArrayList<>()));
    }

    public List<Intent> intents() {
        ensureOpen();
        return List.copyOf(reader.intents(new ArrayList<>()));
    }

    public Optional<Intent> intent(String id) {
        ensureOpen();
        return reader.intent(id, new ArrayList<>());
    }

    /**
     * Intents without an outcome, oldest request first (ties by id). From an index kept up to date as changes are
     * applied ({@link IntentIndex}): the cost is the pending intents, not every intent ever requested.
     */
    public List<Intent> pendingIntents() {
        ensureOpen();
        return intentIndex.pending();
    }

    /** How many intents have no outcome ({@link #pendingIntents}{@code .size()} without the copy). */
    public int pendingIntentCount() {
        ensureOpen();
        return intentIndex.pendingCount();
    }

    /** Whether the document holds an outcome for {@code intentId} (any value, readable or not). */
    public boolean hasOutcome(String intentId) {
        ensureOpen();
        return reader.hasKey(ids.outcomes(), intentId);
    }

    /** Full scans the pending-intent index made (the first read, and after it overflowed); for tests and figures. */
    long intentIndexBuilds() {
        return intentIndex.builds();
    }

    public List<Outcome> outcomes() {
        ensureOpen();
        return List.copyOf(reader.outcomes(new ArrayList<>()));
    }

    public Optional<Outcome> outcome(String intentId) {
        ensureOpen();
        return reader.outcome(intentId, new ArrayList<>());
    }

    /** Counter name to its total over all nodes, sorted by name. */
    public Map<String, Long> costs() {
        ensureOpen();
        return java.util.Collections.unmodifiableMap(reader.costs(new ArrayList<>()));
    }

    /** Everything, as one immutable snapshot, with the values the reads had to skip. */
    public StateView view() {
        ensureOpen();
        List<Malformed> problems = new ArrayList<>();
        return new StateView(agentIdHex(), reader.memory(problems), reader.notes(), reader.tasks(problems),
                reader.schedules(problems), reader.intents(problems), reader.outcomes(problems),
                reader.costs(problems), problems);
    }

    // ------------------------------------------------------------------ workspace

    /**
     * The content of workspace file {@code path}, or empty when there is no such file (never created, or deleted).
     * A file is present while it is not marked deleted, or while its text is not empty: a deletion empties the text
     * and marks it, so lines another node added concurrently with the deletion keep the file alive.
     */
    public Optional<String> workspaceFile(String path) {
        ensureOpen();
        WorkspacePath.check(path);
        Optional<ObjectId> text = workspaceText(path);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String content = textOf(path, text.get());
        if (content.isEmpty() && workspaceGone(path)) {
            return Optional.empty();
        }
        return Optional.of(content);
    }

    /** Every present workspace file and its size in UTF-8 bytes, sorted by path. Reads every file's text. */
    public List<WorkspaceFile> workspaceFiles() {
        ensureOpen();
        List<WorkspaceFile> out = new ArrayList<>();
        for (String path : doc.keys(workspace).orElse(new String[0])) {
            if (WorkspacePath.problem(path).isPresent()) {
                continue;
            }
            Optional<ObjectId> text = workspaceText(path);
            if (text.isEmpty()) {
                continue;
            }
            String content = textOf(path, text.get());
            if (content.isEmpty() && workspaceGone(path)) {
                continue;
            }
            out.add(new WorkspaceFile(path, Check.utf8Length(content)));
        }
        out.sort(java.util.Comparator.comparing(WorkspaceFile::path));
        return List.copyOf(out);
    }

    /** Paths with an entry in the workspace, deleted ones included (what {@link Limits#MAX_WORKSPACE_FILES} counts). */
    public long workspaceEntries() {
        ensureOpen();
        return doc.length(workspace);
    }

    /**
     * Makes workspace file {@code path} hold {@code content}: splices against the document's current text
     * ({@link TextDiff}), so another node's concurrent edit of other lines survives the merge. Creates the file when
     * absent, un-deletes it when deleted. Empty when the file already holds exactly this.
     *
     * @throws IllegalArgumentException for a bad path, content over {@link Limits#MAX_WORKSPACE_FILE_BYTES}, or a new
     *                                  path past {@link Limits#MAX_WORKSPACE_FILES}; nothing changes
     */
    public Optional<LocalChange> writeWorkspaceFile(String path, String content) {
        ensureOpen();
        WorkspacePath.check(path);
        Check.text("workspace file " + path, content, Limits.MAX_WORKSPACE_FILE_BYTES);
        Optional<ObjectId> existing = workspaceText(path);
        boolean gone = workspaceGone(path);
        if (existing.isEmpty()) {
            if (doc.get(workspace, path).isPresent()) {
                throw new IllegalArgumentException("workspace entry '" + path + "' holds something other than text;"
                        + " it cannot be written");
            }
            checkWriteSize(path, content.codePointCount(0, content.length()));
            long entries = workspaceEntries();
            if (entries >= Limits.MAX_WORKSPACE_FILES) {
                throw new IllegalArgumentException("the workspace already has " + entries + " paths (deleted ones"
                        + " included); at most " + Limits.MAX_WORKSPACE_FILES + " are allowed");
            }
            ObjectId[] made = new ObjectId[1];
            LocalChange change = commit(tx -> {
                made[0] = tx.set(workspace, path, ObjectType.TEXT);
                if (!content.isEmpty()) {
                    tx.spliceText(made[0], 0, 0, content);
                }
                if (gone) {
                    tx.set(workspaceGone, path, false);
                }
            });
            gate.workspaceTextMade(made[0].toString(), path);
            gate.workspaceTouched(path);
            cacheText(path, made[0], content);
            return Optional.of(change);
        }
        ObjectId text = existing.get();
        String current = textOf(path, text);
        Splices splices = Splices.of(current, content);
        if (splices.isEmpty() && !gone) {
            return Optional.empty();
        }
        checkWriteSize(path, splices.chars());
        LocalChange change = commit(tx -> {
            splices.apply(tx, text);
            if (gone) {
                tx.set(workspaceGone, path, false);
            }
        });
        gate.workspaceTouched(path);
        cacheText(path, text, content);
        return Optional.of(change);
    }

    /**
     * {@link TextDiff}'s splices in Automerge's positions (code points, where the diff counts UTF-16 chars), applied
     * from the end so that earlier positions stay valid.
     */
    private record Splices(List<TextDiff.Splice> splices, long[] at, long[] delete) {
        static Splices of(String current, String target) {
            List<TextDiff.Splice> splices = TextDiff.splices(current, target);
            long[] at = new long[splices.size()];
            long[] delete = new long[splices.size()];
            int charPos = 0;
            long cpPos = 0;
            for (int i = 0; i < splices.size(); i++) {
                TextDiff.Splice sp = splices.get(i);
                cpPos += current.codePointCount(charPos, sp.fromChar());
                charPos = sp.fromChar();
                at[i] = cpPos;
                delete[i] = current.codePointCount(sp.fromChar(), sp.fromChar() + sp.deleteChars());
            }
            return new Splices(splices, at, delete);
        }

        boolean isEmpty() {
            return splices.isEmpty();
        }

        /** Characters deleted plus inserted: one op each. */
        long chars() {
            long n = 0;
            for (int i = 0; i < splices.size(); i++) {
                String insert = splices.get(i).insert();
                n += delete[i] + insert.codePointCount(0, insert.length());
            }
            return n;
        }

        void apply(TxOps tx, ObjectId text) {
            for (int i = splices.size() - 1; i >= 0; i--) {
                tx.spliceText(text, at[i], delete[i], splices.get(i).insert());
            }
        }
    }

    private static void checkWriteSize(String path, long chars) {
        if (chars > Limits.MAX_WORKSPACE_WRITE_CHARS) {
            throw new IllegalArgumentException("this write of workspace file '" + path + "' deletes and inserts "
                    + chars + " characters at once; one change may carry at most " + Limits.MAX_WORKSPACE_WRITE_CHARS
                    + " (make the edit in smaller steps)");
        }
    }

    /**
     * Paths where a peer's change created a second text beside an existing one (two nodes created the path at
     * once), since the last call. Automerge shows one of the texts, the same on every node; see
     * {@link #resolveWorkspaceConflict}.
     */
    public java.util.Set<String> takeWorkspaceConflicts() {
        ensureOpen();
        return gate.takeWorkspaceConflicts();
    }

    /**
     * When two nodes created {@code path} at once, Automerge shows one text and hides the other. The author of a
     * hidden text (and only it, so the lines are not brought back twice) merges its lines into the shown text
     * ({@link TextMerge#union}) and empties the hidden one, in one change. Empty when this node has nothing hidden
     * there.
     */
    public Optional<LocalChange> resolveWorkspaceConflict(String path) {
        ensureOpen();
        WorkspacePath.check(path);
        Optional<ObjectId> shown = workspaceText(path);
        if (shown.isEmpty()) {
            return Optional.empty();
        }
        String suffix = "@" + actor.hex();
        List<ObjectId> hidden = new ArrayList<>();
        for (AmValue v : io.agentmesh.state.automerge.ObjectTypes.allValues(doc, workspace, path)) {
            if (v instanceof AmValue.Text t && !t.getId().equals(shown.get()) && t.getId().toString().endsWith(suffix)
                    && doc.length(t.getId()) > 0) {
                hidden.add(t.getId());
            }
        }
        if (hidden.isEmpty()) {
            return Optional.empty();
        }
        dropCachedText(path);
        String current = buildText(shown.get());
        String merged = current;
        for (ObjectId h : hidden) {
            merged = TextMerge.union(doc.text(h).orElse(""), merged);
        }
        Splices splices = Splices.of(current, merged);
        long[] lengths = hidden.stream().mapToLong(doc::length).toArray();
        LocalChange change = commit(tx -> {
            splices.apply(tx, shown.get());
            for (int i = 0; i < hidden.size(); i++) {
                tx.spliceText(hidden.get(i), 0, lengths[i], "");
            }
        });
        gate.workspaceTouched(path);
        cacheText(path, shown.get(), merged);
        return Optional.of(change);
    }

    /**
     * Deletes workspace file {@code path}: empties its text and marks it deleted (the entry stays, and writing the
     * path again reuses it). Empty when there is no such file.
     */
    public Optional<LocalChange> deleteWorkspaceFile(String path) {
        ensureOpen();
        WorkspacePath.check(path);
        Optional<ObjectId> text = workspaceText(path);
        if (text.isEmpty() || workspaceFile(path).isEmpty()) {
            return Optional.empty();
        }
        long length = doc.length(text.get());
        LocalChange change = commit(tx -> {
            if (length > 0) {
                tx.spliceText(text.get(), 0, length, "");
            }
            tx.set(workspaceGone, path, true);
        });
        gate.workspaceTouched(path);
        cacheText(path, text.get(), "");
        return Optional.of(change);
    }

    /**
     * The workspace paths any change touched (this node's writes and peers' changes) since the last call, so the
     * mirror re-reads only those. Bounded by the number of paths.
     */
    public java.util.Set<String> takeTouchedWorkspacePaths() {
        ensureOpen();
        return gate.takeWorkspaceTouched();
    }

    /**
     * The shown text of a workspace path, from the cache when it holds it: Automerge builds a text's string anew on
     * each read (about 50 ms for 1 Mi characters here), and the mirror reads a file at least twice per edit. Each
     * local write replaces its path's entry, each peer's change patches it ({@link #updateCachedTexts}); at most
     * {@link #MAX_CACHED_WORKSPACE_CHARS} characters are kept. An entry is used only while its text is still the
     * one the path shows.
     */
    private String textOf(String path, ObjectId text) {
        CachedText cached = textCache.get(path);
        if (cached != null && cached.id().equals(text)) {
            if (verifyTextCache) {
                verifyCached(path, cached);
            }
            return cached.content();
        }
        String content = buildText(text);
        cacheText(path, text, content);
        return content;
    }

    private String buildText(ObjectId text) {
        workspaceTextBuilds++;
        return doc.text(text).orElse("");
    }

    private void cacheText(String path, ObjectId text, String content) {
        dropCachedText(path);
        if (cachedChars + content.length() <= MAX_CACHED_WORKSPACE_CHARS) {
            textCache.put(path, new CachedText(text, text.toString(), content, hasSurrogates(content)));
            cachedChars += content.length();
        }
    }

    private void dropCachedText(String path) {
        CachedText old = textCache.remove(path);
        if (old != null) {
            cachedChars -= old.content().length();
        }
    }

    /**
     * After peers' changes: brings each cached text they touched up to date from Automerge's patches (the splices
     * each change made, in Automerge's positions), or drops it when the patches cannot be mapped with certainty: a
     * new text put under the path (a new file, or a concurrent creation), a write to another text of the path than
     * the cached one, a change applied without the patch log (the gate logs only changes that do nothing but splice
     * shown texts: a deletion mark, for one, is not logged), a patch other than a splice or a deletion on the cached
     * text, a position outside the text, more than {@link #MAX_PATCHES_PER_CACHED_TEXT} patches, no patch log at all
     * (the apply failed part way). Dropping costs one rebuild at the next read; a wrong entry would write
     * a wrong file, so every doubt drops.
     */
    private void updateCachedTexts(ChangeGate.RemoteWorkspaceChanges changes, PatchLog patchLog) {
        Map<String, TextEdit> edits = new java.util.HashMap<>(); // cached text's id (string) -> its edit
        java.util.Set<String> drop = new java.util.HashSet<>();
        for (String path : changes.paths()) {
            CachedText cached = textCache.get(path);
            if (cached == null) {
                continue;
            }
            if (patchLog == null || changes.remade().contains(path) || changes.unlogged().contains(path)) {
                drop.add(path);
            } else {
                edits.put(cached.key(), new TextEdit(path, cached));
            }
        }
        for (Map.Entry<String, String> t : changes.texts().entrySet()) {
            CachedText cached = textCache.get(t.getValue());
            if (cached != null && !cached.key().equals(t.getKey())) {
                drop.add(t.getValue()); // another text of this path (a hidden one) was written
            }
        }
        if (!edits.isEmpty()) {
            List<Patch> patches;
            try {
                patches = doc.makePatches(patchLog);
            } catch (RuntimeException e) {
                patches = null;
                for (TextEdit e2 : edits.values()) {
                    drop.add(e2.path);
                }
            }
            String workspaceKey = workspace.toString();
            for (Patch p : patches == null ? List.<Patch>of() : patches) {
                String obj = p.getObj().toString();
                TextEdit edit = edits.get(obj);
                Object action = p.getAction(); // see workspaceKey for why not a PatchAction
                if (edit != null) {
                    if (!edit.apply(action)) {
                        drop.add(edit.path);
                    }
                    continue;
                }
                if (obj.equals(workspaceKey)) {
                    String key = workspaceKey(action);
                    if (key == null) {
                        for (TextEdit e : edits.values()) {
                            drop.add(e.path);
                        }
                    } else {
                        drop.add(key); // a text put under the path, or a conflict flagged on it
                    }
                    continue;
                }
                for (PathElement step : p.getPath()) {
                    if (step.getObjectId().equals(workspace) && step.getProp() instanceof Prop.Key k) {
                        drop.add(k.getValue()); // some other object under the path: not the text we cache
                    }
                }
            }
            for (TextEdit edit : edits.values()) {
                if (!drop.contains(edit.path) && edit.changed()) {
                    String content = edit.result();
                    dropCachedText(edit.path);
                    if (cachedChars + content.length() <= MAX_CACHED_WORKSPACE_CHARS) {
                        textCache.put(edit.path, new CachedText(edit.before.id(), edit.before.key(), content,
                                edit.surrogates));
                        cachedChars += content.length();
                    }
                }
            }
        }
        for (String path : drop) {
            dropCachedText(path);
        }
        if (verifyTextCache) {
            for (String path : changes.paths()) {
                CachedText cached = textCache.get(path);
                if (cached != null) {
                    verifyCached(path, cached);
                }
            }
        }
    }

    /**
     * The workspace path a patch on the workspace map names, or null for an action that names none. Takes an
     * Object: automerge-java 0.0.7 declares {@code PatchAction.FlagConflict} outside the {@code PatchAction} type
     * (it extends Object), though a patch may carry one.
     */
    private static String workspaceKey(Object action) {
        return switch (action) {
            case PatchAction.PutMap put -> put.getKey();
            case PatchAction.DeleteMap delete -> delete.getKey();
            case PatchAction.FlagConflict conflict when conflict.getProperty() instanceof Prop.Key k -> k.getValue();
            default -> null;
        };
    }

    private void verifyCached(String path, CachedText cached) {
        String actual = doc.text(cached.id()).orElse("");
        if (!actual.equals(cached.content())) {
            throw new AssertionError("the cached text of workspace file '" + path + "' (" + cached.content().length()
                    + " chars) differs from Automerge's (" + actual.length() + " chars)");
        }
    }

    /**
     * Turns on (or off) checking every cached workspace text against Automerge's own text whenever it is used or
     * patched; a difference throws {@link AssertionError}. Each check builds the whole string, which is what the
     * cache avoids: for property tests, not for a running node.
     */
    void verifyTextCache(boolean on) {
        verifyTextCache = on;
    }

    /** How many times a workspace text's string was built by Automerge rather than taken from the cache. */
    long workspaceTextBuilds() {
        return workspaceTextBuilds;
    }

    /**
     * A cached workspace text: its object ({@code key} is its id as a string, as patches and the gate name it),
     * its content, and whether the content holds surrogate pairs (positions then need converting).
     */
    private record CachedText(ObjectId id, String key, String content, boolean surrogates) {
    }

    /**
     * One cached text's patches from one remote apply, applied in order to a copy of the content. Automerge counts
     * positions in code points, a Java string in UTF-16 chars: without surrogate pairs (the usual case) the two are
     * the same; with them each position is found by walking the string.
     */
    private static final class TextEdit {
        final String path;
        final CachedText before;
        private StringBuilder text;
        boolean surrogates;
        private int patches;

        TextEdit(String path, CachedText before) {
            this.path = path;
            this.before = before;
            this.surrogates = before.surrogates();
        }

        /** Applies one patch; false when it cannot be mapped with certainty (the entry must go). */
        boolean apply(Object action) {
            if (++patches > MAX_PATCHES_PER_CACHED_TEXT) {
                return false;
            }
            if (text == null) {
                text = new StringBuilder(before.content());
            }
            if (action instanceof PatchAction.SpliceText splice) {
                int at = charIndex(0, splice.getIndex());
                if (at < 0) {
                    return false;
                }
                text.insert(at, splice.getText());
                surrogates = surrogates || hasSurrogates(splice.getText());
                return true;
            }
            if (action instanceof PatchAction.DeleteList delete) {
                int from = charIndex(0, delete.getIndex());
                int to = from < 0 ? -1 : charIndex(from, delete.getLength());
                if (to < 0) {
                    return false;
                }
                text.delete(from, to);
                return true;
            }
            return false;
        }

        boolean changed() {
            return text != null;
        }

        String result() {
            return text.toString();
        }

        /** The char index {@code codePoints} code points after char index {@code from}; -1 past the end. */
        private int charIndex(int from, long codePoints) {
            if (codePoints < 0) {
                return -1;
            }
            int length = text.length();
            if (!surrogates) {
                return codePoints <= length - from ? from + (int) codePoints : -1;
            }
            int at = from;
            for (long left = codePoints; left > 0; left--) {
                if (at >= length) {
                    return -1;
                }
                char c = text.charAt(at++);
                if (Character.isHighSurrogate(c) && at < length && Character.isLowSurrogate(text.charAt(at))) {
                    at++;
                }
            }
            return at;
        }
    }

    private static boolean hasSurrogates(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private Optional<ObjectId> workspaceText(String path) {
        Optional<AmValue> v = doc.get(workspace, path);
        return v.isPresent() && v.get() instanceof AmValue.Text t ? Optional.of(t.getId()) : Optional.empty();
    }

    private boolean workspaceGone(String path) {
        Optional<AmValue> v = doc.get(workspaceGone, path);
        return v.isPresent() && v.get() instanceof AmValue.Bool b && b.getValue();
    }

    // ------------------------------------------------------------------ document

    /** The whole document in Automerge's format: a snapshot for the store, or an export. */
    public byte[] save() {
        ensureOpen();
        return doc.save();
    }

    /** The document's heads, hex, sorted. */
    public List<String> heads() {
        ensureOpen();
        HexFormat hex = HexFormat.of();
        return Arrays.stream(doc.getHeads()).map(h -> hex.formatHex(h.getBytes())).sorted().toList();
    }

    public byte[] agentId() {
        return genesis.agentId();
    }

    public String agentIdHex() {
        return HexFormat.of().formatHex(genesis.agentId());
    }

    public ActorId actor() {
        return actor;
    }

    public Genesis genesis() {
        return genesis;
    }

    /** Releases the native document. Further calls fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            doc.free();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this AgentState is closed");
        }
    }
}
