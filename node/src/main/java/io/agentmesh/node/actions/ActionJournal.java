package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalOp.AgentRun;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.agentmesh.node.actions.JournalOp.Prepare;
import io.agentmesh.node.actions.JournalResult.Reason;
import io.agentmesh.state.Outcome;
import io.microraft.statemachine.StateMachine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The Raft state machine: for each intent id, the current claim (holder and fencing token), optional prepared data
 * and the completion (DESIGN.md invariant 6).
 *
 * <p>Rules, applied identically on every member because they depend only on the log:
 * <ul>
 *   <li>{@link Claim} is granted if the intent is unclaimed, or its claim is from an older term and not completed.
 *       The second case is a leader that died holding it; the result names the replaced claim so the new holder
 *       reconciles. A claim of the same or a newer term is refused, so within a term at most one holder exists.</li>
 *   <li>{@link Prepare} and {@link Complete} are accepted only with the current claim's token. A deposed leader's late
 *       request is refused.</li>
 *   <li>Completion is once per intent. Prepared data is write-once per intent and survives a re-claim.</li>
 *   <li>Only the newest {@code retainCompleted} completed entries are kept in full; older ones shrink to their id
 *       (a tombstone), so a claim on them is still refused and nothing is performed twice.</li>
 *   <li>{@link AgentRun} replaces the newest agent fence unless that one is of a newer term, or is not the run it
 *       names as the one it supersedes; its token is (its term, its commit index), so fences only grow along the
 *       log.</li>
 *   <li>Stale runs: the first claim of an intent that carries an agent fence is granted only if that fence is the
 *       newest run's, or the intent was carried over ({@link AgentRun#carried}) by the run that superseded its own.
 *       Otherwise it was written by an instance that had been superseded before the intent reached a leader (a
 *       stale agent on a deposed or cut-off node, whose node did not yet know the newer fence): the claim completes
 *       the intent at once as {@code failed}, "not performed", with the reason, and nothing runs
 *       (docs/agents.md, "Intents of a superseded run").</li>
 * </ul>
 *
 * <p>Deterministic: sorted maps only, no clock, no randomness. Not thread-safe: MicroRaft calls it on the node thread,
 * and so must everyone else. Domain refusals are {@link JournalResult.Rejected} results, never exceptions, so
 * MicroRaft never fails a future for them.
 */
public final class ActionJournal implements StateMachine {
    static final int ENTRIES_PER_CHUNK = 256;
    static final int TOMBSTONES_PER_CHUNK = 4096;

    private final int retainCompleted;
    private final TreeMap<String, JournalEntry> entries = new TreeMap<>();
    private final TreeSet<String> tombstones = new TreeSet<>();
    // Completion index -> intent id, oldest first: the compaction order.
    private final TreeMap<Long, String> completedByIndex = new TreeMap<>();
    // Claimed and not completed: what a new leader checks for reports of deposed holders.
    private final TreeSet<String> open = new TreeSet<>();
    private long lastApplied;
    // The newest agent run: the only one whose fenced calls are accepted. Null until the first run.
    private AgentFence agentFence;
    // Intents of superseded runs that a newer run carried over, not yet claimed, oldest first (log order).
    private final LinkedHashSet<String> admitted = new LinkedHashSet<>();
    private long staleRefusals;

    /** Most carried-over intents remembered while unclaimed; beyond it the oldest are forgotten (then refused). */
    public static final int MAX_ADMITTED = 16 * AgentRun.MAX_CARRIED;

    public ActionJournal(int retainCompleted) {
        if (retainCompleted < 1) {
            throw new IllegalArgumentException("retainCompleted must be positive, got " + retainCompleted);
        }
        this.retainCompleted = retainCompleted;
    }

