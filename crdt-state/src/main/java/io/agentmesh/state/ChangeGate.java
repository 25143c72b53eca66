package io.agentmesh.state;

import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.StateException.Reason;
import io.agentmesh.state.automerge.AutomergeFormatException;
import io.agentmesh.state.automerge.ChangeHeader;
import io.agentmesh.state.automerge.ChangeOps;
import io.agentmesh.state.automerge.ObjectTypes;
import org.automerge.ChangeHash;
import org.automerge.Document;
import org.automerge.ObjectType;
import org.automerge.PatchLog;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Admission of changes made elsewhere into one document: the security-critical half of {@link AgentState}. Every
 * change is checked in Java before Automerge sees it: framing, checksum and canonical encoding
 * ({@link ChangeHeader}), then against this document: the author's next seq, the start op its dependencies imply,
 * and that every op fits the object it writes to. Writes to the document root or to {@code meta} are refused (they
 * belong to the {@link Genesis} change only). A refused change changes nothing. Automerge 0.5.7 aborts the JVM on
 * some bytes these checks stop (see {@code NativeCrashTest}); changes waiting for dependencies are held here, not in
 * Automerge.
 *
 * <p>The gate keeps a causal index of the document: the highest op counter of each change and its ancestors
 * ({@code known}) and the highest seq of each actor ({@code maxSeq}). Not thread-safe: the thread that owns the
 * document owns its gate.
 */
final class ChangeGate {
    /** Ops a change may have and still be applied with a patch log (see {@link WorkspaceEffect#patchable}). */
    static final int MAX_PATCHED_OPS = 65_536;
    private final Document doc;
    private final Genesis genesis;
    private final ObjectTypes types;
    private final Set<String> protectedObjects;
    private final int maxPendingChanges;
    private final long maxPendingBytes;
    /**
     * Hash of each change in the document to the highest op counter in it and its ancestors (complete once
     * {@link #indexComplete}).
     */
    private final Map<HashKey, Long> known = new HashMap<>();
    /** Highest seq of each actor in the document. */
    private final Map<ActorId, Long> maxSeq = new HashMap<>();
    private boolean indexComplete;
    private final Map<HashKey, Pending> pending = new LinkedHashMap<>();
    /** Actors of removed nodes: the highest seq of each that is still admitted (the revocation's cut). */
    private final Map<ActorId, Long> lastValidSeq = new HashMap<>();
    /** Dependency hash to the held changes that wait for it. */
    private final Map<HashKey, List<HashKey>> waiting = new HashMap<>();
    private long pendingBytes;
    private java.util.function.Consumer<ChangeHeader> applied = header -> {
    };
    private final String workspaceMap;
    private final org.automerge.ObjectId workspaceMapId;
    private final String workspaceGoneMap;
    /** Text object id to its workspace path, for every workspace text this node has seen made (built lazily). */
    private Map<String, String> workspaceTexts;
    /** Workspace paths changed since the mirror last asked ({@link #takeWorkspaceTouched}). */
    private Set<String> workspaceTouched = new java.util.LinkedHashSet<>();
    /** What peers' changes did to the workspace since {@link AgentState} last brought its cached texts up to date. */
    private RemoteWorkspaceChanges.Builder workspaceChangedSinceRead = new RemoteWorkspaceChanges.Builder();
    /** Paths where a peer's change made a second text beside an existing one. */
    private Set<String> workspaceConflicts = new java.util.LinkedHashSet<>();
    /** Told about the ops of every change applied here (see {@link IntentIndex#observe}); null for none. */
    private IntentIndex intents;

