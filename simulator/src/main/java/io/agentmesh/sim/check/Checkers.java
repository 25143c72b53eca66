package io.agentmesh.sim.check;

import java.util.ArrayList;
import java.util.List;

/** The standard set of checkers and a way to run a list of them. */
public final class Checkers {
    private Checkers() {
    }

    /** A checker of the standard set that a mode leaves out, by name, because its data cannot support it. */
    public record LeftOut(String checker, String why) {
    }

    /** Every property the state layer promises, with convergence required within {@code convergenceBoundMs}. */
    public static List<Checker> standard(long convergenceBoundMs) {
        return List.of(new ConvergenceChecker(convergenceBoundMs), new AcknowledgedWritesChecker(),
                new NoSeqReuseChecker(), new NoRejectedChangesChecker(), new ReadYourWritesChecker(),
                new NodeHealthChecker());
    }

    /**
     * The state-layer checkers, plus, with {@code consensus}, one leader per term, intents performed at most once
     * under a committed claim, every intent performed within {@code convergenceBoundMs} of the final heal, the voters
     * following enrollment, witnesses never leading, and majority-durable writes and catch-ups keeping their promise.
     */
    public static List<Checker> standard(long convergenceBoundMs, boolean consensus) {
        if (!consensus) {
            return standard(convergenceBoundMs);
        }
        List<Checker> out = new ArrayList<>(standard(convergenceBoundMs));
        out.add(new OneLeaderPerTermChecker());
        out.add(new IntentsAtMostOnceChecker());
        out.add(new IntentsPerformedChecker(convergenceBoundMs));
        out.add(new VotersFollowEnrollmentChecker());
        out.add(new WitnessNeverLeadsChecker());
        out.add(new MajorityDurableChecker());
        return List.copyOf(out);
    }

    /**
     * The LLM gateway's checkers (docs/llm.md, "Simulation"), for runs with the LLM workload: calls answered at most
     * once, every provider request journaled before it was sent, requests within the retry policy, the ledger
     * covering what the providers billed, hard budgets held, and only complete answers marked a success.
     */
    public static List<Checker> llm() {
        return List.of(new LlmAnsweredOnceChecker(), new LlmAttemptRecordedBeforeSentChecker(),
                new LlmAttemptsWithinPolicyChecker(), new LlmLedgerCoversBillsChecker(), new LlmHardBudgetsChecker(),
                new LlmAnswersCompleteChecker());
    }

    /**
     * The wallet's checkers (docs/wallet-ledger.md, "Simulation"), for runs with a wallet workload that record
     * {@link WalletRecords}: no double spend (the chain's history against the journal), no abandoned nonce, the daily
     * budget never exceeded.
     */
    public static List<Checker> wallet() {
        return List.of(new WalletNoDoubleSpendChecker(), new WalletNoAbandonedNonceChecker(),
                new WalletBudgetChecker());
    }

    /**
     * The agent process's checker (docs/agents.md, "The agent-overlap checker"), for runs that host the agent
     * ({@code sim run --agent}) and record {@link AgentRecords}: never two processes alive at once beyond the bound.
     */
    public static List<Checker> agent() {
        return List.of(new AgentOverlapChecker());
    }

    /** Runs each checker; a checker that throws fails with the exception as its reason. */
    public static List<Verdict> run(List<Checker> checkers, History history) {
        List<Verdict> out = new ArrayList<>(checkers.size());
        for (Checker c : checkers) {
            try {
                out.add(c.check(history));
            } catch (RuntimeException e) {
                out.add(Verdict.fail(c.name(), "the checker itself failed: " + e, List.of()));
            }
        }
        return out;
    }

    public static boolean allPassed(List<Verdict> verdicts) {
        return verdicts.stream().allMatch(Verdict::passed);
    }
}