    @Override
    public Object runOperation(long commitIndex, Object operation) {
        lastApplied = Math.max(lastApplied, commitIndex);
        if (!(operation instanceof JournalOp op)) {
            // Returned, not thrown: fails only the caller's future. Cannot come from the codec, which decodes only
            // journal operations (and membership changes, which MicroRaft keeps to itself).
            return new IllegalArgumentException("not a journal operation: " + operation);
        }
        return switch (op) {
            case Claim c -> claim(commitIndex, c);
            case Prepare p -> prepare(p);
            case Complete c -> complete(commitIndex, c);
            case NewTerm n -> null;
            case AgentRun a -> agentRun(commitIndex, a);
        };
    }

    private AgentRunResult agentRun(long index, AgentRun a) {
        AgentFence previous = agentFence;
        if (previous != null && previous.token().term() > a.term()) {
            return new AgentRunResult.Refused(previous);
        }
        if (a.supersedes().isPresent() && !java.util.Objects.equals(a.supersedes().get().tokenOrNull(),
                previous == null ? null : previous.token())) {
            // Its carried list was made against another run than the newest: the leader asks again once its journal
            // has applied what it committed.
            return new AgentRunResult.Refused(previous);
        }
        agentFence = new AgentFence(a.nodeId(), new FencingToken(a.term(), index), a.stopGraceMs());
        for (String id : a.carried()) {
            if (!entries.containsKey(id) && !tombstones.contains(id)) {
                admitted.remove(id);
                admitted.add(id);
            }
        }
        while (admitted.size() > MAX_ADMITTED) {
            admitted.remove(admitted.iterator().next());
        }
        return new AgentRunResult.Started(agentFence, previous);
    }

    /**
     * Why the first claim of an intent requested under {@code fence} must not be granted, or empty when it may be:
     * the fence is the newest run's, or the intent was carried over from a superseded run.
     */
    private Optional<String> staleReason(String intentId, FencingToken fence) {
        if (agentFence != null && agentFence.token().equals(fence)) {
            return Optional.empty();
        }
        if (admitted.contains(intentId)) {
            return Optional.empty();
        }
        String requested = "not performed: requested by agent run " + AgentFence.text(fence);
        if (agentFence == null || fence.compareTo(agentFence.token()) > 0) {
            return Optional.of(requested + ", which names no agent run this journal started (the newest is "
                    + (agentFence == null ? "none" : agentFence.tokenText()) + ")");
        }
        return Optional.of(requested + ", which agent run " + agentFence.tokenText() + " (node "
                + agentFence.nodeId() + ") or an earlier successor had superseded before the intent reached a"
                + " leader: a stale instance's request (docs/agents.md, \"Intents of a superseded run\")");
    }

    private JournalResult claim(long index, Claim c) {
        if (tombstones.contains(c.intentId())) {
            return new JournalResult.Rejected(c.intentId(), Reason.COMPACTED, null);
        }
        JournalEntry current = entries.get(c.intentId());
        FencingToken token = new FencingToken(c.term(), index);
        if (current == null && c.intentFence().isPresent()) {
            Optional<String> stale = staleReason(c.intentId(), c.intentFence().get());
            admitted.remove(c.intentId());
            if (stale.isPresent()) {
                staleRefusals++;
                JournalEntry e = new JournalEntry(c.intentId(), c.kind(), c.nodeId(), token, null,
                        new JournalEntry.Completion(Outcome.FAILED, stale.get(), c.atMillis(), index), 1);
                entries.put(e.intentId(), e);
                completedByIndex.put(index, e.intentId());
                compact();
                return new JournalResult.Completed(e);
            }
        }
        if (current == null) {
            JournalEntry e = new JournalEntry(c.intentId(), c.kind(), c.nodeId(), token, null, null, 1);
            entries.put(e.intentId(), e);
            open.add(e.intentId());
            return new JournalResult.Claimed(e, null);
        }
        if (current.isCompleted()) {
            return new JournalResult.Rejected(c.intentId(), Reason.ALREADY_COMPLETED, current);
        }
        if (current.claim().term() >= c.term()) {
            return new JournalResult.Rejected(c.intentId(), Reason.CLAIM_HELD, current);
        }
        JournalEntry e = current.reclaimed(c.nodeId(), token);
        entries.put(e.intentId(), e);
        return new JournalResult.Claimed(e, current);
    }