    /**
     * @param maxPendingChanges changes that may wait for their dependencies
     * @param maxPendingBytes   bytes of changes that may wait for their dependencies
     */
    ChangeGate(Document doc, Genesis genesis, int maxPendingChanges, long maxPendingBytes) {
        if (maxPendingChanges < 1 || maxPendingBytes < 1) {
            throw new IllegalArgumentException("maxPendingChanges and maxPendingBytes must be >= 1");
        }
        this.doc = doc;
        this.genesis = genesis;
        this.maxPendingChanges = maxPendingChanges;
        this.maxPendingBytes = maxPendingBytes;
        this.protectedObjects = Set.of(genesis.objectIds().get("meta"));
        Map<String, ObjectType> genesisTypes = new HashMap<>();
        genesis.objectIds().forEach((key, id) -> genesisTypes.put(id, Genesis.ROOT_OBJECTS.get(key)));
        genesis.workspaceObjectIds().forEach((key, id) -> genesisTypes.put(id, Genesis.WORKSPACE_OBJECTS.get(key)));
        this.types = new ObjectTypes(doc, genesisTypes);
        this.workspaceMap = genesis.workspaceObjectIds().get("workspace");
        this.workspaceGoneMap = genesis.workspaceObjectIds().get("workspaceGone");
        this.workspaceMapId = ObjectTypes.objectId(workspaceMap);
        ChangeHash[] heads = doc.getHeads();
        if (heads.length == 1 && Arrays.equals(heads[0].getBytes(), genesis.workspaceHash())) {
            // only the genesis change and the workspace extension: the index is complete from the start
            known.put(new HashKey(genesis.hash()), ChangeHeader.summaries(genesis.change()).get(0).maxOp());
            known.put(new HashKey(genesis.workspaceHash()),
                    ChangeHeader.summaries(genesis.workspaceChange()).get(0).maxOp());
            maxSeq.put(new ActorId(genesis.actor()), 2L);
            indexComplete = true;
        }
    }

    /** Parses a change's header, refusing bad bytes with a {@link StateException}. */
    static ChangeHeader parse(byte[] changeBytes, Set<String> protectedObjects) {
        try {
            return ChangeHeader.parse(changeBytes, protectedObjects);
        } catch (AutomergeFormatException e) {
            throw StateException.of(e);
        }
    }

    /**
     * See {@link AgentState#applyChange}. {@code patchLog}, when given, records what Automerge changed in the
     * document for each change applied by this call (the change itself and the held ones it released) that touches
     * a workspace path {@code logPatchesOf} accepts and does nothing but splice shown workspace texts; other changes
     * are applied without it (a peer's new 1 MiB file is a million insertions a patch log would record one by one,
     * and see {@link WorkspaceEffect#patchable}), and their paths are reported in
     * {@link RemoteWorkspaceChanges#unlogged}.
     */
    ApplyResult admit(byte[] changeBytes, PatchLog patchLog, Predicate<String> logPatchesOf) {
        ChangeHeader header = parse(changeBytes, protectedObjects);
        if (header.actor().length != ActorId.LENGTH) {
            throw forbidden(header, "its actor is " + header.actor().length + " bytes; agentmesh actors are "
                    + ActorId.LENGTH);
        }
        if (Arrays.equals(header.actor(), genesis.actor())) {
            throw forbidden(header, "it is by the genesis actor, whose only change every node builds itself");
        }
        if (header.writesRoot()) {
            throw forbidden(header, "it writes to the document root, which only the genesis change may do");
        }
        if (!header.protectedWrites().isEmpty()) {
            throw forbidden(header, "it writes to meta, which only the genesis change may do");
        }
        ensureIndex();
        HashKey key = new HashKey(header.hash());
        if (known.containsKey(key)) {
            return new ApplyResult(header, ApplyResult.Status.DUPLICATE, List.of(), List.of());
        }
        if (pending.containsKey(key)) {
            return new ApplyResult(header, ApplyResult.Status.WAITING_FOR_DEPENDENCIES, List.of(), List.of());
        }
        ActorId actor = new ActorId(header.actor());
        checkNotRevoked(header, actor);
        long last = maxSeq.getOrDefault(actor, 0L);
        if (header.seq() <= last) {
            throw forbidden(header, "actor " + header.actorHex() + " already has a different change with seq "
                    + header.seq() + " (equivocation)");
        }
        if (!depsKnown(header)) {
            if (pending.size() >= maxPendingChanges || pendingBytes + changeBytes.length > maxPendingBytes) {
                throw new StateException(Reason.TOO_LARGE, "refused change " + describe(header) + ": "
                        + pending.size() + " changes (" + pendingBytes + " bytes) already wait for their "
                        + "dependencies");
            }
            pending.put(key, new Pending(header, changeBytes.clone()));
            pendingBytes += changeBytes.length;
            for (byte[] dep : header.deps()) {
                HashKey d = new HashKey(dep);
                if (!known.containsKey(d)) {
                    waiting.computeIfAbsent(d, k -> new ArrayList<>()).add(key);
                }
            }
            return new ApplyResult(header, ApplyResult.Status.WAITING_FOR_DEPENDENCIES, List.of(), List.of());
        }
        PatchSink patches = new PatchSink(patchLog, logPatchesOf);
        applyChecked(header, changeBytes, patches);
        List<ChangeHeader> released = new ArrayList<>();
        List<StateException> rejected = new ArrayList<>();
        releasePending(key, released, rejected, patches);
        return new ApplyResult(header, ApplyResult.Status.APPLIED, released, rejected);
    }

