package io.agentmesh.node.llm.route;

import java.time.Instant;
import java.util.Objects;

/** Whether a target may be sent an attempt now, and if not, why and until when. */
public sealed interface Availability {
    /** A deadline that only an operator's action ends (a new key). */
    long UNTIL_CHANGED = Long.MAX_VALUE;

    /** @param probe whether the attempt would be a half-open circuit's probe */
    record Available(boolean probe) implements Availability {
    }

    /**
     * @param reason      the restriction that lasts longest
     * @param untilMillis when the target becomes available again if nothing else happens, or {@link #UNTIL_CHANGED}
     */
    record Unavailable(Reason reason, long untilMillis) implements Availability {
        public Unavailable {
            Objects.requireNonNull(reason, "reason");
        }

        /** For a decision's line: {@code cooling down until 2026-12-03T15:00:05Z}. */
        public String describe() {
            return reason.text + (untilMillis == UNTIL_CHANGED ? "" : " until " + Instant.ofEpochMilli(untilMillis));
        }
    }

    enum Reason {
        NO_KEY("no key on this node"),
        KEY_REJECTED("its key was refused (401/403) and has not changed"),
        SPEND_LIMIT("the account's spend limit was reached"),
        MODEL_NOT_FOUND("the model was not found there"),
        RETRY_AFTER("asked to retry after a deadline"),
        COOLDOWN("cooling down after failures"),
        CIRCUIT_OPEN("circuit open"),
        PROBE_IN_FLIGHT("half-open, its probe in flight"),
        PROBE_BUDGET("half-open, probe budget for the hour spent");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }
}
