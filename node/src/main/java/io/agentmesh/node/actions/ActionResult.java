package io.agentmesh.node.actions;

import io.agentmesh.state.Outcome;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What performing (or reconciling) an intent produced; becomes the journal's completion and the CRDT's Outcome.
 *
 * @param status one of {@link Outcome#STATUSES}: "succeeded", "failed", or "uncertain" when the outside world may
 *               or may not have seen the action (a reconcile that cannot tell and will not risk a second run)
 * @param result result text (JSON or prose; cut to {@link JournalOp#MAX_RESULT_BYTES} UTF-8 bytes); a reconciled
 *               action should say so here
 */
public record ActionResult(String status, String result) {
    public static final String SUCCEEDED = Outcome.SUCCEEDED;
    public static final String FAILED = Outcome.FAILED;
    public static final String UNCERTAIN = Outcome.UNCERTAIN;

    public ActionResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(result, "result");
        // The CRDT refuses any other status, and an outcome it refuses would leave the intent pending for ever.
        if (!Outcome.isKnownStatus(status)) {
            throw new IllegalArgumentException("an action's status is one of " + String.join(", ", Outcome.STATUSES)
                    + ", got '" + status + "'");
        }
        result = fit(result);
    }

    private static final String CUT = "...[result truncated]";

    /** Cut rather than refuse: the action already happened and its outcome must be recorded. */
    private static String fit(String result) {
        if (result.length() <= JournalOp.MAX_RESULT_BYTES / 4
                || result.getBytes(StandardCharsets.UTF_8).length <= JournalOp.MAX_RESULT_BYTES) {
            return result;
        }
        int budget = JournalOp.MAX_RESULT_BYTES - CUT.length();
        int end = 0;
        int used = 0;
        while (end < result.length()) {
            int cp = result.codePointAt(end);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (used + size > budget) {
                break;
            }
            used += size;
            end += Character.charCount(cp);
        }
        return result.substring(0, end) + CUT;
    }

    public static ActionResult succeeded(String result) {
        return new ActionResult(SUCCEEDED, result);
    }

    public static ActionResult failed(String result) {
        return new ActionResult(FAILED, result);
    }

    /** The outside world may or may not have seen the action; {@code result} says why it cannot be told. */
    public static ActionResult uncertain(String result) {
        return new ActionResult(UNCERTAIN, result);
    }
}