    private JournalResult prepare(Prepare p) {
        JournalEntry current = entries.get(p.intentId());
        Optional<JournalResult> refused = refuse(p.intentId(), p.token(), current);
        if (refused.isPresent()) {
            return refused.get();
        }
        byte[] data = p.data();
        if (current.prepared() != null) {
            return Arrays.equals(current.prepared(), data)
                    ? new JournalResult.Prepared(current)
                    : new JournalResult.Rejected(p.intentId(), Reason.ALREADY_PREPARED, current);
        }
        JournalEntry e = current.withPrepared(data);
        entries.put(e.intentId(), e);
        return new JournalResult.Prepared(e);
    }

    private JournalResult complete(long index, Complete c) {
        JournalEntry current = entries.get(c.intentId());
        Optional<JournalResult> refused = refuse(c.intentId(), c.token(), current);
        if (refused.isPresent()) {
            return refused.get();
        }
        JournalEntry e = current.withCompletion(
                new JournalEntry.Completion(c.status(), c.result(), c.completedMillis(), index));
        entries.put(e.intentId(), e);
        completedByIndex.put(index, e.intentId());
        open.remove(e.intentId());
        compact();
        return new JournalResult.Completed(e);
    }

    private Optional<JournalResult> refuse(String intentId, FencingToken token, JournalEntry current) {
        if (current == null) {
            Reason r = tombstones.contains(intentId) ? Reason.COMPACTED : Reason.NOT_CLAIMED;
            return Optional.of(new JournalResult.Rejected(intentId, r, null));
        }
        if (current.isCompleted()) {
            return Optional.of(new JournalResult.Rejected(intentId, Reason.ALREADY_COMPLETED, current));
        }
        if (!current.claim().equals(token)) {
            return Optional.of(new JournalResult.Rejected(intentId, Reason.NOT_HOLDER, current));
        }
        return Optional.empty();
    }

    private void compact() {
        while (completedByIndex.size() > retainCompleted) {
            Map.Entry<Long, String> oldest = completedByIndex.pollFirstEntry();
            entries.remove(oldest.getValue());
            tombstones.add(oldest.getValue());
        }
    }

    @Override
    public void takeSnapshot(long commitIndex, Consumer<Object> chunks) {
        List<JournalEntry> all = new ArrayList<>(entries.values());
        List<String> ids = new ArrayList<>(tombstones);
        int emitted = 0;
        for (int i = 0; i < all.size(); i += ENTRIES_PER_CHUNK) {
            chunks.accept(new JournalSnapshotChunk(all.subList(i, Math.min(all.size(), i + ENTRIES_PER_CHUNK)),
                    List.of()));
            emitted++;
        }
        for (int i = 0; i < ids.size(); i += TOMBSTONES_PER_CHUNK) {
            chunks.accept(new JournalSnapshotChunk(List.of(),
                    ids.subList(i, Math.min(ids.size(), i + TOMBSTONES_PER_CHUNK))));
            emitted++;
        }
        if (agentFence != null) {
            chunks.accept(new AgentFenceSnapshot(agentFence));
            emitted++;
        }
        if (!admitted.isEmpty()) {
            chunks.accept(new AdmittedIntentsSnapshot(List.copyOf(admitted)));
            emitted++;
        }
        if (emitted == 0) {
            // MicroRaft needs at least one chunk per snapshot.
            chunks.accept(new JournalSnapshotChunk(List.of(), List.of()));
        }
    }