    /**
     * From now on refuses every change of {@code actor} with a seq above {@code lastValid}, held ones included: the
     * actor's node was removed and its revocation keeps only the changes up to its cut. The lowest limit given for an
     * actor holds, so the order in which revocations arrive does not matter. Changes already applied stay: Automerge
     * cannot take a change back. Returns how many held changes were dropped.
     */
    int limit(ActorId actor, long lastValid) {
        if (lastValid < 0) {
            throw new IllegalArgumentException("the last valid seq is >= 0, got " + lastValid);
        }
        long limit = lastValidSeq.merge(actor, lastValid, Math::min);
        int dropped = 0;
        for (var it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.header().seq() > limit && Arrays.equals(p.header().actor(), actor.bytes())) {
                // Its entries in the index of missing dependencies are skipped once it is gone from pending.
                it.remove();
                pendingBytes -= p.bytes().length;
                dropped++;
            }
        }
        return dropped;
    }

    private void checkNotRevoked(ChangeHeader header, ActorId actor) {
        Long limit = lastValidSeq.get(actor);
        if (limit != null && header.seq() > limit) {
            throw new StateException(Reason.REVOKED, "refused change " + describe(header) + ": its node was removed"
                    + " from the agent and only changes up to seq " + limit + " of this actor stay valid");
        }
    }

    /** From now on tells {@code index} about the ops of every change applied here. */
    void watchIntents(IntentIndex index) {
        this.intents = index;
    }

    /** Changes held until their dependencies arrive. */
    int pendingChanges() {
        return pending.size();
    }

    /** Adds a change this document's own actor just made, so the index stays complete. */
    void recordLocal(ChangeHeader.Summary made) {
        if (indexComplete) {
            known.put(new HashKey(made.hash()), made.maxOp());
            maxSeq.put(new ActorId(made.actor()), made.seq());
        }
    }

    private void applyChecked(ChangeHeader header, byte[] changeBytes, PatchSink patches) {
        ActorId actor = new ActorId(header.actor());
        // Again here: a change held for its dependencies may have come before its node was removed.
        checkNotRevoked(header, actor);
        long last = maxSeq.getOrDefault(actor, 0L);
        if (header.seq() != last + 1) {
            // All its dependencies are here, so an honest author's previous change is here too.
            throw forbidden(header, "its seq is " + header.seq() + " but actor " + header.actorHex()
                    + (header.seq() <= last ? " already has seq " + header.seq() + " (equivocation)"
                    : "'s last change here is seq " + last));
        }
        long depsMaxOp = 0;
        for (byte[] dep : header.deps()) {
            depsMaxOp = Math.max(depsMaxOp, known.get(new HashKey(dep)));
        }
        if (header.startOp() != depsMaxOp + 1) {
            // Automerge numbers a change's ops from the highest op it has seen + 1; any other start makes op ids
            // that a saved document cannot reproduce.
            throw forbidden(header, "its ops start at " + header.startOp() + " but its dependencies end at op "
                    + depsMaxOp);
        }
        WorkspaceEffect workspace = checkOps(header);
        boolean logged = patches.wants(workspace);
        try {
            if (logged) {
                doc.applyEncodedChanges(changeBytes, patches.log());
            } else {
                doc.applyEncodedChanges(changeBytes);
            }
        } catch (RuntimeException e) {
            throw new StateException(Reason.REJECTED_BY_AUTOMERGE, "Automerge refused change " + describe(header)
                    + ": " + e.getMessage(), e);
        }
        if (intents != null) {
            intents.observe(header.ops());
        }
        if (workspace != null) {
            workspaceTexts().putAll(workspace.made());
            workspaceTouched.addAll(workspace.touched());
            workspaceChangedSinceRead.add(workspace, logged);
            workspaceConflicts.addAll(workspace.conflicts());
        }
        known.put(new HashKey(header.hash()), Math.max(depsMaxOp, header.startOp() + header.opCount() - 1));
        maxSeq.put(actor, header.seq());
        applied.accept(header);
    }

    /** Hears of each change right after Automerge applied it (the memory read view, {@link MemoryIndex}). */
    void onApplied(java.util.function.Consumer<ChangeHeader> listener) {
        this.applied = listener;
    }

    /** The type of object {@code counter@actor} in the document, empty when it holds no such object. */
    java.util.Optional<ObjectType> typeOf(String objectId) {
        return types.typeOf(objectId);
    }

    /**
     * Applies the held changes that waited for {@code applied} and now have all their dependencies, then those
     * that waited for them, and so on. Each held change is indexed under every dependency it lacked, so this costs
     * nothing when no change waits.
     */
    private void releasePending(HashKey applied, List<ChangeHeader> released, List<StateException> rejected,
                                PatchSink patches) {
        ArrayDeque<HashKey> done = new ArrayDeque<>();
        done.add(applied);
        while (!done.isEmpty()) {
            List<HashKey> waiters = waiting.remove(done.poll());
            if (waiters == null) {
                continue;
            }
            for (HashKey w : waiters) {
                Pending p = pending.get(w);
                if (p == null || !depsKnown(p.header())) {
                    continue; // already released, or still lacks another dependency (indexed there too)
                }
                pending.remove(w);
                pendingBytes -= p.bytes().length;
                try {
                    applyChecked(p.header(), p.bytes(), patches);
                    released.add(p.header());
                    done.add(w);
                } catch (StateException e) {
                    rejected.add(e);
                }
            }
        }
    }

    private boolean depsKnown(ChangeHeader header) {
        for (byte[] dep : header.deps()) {
            if (!known.containsKey(new HashKey(dep))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Makes {@link #known} and {@link #maxSeq} cover every change in the document. A created document starts
     * complete (only the genesis change) and every change applied or made here is added; a loaded one is indexed
     * from its changes on the first remote change (0.2 to 0.4 s for 100k changes here, `agentmesh bench state`).
     */
    private void ensureIndex() {
        if (indexComplete) {
            return;
        }
        List<ChangeHeader.Summary> changes;
        try {
            changes = ChangeHeader.summaries(doc.encodeChangesSince(new ChangeHash[0]));
        } catch (AutomergeFormatException e) {
            throw StateException.of(e);
        }
        for (ChangeHeader.Summary c : changes) {
            // Changes come in causal order; honest ones start after all their ancestors' ops.
            known.put(new HashKey(c.hash()), c.maxOp());
            // Only changes of agentmesh-sized actors are ever admitted, so no other actor needs a seq here.
            if (c.actor().length == ActorId.LENGTH) {
                maxSeq.merge(new ActorId(c.actor()), c.seq(), Math::max);
            }
        }
        indexComplete = true;
    }

    /**
     * Checks every op against the object it writes to, as the document is now: the object exists (or this
     * change made it earlier), a map is written by property and never inserted into, a list or text by position,
     * and no object is made inside a text. Tables and marks are refused: agentmesh never writes them.
     */
    private WorkspaceEffect checkOps(ChangeHeader header) {
        ChangeOps ops = header.ops();
        Map<String, ObjectType> made = new HashMap<>();
        String actorHex = header.actorHex();
        WorkspaceCheck workspace = null;
        // Whether every op inserts a string into, or deletes from, a workspace text that existed before the change.
        boolean textSplicesOnly = true;
        for (int i = 0; i < ops.count(); i++) {
            long action = ops.action(i);
            if (action == ChangeOps.MAKE_TABLE || action == ChangeOps.MARK || action > ChangeOps.MARK
                    || action < 0) {
                throw forbidden(header, "op " + i + " has action " + Long.toUnsignedString(action)
                        + ", which agentmesh never writes");
            }
            String target = ops.target(i);
            ObjectType type = made.get(target);
            if (type == null) {
                type = types.typeOf(target).orElseThrow(() -> forbidden(header, "an op writes to object " + target
                        + ", which this document does not hold"));
            }
            ChangeOps.KeyKind key = ops.keyKind(i);
            switch (type) {
                case MAP -> {
                    if (key != ChangeOps.KeyKind.PROPERTY || ops.insert(i)) {
                        throw forbidden(header, "op " + i + " writes to map " + target + " by list position");
                    }
                }
                case LIST, TEXT -> {
                    if (key == ChangeOps.KeyKind.PROPERTY) {
                        throw forbidden(header, "op " + i + " writes to " + type.name().toLowerCase(Locale.ROOT)
                                + " " + target + " by property");
                    }
                    if (key == ChangeOps.KeyKind.HEAD && !ops.insert(i)) {
                        throw forbidden(header, "op " + i + " overwrites the head of " + target);
                    }
                    if (type == ObjectType.TEXT && ops.makesObject(i)) {
                        throw forbidden(header, "op " + i + " makes an object inside text " + target);
                    }
                }
                default -> throw forbidden(header, "op " + i + " writes to " + target + " of unknown type " + type);
            }
            if (ops.makesObject(i)) {
                ObjectType madeType = action == ChangeOps.MAKE_MAP ? ObjectType.MAP
                        : action == ChangeOps.MAKE_LIST ? ObjectType.LIST : ObjectType.TEXT;
                made.put(Long.toUnsignedString(header.startOp() + i) + "@" + actorHex, madeType);
            }
            if (target.equals(workspaceMap) || target.equals(workspaceGoneMap)
                    || (type == ObjectType.TEXT && (workspace != null && workspace.made.containsKey(target)
                    || workspaceTexts().containsKey(target)))) {
                if (workspace == null) {
                    workspace = new WorkspaceCheck();
                }
                workspace.op(header, ops, i, target);
            }
            boolean splice = action == ChangeOps.DELETE && !ops.insert(i)
                    || action == ChangeOps.PUT && ops.insert(i) && ops.valueIsString(i);
            if (!splice || type != ObjectType.TEXT || !workspaceTexts().containsKey(target)) {
                textSplicesOnly = false;
            }
        }
        // A change of many ops (a rewritten file) is cheaper to read back whole than to log op by op.
        return workspace == null ? null
                : workspace.finish(header, textSplicesOnly && ops.count() <= MAX_PATCHED_OPS);
    }

    /**
     * Adds a workspace text this document's own actor just made (local writes do not pass through {@link #admit}).
     */
    void workspaceTextMade(String textId, String path) {
        if (workspaceTexts != null) {
            workspaceTexts.put(textId, path);
        }
    }

    /** Local writes were taken out of the document again: the index of workspace texts is rebuilt when next needed. */
    void forgetWorkspaceTexts() {
        workspaceTexts = null;
    }

    /** Records that workspace file {@code path} changed (a local write). */
    void workspaceTouched(String path) {
        workspaceTouched.add(path);
    }

    /** What peers' changes did to the workspace since the last call (for AgentState's cache of texts). */
    RemoteWorkspaceChanges takeWorkspaceChangedSinceRead() {
        if (workspaceChangedSinceRead.isEmpty()) {
            return RemoteWorkspaceChanges.NONE;
        }
        RemoteWorkspaceChanges out = workspaceChangedSinceRead.build();
        workspaceChangedSinceRead = new RemoteWorkspaceChanges.Builder();
        return out;
    }

    /**
     * What peers' changes did to the workspace, as the gate saw their ops.
     *
     * @param paths  every path they touched (a text written, a new text put under it, its deletion mark)
     * @param texts  id of every workspace text they wrote to, to its path (hidden texts of a path included)
     * @param remade   paths under which they put a new text (a new file, or a second text beside an existing one)
     * @param unlogged paths touched by a change applied without the patch log
     */
    record RemoteWorkspaceChanges(Set<String> paths, Map<String, String> texts, Set<String> remade,
                                  Set<String> unlogged) {
        static final RemoteWorkspaceChanges NONE = new RemoteWorkspaceChanges(Set.of(), Map.of(), Set.of(),
                Set.of());

        private static final class Builder {
            private final Set<String> paths = new java.util.HashSet<>();
            private final Map<String, String> texts = new HashMap<>();
            private final Set<String> remade = new java.util.HashSet<>();
            private final Set<String> unlogged = new java.util.HashSet<>();

            void add(WorkspaceEffect effect, boolean logged) {
                paths.addAll(effect.touched());
                texts.putAll(effect.texts());
                remade.addAll(effect.made().values());
                if (!logged) {
                    unlogged.addAll(effect.touched());
                }
            }

            boolean isEmpty() {
                return paths.isEmpty();
            }

            RemoteWorkspaceChanges build() {
                return new RemoteWorkspaceChanges(paths, texts, remade, unlogged);
            }
        }
    }

    /** The paths with a second text since the last call. */
    Set<String> takeWorkspaceConflicts() {
        Set<String> out = workspaceConflicts;
        workspaceConflicts = new java.util.LinkedHashSet<>();
        return out;
    }

    /** The workspace paths changed since the last call. */
    Set<String> takeWorkspaceTouched() {
        Set<String> out = workspaceTouched;
        workspaceTouched = new java.util.LinkedHashSet<>();
        return out;
    }

    /**
     * Text id to path of every workspace file, built from the document on first use. Concurrent creations of one
     * path leave several texts under it; the document shows one, and only texts made by changes applied here since
     * are known beside it. That is enough for the checks: a hidden text is never shown or written to disk.
     */
    private Map<String, String> workspaceTexts() {
        if (workspaceTexts == null) {
            Map<String, String> built = new HashMap<>();
            org.automerge.ObjectId map = workspaceMapId;
            for (String path : doc.keys(map).orElse(new String[0])) {
                doc.get(map, path).ifPresent(v -> {
                    if (v instanceof org.automerge.AmValue.Text t) {
                        built.put(t.getId().toString(), path);
                    }
                });
            }
            workspaceTexts = built;
        }
        return workspaceTexts;
    }

    /** Where Automerge's patches go: {@code log}, for the changes that touch a path {@code paths} accepts. */
    private record PatchSink(PatchLog log, Predicate<String> paths) {
        boolean wants(WorkspaceEffect workspace) {
            if (log == null || workspace == null || !workspace.patchable()) {
                return false;
            }
            for (String path : workspace.touched()) {
                if (paths.test(path)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** What a change that passed the workspace checks does to the workspace. */
    /**
     * @param patchable the change only splices texts that its paths show (inserts strings, deletes): the only
     *                  changes applied with a patch log, because automerge-java 0.0.7 aborts the JVM when it turns
     *                  some other patches into Java objects (a conflict flag: {@code PatchConflictAbortTest})
     */
    private record WorkspaceEffect(Map<String, String> made, Set<String> touched, Set<String> conflicts,
                                   Map<String, String> texts, boolean patchable) {
    }

    /**
     * The workspace rules for one remote change (see {@link Limits}): paths are valid {@link WorkspacePath}s; the
     * workspace map only ever gets a new text under a path (paths are never removed: a deletion is a mark in
     * workspaceGone, which only takes booleans); and per file, at most {@link Limits#MAX_WORKSPACE_FILE_BYTES}
     * inserted by the change and at most {@link Limits#MAX_REMOTE_WORKSPACE_FILE_CHARS} after it; at most
     * {@link Limits#MAX_REMOTE_WORKSPACE_FILES} paths.
     */
    private final class WorkspaceCheck {
        final Map<String, String> made = new HashMap<>();
        final Set<String> touched = new java.util.LinkedHashSet<>();
        final Set<String> newPaths = new java.util.HashSet<>();
        final Set<String> conflicts = new java.util.LinkedHashSet<>();
        final Map<String, long[]> perText = new HashMap<>(); // text id -> {inserted bytes, char delta}

        void op(ChangeHeader header, ChangeOps ops, int i, String target) {
            long action = ops.action(i);
            if (target.equals(workspaceMap) || target.equals(workspaceGoneMap)) {
                String path = ops.keyProperty(i);
                var problem = WorkspacePath.problem(path);
                if (problem.isPresent()) {
                    throw forbidden(header, "op " + i + " names workspace path '" + path + "': " + problem.get());
                }
                if (target.equals(workspaceMap)) {
                    if (action != ChangeOps.MAKE_TEXT) {
                        throw forbidden(header, "op " + i + " puts something other than a new text under workspace"
                                + " path '" + path + "' (a deletion only marks the path in workspaceGone)");
                    }
                    made.put(Long.toUnsignedString(header.startOp() + i) + "@" + header.actorHex(), path);
                    if (doc.get(workspaceMapId, path).isEmpty()) {
                        newPaths.add(path);
                    } else {
                        conflicts.add(path);
                    }
                } else if (action != ChangeOps.PUT || !ops.valueIsBoolean(i)) {
                    throw forbidden(header, "op " + i + " puts something other than a boolean in workspaceGone");
                }
                touched.add(path);
                return;
            }
            String path = made.containsKey(target) ? made.get(target) : workspaceTexts().get(target);
            touched.add(path);
            long[] t = perText.computeIfAbsent(target, k -> new long[2]);
            if (action == ChangeOps.DELETE) {
                t[1]--;
            } else if (action == ChangeOps.PUT) {
                t[0] += ops.valueBytes(i);
                if (ops.insert(i)) {
                    t[1]++;
                }
            }
        }

        WorkspaceEffect finish(ChangeHeader header, boolean textSplicesOnly) {
            if (!newPaths.isEmpty()) {
                long entries = doc.length(workspaceMapId);
                if (entries + newPaths.size() > Limits.MAX_REMOTE_WORKSPACE_FILES) {
                    throw forbidden(header, "it would bring the workspace to " + (entries + newPaths.size())
                            + " paths; a peer's change may bring it to at most " + Limits.MAX_REMOTE_WORKSPACE_FILES);
                }
            }
            for (Map.Entry<String, long[]> e : perText.entrySet()) {
                String path = made.containsKey(e.getKey()) ? made.get(e.getKey()) : workspaceTexts().get(e.getKey());
                if (e.getValue()[0] > Limits.MAX_WORKSPACE_FILE_BYTES) {
                    throw forbidden(header, "it inserts " + e.getValue()[0] + " bytes into workspace file '" + path
                            + "'; one change may insert at most " + Limits.MAX_WORKSPACE_FILE_BYTES);
                }
                long current = made.containsKey(e.getKey()) ? 0
                        : doc.length(ObjectTypes.objectId(e.getKey()));
                if (current + e.getValue()[1] > Limits.MAX_REMOTE_WORKSPACE_FILE_CHARS) {
                    throw forbidden(header, "it would make workspace file '" + path + "' "
                            + (current + e.getValue()[1]) + " characters; at most "
                            + Limits.MAX_REMOTE_WORKSPACE_FILE_CHARS + " are accepted from a peer");
                }
            }
            Map<String, String> texts = new HashMap<>();
            boolean patchable = textSplicesOnly;
            for (String id : perText.keySet()) {
                String path = made.containsKey(id) ? made.get(id) : workspaceTexts().get(id);
                texts.put(id, path);
                if (patchable && !(doc.get(workspaceMapId, path).orElse(null) instanceof org.automerge.AmValue.Text t
                        && t.getId().toString().equals(id))) {
                    patchable = false; // a hidden text (two nodes created the path at once)
                }
            }
            return new WorkspaceEffect(made, touched, conflicts, texts, patchable);
        }
    }

    private static StateException forbidden(ChangeHeader header, String why) {
        return new StateException(Reason.FORBIDDEN, "refused change " + describe(header) + ": " + why);
    }

    private static String describe(ChangeHeader h) {
        return h.actorHex() + "/" + h.seq();
    }

    /** A change hash as a set member. */
    private record HashKey(Bytes hash) {
        HashKey(byte[] hash) {
            this(Bytes.copyOf(hash));
        }
    }

    private record Pending(ChangeHeader header, byte[] bytes) {
    }
}
