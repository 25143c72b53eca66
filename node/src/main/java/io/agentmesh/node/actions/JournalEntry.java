package io.agentmesh.node.actions;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What the journal knows about one intent: who holds the current claim and under which fencing token, the prepared
 * data if any, the completion if any, and how many claims it took (more than one means a leader died holding it).
 * Immutable; the journal replaces entries rather than changing them, so a result handed to a caller never changes.
 *
 * @param prepared   nullable; see {@link #preparedData()}
 * @param completion nullable; see {@link #completed()}
 */
public record JournalEntry(String intentId, String kind, String holder, FencingToken claim, byte[] prepared,
                           Completion completion, int claims) {

    /** The outcome recorded by the holder of {@code claim}; {@code index} is the Complete's log index. */
    public record Completion(String status, String result, long completedMillis, long index) {
        public Completion {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(result, "result");
            if (index < 1) {
                throw new IllegalArgumentException("completion index must be >= 1, got " + index);
            }
        }
    }

    public JournalEntry {
        Objects.requireNonNull(intentId, "intentId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(claim, "claim");
        if (claims < 1) {
            throw new IllegalArgumentException("an entry has at least one claim, got " + claims);
        }
        prepared = prepared == null ? null : prepared.clone();
    }

    public boolean isCompleted() {
        return completion != null;
    }

    public Optional<Completion> completed() {
        return Optional.ofNullable(completion);
    }

    public Optional<byte[]> preparedData() {
        return Optional.ofNullable(prepared).map(byte[]::clone);
    }

    @Override
    public byte[] prepared() {
        return prepared == null ? null : prepared.clone();
    }

    JournalEntry reclaimed(String newHolder, FencingToken token) {
        return new JournalEntry(intentId, kind, newHolder, token, prepared, null, claims + 1);
    }

    JournalEntry withPrepared(byte[] data) {
        return new JournalEntry(intentId, kind, holder, claim, data, completion, claims);
    }

    JournalEntry withCompletion(Completion c) {
        return new JournalEntry(intentId, kind, holder, claim, prepared, c, claims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JournalEntry e && intentId.equals(e.intentId) && kind.equals(e.kind)
                && holder.equals(e.holder) && claim.equals(e.claim) && Arrays.equals(prepared, e.prepared)
                && Objects.equals(completion, e.completion) && claims == e.claims;
    }

    @Override
    public int hashCode() {
        return Objects.hash(intentId, kind, holder, claim, Arrays.hashCode(prepared), completion, claims);
    }

    @Override
    public String toString() {
        return "JournalEntry[" + intentId + ", " + kind + ", holder=" + holder + ", claim=" + claim
                + (prepared == null ? "" : ", prepared=" + prepared.length + " bytes")
                + (completion == null ? "" : ", " + completion.status()) + ", claims=" + claims + "]";
    }
}
