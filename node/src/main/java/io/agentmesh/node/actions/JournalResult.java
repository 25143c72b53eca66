package io.agentmesh.node.actions;

import java.util.Optional;

/** What applying a {@link JournalOp} returned; the leader gets it through its replicate future. */
public sealed interface JournalResult {

    String intentId();

    /**
     * The claim was granted. {@code previous} is the uncompleted claim of an older term it replaced, if any: then the
     * new holder must reconcile (the old holder may have acted) instead of performing afresh.
     */
    record Claimed(JournalEntry entry, JournalEntry previousOrNull) implements JournalResult {
        @Override
        public String intentId() {
            return entry.intentId();
        }

        public Optional<JournalEntry> previous() {
            return Optional.ofNullable(previousOrNull);
        }
    }

    record Prepared(JournalEntry entry) implements JournalResult {
        @Override
        public String intentId() {
            return entry.intentId();
        }
    }

    record Completed(JournalEntry entry) implements JournalResult {
        @Override
        public String intentId() {
            return entry.intentId();
        }
    }

    /** Nothing changed. {@code currentOrNull} is the entry as it stands, if the journal still holds it. */
    record Rejected(String intentId, Reason reason, JournalEntry currentOrNull) implements JournalResult {
        public Optional<JournalEntry> current() {
            return Optional.ofNullable(currentOrNull);
        }
    }

    enum Reason {
        /** Completed already; {@code current} carries the outcome. */
        ALREADY_COMPLETED,
        /** Completed so long ago that only its id is kept: it must never run again, but its outcome is gone here. */
        COMPACTED,
        /** Claimed in the same or a newer term (by the leader of that term). */
        CLAIM_HELD,
        /** No claim exists. */
        NOT_CLAIMED,
        /** The token is not the current claim's: the sender's claim was taken over. */
        NOT_HOLDER,
        /** Different data was prepared already; prepared data is write-once. */
        ALREADY_PREPARED
    }
}