    @Override
    public void installSnapshot(long commitIndex, List<Object> chunks) {
        // Check first, so a bad chunk leaves the journal as it was rather than half replaced.
        AgentFence fence = null;
        List<String> carried = null;
        for (Object o : chunks) {
            if (o instanceof AgentFenceSnapshot f) {
                if (fence != null) {
                    throw new IllegalArgumentException("a journal snapshot holds one agent fence, got a second: " + o);
                }
                fence = f.fence();
            } else if (o instanceof AdmittedIntentsSnapshot a) {
                if (carried != null) {
                    throw new IllegalArgumentException("a journal snapshot holds one list of carried intents, got a"
                            + " second");
                }
                carried = a.intentIds();
            } else if (!(o instanceof JournalSnapshotChunk)) {
                throw new IllegalArgumentException("not a journal snapshot chunk: " + o);
            }
        }
        agentFence = fence;
        admitted.clear();
        if (carried != null) {
            admitted.addAll(carried);
        }
        entries.clear();
        tombstones.clear();
        completedByIndex.clear();
        open.clear();
        for (Object o : chunks) {
            if (!(o instanceof JournalSnapshotChunk chunk)) {
                continue; // the agent fence and the carried intents, taken above
            }
            for (JournalEntry e : chunk.entries()) {
                entries.put(e.intentId(), e);
                if (e.isCompleted()) {
                    completedByIndex.put(e.completion().index(), e.intentId());
                } else {
                    open.add(e.intentId());
                }
            }
            tombstones.addAll(chunk.tombstones());
        }
        lastApplied = commitIndex;
    }

    @Override
    public Object getNewTermOperation() {
        return NewTerm.INSTANCE;
    }

    // ---- reads (node thread) ----

    public Optional<JournalEntry> entry(String intentId) {
        return Optional.ofNullable(entries.get(intentId));
    }

    public boolean isTombstoned(String intentId) {
        return tombstones.contains(intentId);
    }

    /** Entries in id order. */
    public Collection<JournalEntry> entries() {
        return List.copyOf(entries.values());
    }

    /** Claimed and not completed. */
    public int openClaimCount() {
        return open.size();
    }

    /** Entries claimed and not completed, in id order. */
    public List<JournalEntry> openEntries() {
        List<JournalEntry> out = new ArrayList<>(open.size());
        open.forEach(id -> out.add(entries.get(id)));
        return out;
    }

    /**
     * Completed entries still held in full, by outcome status as {@link Outcome#statusAsRead}
     * shows it (an older version's "failed" + "uncertain:" counts as uncertain), sorted by status. Compacted entries
     * keep no status and are not counted.
     */
    public Map<String, Long> completedByStatus() {
        Map<String, Long> out = new TreeMap<>();
        for (String id : completedByIndex.values()) {
            JournalEntry.Completion c = entries.get(id).completion();
            out.merge(Outcome.statusAsRead(c.status(), c.result()), 1L, Long::sum);
        }
        return out;
    }

    /**
     * Completed entries still held in full whose completion index is above {@code afterIndex}, oldest completion
     * first, at most {@code max}: lets a reader count completions as they happen without copying the journal.
     */
    public List<JournalEntry> completedAfter(long afterIndex, int max) {
        if (max < 0) {
            throw new IllegalArgumentException("max must be >= 0, got " + max);
        }
        List<JournalEntry> out = new ArrayList<>(Math.min(max, 64));
        for (String id : completedByIndex.tailMap(afterIndex, false).values()) {
            if (out.size() == max) {
                break;
            }
            out.add(entries.get(id));
        }
        return out;
    }

    /** Completed, including compacted ones. */
    public long completedCount() {
        return (long) completedByIndex.size() + tombstones.size();
    }

    public int tombstoneCount() {
        return tombstones.size();
    }

    /** The newest agent run's fence, if an agent was ever started under this journal. */
    public Optional<AgentFence> agentFence() {
        return Optional.ofNullable(agentFence);
    }

    /** Whether an intent of a superseded run was carried over into a newer run and is not claimed yet. */
    public boolean isCarried(String intentId) {
        return admitted.contains(intentId);
    }

    /** First claims this journal answered by refusing the intent as a superseded run's, since start. */
    public long staleFenceRefusals() {
        return staleRefusals;
    }

    /** Highest log index applied here (operations or snapshot). */
    public long lastApplied() {
        return lastApplied;
    }
}
