package io.agentmesh.state;

import java.util.List;

/**
 * The result of performing an intent, keyed by its intent id (DESIGN.md invariant 10: honest outcomes).
 *
 * <p>{@code status} is one of {@link #STATUSES}:
 * <ul>
 *   <li>{@link #SUCCEEDED}: the action happened and reported success;</li>
 *   <li>{@link #FAILED}: it was attempted and the outside world refused or broke it, or it never started;</li>
 *   <li>{@link #UNCERTAIN}: the world may or may not have seen it, e.g. the leader that started a job died before it
 *       could report, and running it again could do it twice.</li>
 * </ul>
 * Writes accept only these ({@code AgentState.recordOutcome}). Reads keep any other word a newer node may write, and
 * show an outcome written before {@code uncertain} existed ({@code failed} with a result starting
 * {@value #LEGACY_UNCERTAIN_PREFIX}) as {@code uncertain}.
 *
 * @param status      see above
 * @param result      result text (JSON or prose)
 * @param performedBy node id of the claim holder whose result this is
 * @param term        Raft term of the claim (fencing token, with index)
 * @param index       Raft log index of the claim
 */
public record Outcome(String intentId, String status, String result, String performedBy, long term, long index,
                      long completedMillis) {
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String UNCERTAIN = "uncertain";
    /** Every status a node writes. */
    public static final List<String> STATUSES = List.of(SUCCEEDED, FAILED, UNCERTAIN);
    /** How versions before the {@code uncertain} status marked one inside a {@code failed} outcome. */
    public static final String LEGACY_UNCERTAIN_PREFIX = "uncertain:";

    public static boolean isKnownStatus(String status) {
        return STATUSES.contains(status);
    }

    /**
     * The status to show for a stored (status, result) pair: the stored status, except that an older version's
     * {@code failed} with an "uncertain:" result reads as {@link #UNCERTAIN}.
     */
    public static String statusAsRead(String status, String result) {
        return FAILED.equals(status) && result != null && result.startsWith(LEGACY_UNCERTAIN_PREFIX) ? UNCERTAIN
                : status;
    }

    public boolean isUncertain() {
        return UNCERTAIN.equals(status);
    }

    /** Whether this outcome was recorded under a later claim than {@code (otherTerm, otherIndex)}. */
    public boolean isNewerThan(long otherTerm, long otherIndex) {
        return term != otherTerm ? term > otherTerm : index > otherIndex;
    }
}
