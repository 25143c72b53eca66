package io.agentmesh.sim.check;

import java.util.List;
import java.util.Optional;

/**
 * The LLM side of a run, kept in {@link History#record} under these types (the LLM checkers read them). {@code order}
 * is the run-wide sequence shared with {@link ConsensusRecords}, so two things in the same millisecond are ordered.
 * Money is in nano-USD; days are UTC days since 1970-01-01.
 */
public final class LlmRecords {
    private LlmRecords() {
    }

    /** The gateway's routing limit and the hard budgets of the run's llm.json. */
    public record Policy(int maxAttempts, List<HardBudget> hardBudgets) {
        public Policy {
            hardBudgets = List.copyOf(hardBudgets);
        }
    }

    /**
     * One hard budget.
     *
     * @param provider empty: every provider
     * @param model    empty: every model
     * @param monthly  the UTC calendar month, else the UTC day
     */
    public record HardBudget(Optional<String> provider, Optional<String> model, boolean monthly, long limitNanoUsd) {
        public boolean covers(String providerId, String modelName) {
            return provider.map(providerId::equals).orElse(true) && model.map(modelName::equals).orElse(true);
        }

        public String describe() {
            return provider.orElse("every provider") + "/" + model.orElse("every model") + " per "
                    + (monthly ? "month" : "day") + ": " + limitNanoUsd + " nano-USD";
        }
    }

    /**
     * A request the provider (the outside world) received.
     *
     * @param answer   what it did: COMPLETE, RATE_LIMITED, SERVER_ERROR, HANG, CUT or NO_USAGE
     * @param text     the whole answer it sent, or the part before a cut
     * @param complete whether it sent a whole answer
     * @param epochDay the UTC day of the sending node's clock when it sent the request: the day its ledger charges
     *                 the attempt to (the leader's clock decides a budget's period, skewed or not)
     */
    public record ProviderRequest(long order, long atMs, String node, String callId, int attempt, String provider,
                                  String model, String answer, String text, boolean complete, long billedNanoUsd,
                                  long epochDay) {
    }

    /**
     * A call-ledger operation that a leader submitted and saw committed (its future completed with the ledger's
     * result, which may be a refusal).
     *
     * @param op      OPEN, ATTEMPT_START, ATTEMPT_END, CLOSE or SETTLE
     * @param attempt the attempt number (0 for operations of the whole call)
     * @param result  the ledger's result: Opened, Started, Ended, Closed ANSWERED/FAILED, Settled, Rejected REASON
     */
    public record LedgerCommitted(long order, long atMs, String node, String op, String callId, int attempt,
                                  String result) {
        public boolean granted() {
            return !result.startsWith("Rejected");
        }
    }

    /** How the gateway answered one call on one node: an answer (its text) or a failure. */
    public record CallEnded(long order, long atMs, String node, String callId, boolean answered, String text,
                            String failure) {
    }

    /**
     * An {@code llm} intent's result (its calls have ids {@code <intent>@<term>:<index>}, a retry's with
     * {@code /retry} after) as its executor returned it (what goes into the intent's outcome).
     *
     * @param succeeded the outcome's status
     * @param text      an answer's text, else empty
     * @param retried   whether the result says it retried an earlier leader's in-doubt call
     */
    public record IntentResult(long order, long atMs, String node, String intentId, boolean succeeded,
                               String text, boolean retried, String resultJson) {
    }

    /**
     * A node's call ledger at the end of the run.
     *
     * @param chargedNanoUsd charged from usage, in doubt excluded
     * @param inDoubtNanoUsd charged as possibly billed
     * @param spend          per UTC day and target, charged + in doubt
     */
    public record LedgerFinal(String node, boolean up, long chargedNanoUsd, long inDoubtNanoUsd, long reservedNanoUsd,
                              int openCalls, List<DaySpend> spend) {
        public LedgerFinal {
            spend = List.copyOf(spend);
        }

        public long totalNanoUsd() {
            return chargedNanoUsd + inDoubtNanoUsd;
        }
    }

    public record DaySpend(long epochDay, String provider, String model, long nanoUsd) {
    }
}
