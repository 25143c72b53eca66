package io.agentmesh.node.actions;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What performing (or reconciling) an intent produced; becomes the journal's completion and the CRDT's Outcome.
 *
 * @param status "succeeded", "failed", or an executor-specific word (at most 64 characters)
 * @param result result text (JSON or prose; cut to {@link JournalOp#MAX_RESULT_BYTES} UTF-8 bytes); a reconciled action should
 *               say so here
 */
public record ActionResult(String status, String result) {
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";

    public ActionResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(result, "result");
        if (status.isEmpty() || status.length() > JournalOp.MAX_STATUS_CHARS) {
            throw new IllegalArgumentException("status has 1 to " + JournalOp.MAX_STATUS_CHARS + " characters");
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
}
