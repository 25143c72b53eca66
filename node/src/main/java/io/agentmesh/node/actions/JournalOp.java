package io.agentmesh.node.actions;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Operations of the action journal, replicated through Raft and applied by {@link ActionJournal}. Each validates its
 * fields on construction, so a decoded operation is always well formed (invariant 8).
 */
public sealed interface JournalOp permits JournalOp.Claim, JournalOp.Prepare, JournalOp.Complete, JournalOp.NewTerm,
        JournalOp.AgentRun {
    int MAX_ID_CHARS = 256;
    /** Longest claim holder name; a NodeId's text is 43 characters, tests use shorter names. */
    int MAX_NODE_ID_CHARS = 128;
    int MAX_KIND_CHARS = 64;
    int MAX_STATUS_CHARS = 64;
    /**
     * Result text in UTF-8 bytes: the CRDT's outcome limit (crdt-state Limits.MAX_RESULT_BYTES), so every completed
     * result can be written as an outcome. Large outputs belong in memory or notes, referenced from here.
     */
    int MAX_RESULT_BYTES = 64 * 1024;
    /** e.g. a signed transaction. */
    int MAX_PREPARED_BYTES = 64 * 1024;

    /**
     * The leader of {@code term} ({@code nodeId}) claims the intent. The term travels in the operation because
     * {@code StateMachine.runOperation} gets only the commit index. Granted when the intent is unclaimed, or claimed
     * in an older term and not completed (a dead leader's leftover, which the new holder reconciles).
     */
    record Claim(String intentId, String kind, String nodeId, long term, FencingToken intentFenceOrNull,
                 long atMillis) implements JournalOp {
        public Claim {
            text(intentId, "intentId", MAX_ID_CHARS);
            text(kind, "kind", MAX_KIND_CHARS);
            text(nodeId, "nodeId", MAX_NODE_ID_CHARS);
            if (term < 0) {
                throw new IllegalArgumentException("term must be >= 0, got " + term);
            }
            if (intentFenceOrNull == null && atMillis != 0) {
                throw new IllegalArgumentException("atMillis belongs to a claim of a fenced intent");
            }
        }

        /** A claim of an intent no agent run requested. */
        public Claim(String intentId, String kind, String nodeId, long term) {
            this(intentId, kind, nodeId, term, null, 0);
        }

        /**
         * A claim of an intent an agent run requested: {@code intentFence} is the fence the intent carries (the run
         * that wrote it), which the journal checks ({@link ActionJournal}, "stale runs"); {@code atMillis} is the
         * claiming leader's clock, the completion time of a refusal.
         */
        public static Claim fenced(String intentId, String kind, String nodeId, long term, FencingToken intentFence,
                                   long atMillis) {
            return new Claim(intentId, kind, nodeId, term, Objects.requireNonNull(intentFence, "intentFence"),
                    atMillis);
        }

        public java.util.Optional<FencingToken> intentFence() {
            return java.util.Optional.ofNullable(intentFenceOrNull);
        }
    }

    /**
     * The holder of claim {@code token} records data that must be durable before the outside world sees the action
     * (a signed transaction). Write-once per intent: a later holder gets it back to reconcile with.
     */
    record Prepare(String intentId, FencingToken token, byte[] data) implements JournalOp {
        public Prepare {
            text(intentId, "intentId", MAX_ID_CHARS);
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(data, "data");
            if (data.length > MAX_PREPARED_BYTES) {
                throw new IllegalArgumentException("prepared data is at most " + MAX_PREPARED_BYTES + " bytes, got "
                        + data.length);
            }
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prepare p && intentId.equals(p.intentId) && token.equals(p.token)
                    && Arrays.equals(data, p.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(intentId, token, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "Prepare[" + intentId + ", " + token + ", " + data.length + " bytes]";
        }
    }

    /** The holder of claim {@code token} records the outcome; once per intent. */
    record Complete(String intentId, FencingToken token, String status, String result, long completedMillis)
            implements JournalOp {
        public Complete {
            text(intentId, "intentId", MAX_ID_CHARS);
            Objects.requireNonNull(token, "token");
            text(status, "status", MAX_STATUS_CHARS);
            Objects.requireNonNull(result, "result");
            int bytes = result.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes > MAX_RESULT_BYTES) {
                throw new IllegalArgumentException("a result is at most " + MAX_RESULT_BYTES + " UTF-8 bytes, got "
                        + bytes);
            }
        }
    }

    /**
     * What every new leader appends first ({@code StateMachine.getNewTermOperation}); MicroRaft needs it for safe
     * membership changes. It changes nothing in the journal.
     */
    record NewTerm() implements JournalOp {
        public static final NewTerm INSTANCE = new NewTerm();
    }

    /**
     * The leader of {@code term} ({@code nodeId}) is about to start the agent's process: the committed (term, index)
     * of this entry is that run's fencing token ({@link AgentFence}), which every member learns from its journal.
     * Granted unless the journal already holds an agent run of a newer term, so the newest fence never goes back.
     * {@code stopGraceMs} is how long this node lets the process exit after SIGTERM before SIGKILL: the next leader
     * waits for it (docs/agents.md, "The start bound").
     */
    record AgentRun(String nodeId, long term, long stopGraceMs, Superseding supersedesOrNull, List<String> carried)
            implements JournalOp {
        /** A grace longer than this would hold the agent down that long at every failover. */
        public static final long MAX_STOP_GRACE_MS = 60_000;
        /**
         * Most intents one run carries over from the run it supersedes: the old instance's last requests, not yet
         * claimed when the new leader starts the agent (docs/agents.md, "Intents of a superseded run").
         */
        public static final int MAX_CARRIED = 1024;

        /**
         * The run a new run means to supersede, as the leader's journal showed it when it made the carried list:
         * {@code tokenOrNull} null for "no run yet". The journal grants the run only if that is still its newest
         * run, so the list always belongs to the run it replaces (a new leader may not have applied every committed
         * entry yet when it asks).
         */
        public record Superseding(FencingToken tokenOrNull) {
        }

        /**
         * @param supersedesOrNull the run the carried list was made against, checked by the journal; null only in
         *                         runs written before carried lists existed (no check, nothing carried)
         * @param carried ids of the intents of the run this one supersedes that the leader holds, unclaimed, as it
         *                starts this run: they may still be performed; that run's later requests may not. Sorted,
         *                no duplicates, at most {@link #MAX_CARRIED}.
         */
        public AgentRun {
            text(nodeId, "nodeId", MAX_NODE_ID_CHARS);
            if (term < 0) {
                throw new IllegalArgumentException("term must be >= 0, got " + term);
            }
            if (stopGraceMs < 0 || stopGraceMs > MAX_STOP_GRACE_MS) {
                throw new IllegalArgumentException("stopGraceMs must be 0.." + MAX_STOP_GRACE_MS + ", got "
                        + stopGraceMs);
            }
            Objects.requireNonNull(carried, "carried");
            if (carried.size() > MAX_CARRIED) {
                throw new IllegalArgumentException("an agent run carries at most " + MAX_CARRIED + " intents, got "
                        + carried.size());
            }
            String previous = null;
            for (String id : carried) {
                text(id, "carried intent id", MAX_ID_CHARS);
                if (previous != null && previous.compareTo(id) >= 0) {
                    throw new IllegalArgumentException("carried intent ids must be sorted and distinct: '" + previous
                            + "' then '" + id + "'");
                }
                previous = id;
            }
            carried = List.copyOf(carried);
            if (supersedesOrNull == null && !carried.isEmpty()) {
                throw new IllegalArgumentException("a run that carries intents names the run it supersedes");
            }
        }

        /** A run as written before carried lists existed: no check of the run it supersedes, nothing carried. */
        public AgentRun(String nodeId, long term, long stopGraceMs) {
            this(nodeId, term, stopGraceMs, null, List.of());
        }

        /** A run meant to supersede {@code supersedes} (null: no run yet), carrying {@code carried} over. */
        public static AgentRun superseding(String nodeId, long term, long stopGraceMs, FencingToken supersedes,
                                           List<String> carried) {
            return new AgentRun(nodeId, term, stopGraceMs, new Superseding(supersedes), carried);
        }

        public java.util.Optional<Superseding> supersedes() {
            return java.util.Optional.ofNullable(supersedesOrNull);
        }
    }

    private static void text(String value, String name, int maxChars) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty() || value.length() > maxChars) {
            throw new IllegalArgumentException(name + " has 1 to " + maxChars + " characters, got " + value.length());
        }
    }
}
