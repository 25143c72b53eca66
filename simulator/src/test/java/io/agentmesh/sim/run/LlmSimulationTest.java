package io.agentmesh.sim.run;

import io.agentmesh.sim.check.LlmAnswersCompleteChecker;
import io.agentmesh.sim.check.LlmAttemptRecordedBeforeSentChecker;
import io.agentmesh.sim.check.LlmHardBudgetsChecker;
import io.agentmesh.sim.check.LlmRecords;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.world.FakeLlmProvider;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The LLM workload in seeded 3-node runs: llm intents and streamed endpoint calls through each leader's real gateway
 * against the simulated providers (429s, 503s, hangs, cut answers, answers without usage), under crashes and
 * partitions, with the LLM checkers; a seed replays the same run; and each planted LLM bug fails the checker that
 * must catch it.
 */
class LlmSimulationTest {
    private static final long DURATION_MS = 30_000;

    static SimConfig config(long seed, SimLlm llm) {
        return SimConfig.of(3, seed, DURATION_MS, EnumSet.of(FaultKind.CRASH, FaultKind.PARTITION))
                .withRates(1, 1).withIntentRate(0.2).withLlm(llm);
    }

    private static String describe(SimResult r) {
        StringBuilder b = new StringBuilder("seed " + r.config().seed() + ":");
        for (Verdict v : r.verdicts()) {
            b.append("\n  ").append(v);
            v.violations().stream().limit(3).forEach(x -> b.append("\n      ").append(x));
        }
        return b.toString();
    }

    @Test
    void seededRunsWithCrashesAndPartitionsPassEveryLlmChecker() {
        for (long seed = 1; seed <= 3; seed++) {
            SimResult r = Simulation.run(config(seed, SimLlm.at(1).withDailyBudgetNanoUsd(40_000_000L)));
            System.out.println(describe(r));
            assertTrue(r.passed(), describe(r));
            List<LlmRecords.ProviderRequest> requests = r.history().records(LlmRecords.ProviderRequest.class);
            long answered = r.history().records(LlmRecords.IntentResult.class).stream()
                    .filter(LlmRecords.IntentResult::succeeded).count();
            System.out.println("  " + requests.size() + " provider requests, " + answered + " llm intents answered, "
                    + requests.stream().filter(q -> !q.answer().equals("COMPLETE")).count() + " failed answers, "
                    + r.history().records(LlmRecords.CallEnded.class).stream()
                    .filter(c -> c.failure().equals("BUDGET_EXCEEDED")).count() + " calls refused by the budget");
            assertTrue(requests.size() >= 10, "the run made " + requests.size() + " provider requests");
            assertTrue(answered >= 5, "only " + answered + " llm intents were answered");
            long endpointAnswers = r.history().records(LlmRecords.CallEnded.class).stream()
                    .filter(c -> c.callId().startsWith("endpoint-") && c.answered()).count();
            assertTrue(endpointAnswers >= 1, "no streamed endpoint call was answered");
        }
    }

    @Test
    void aSeedReplaysTheSameLlmRunEventForEvent() {
        SimConfig config = config(2, SimLlm.at(1));
        SimResult a = Simulation.run(config);
        SimResult b = Simulation.run(config);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.history().records(LlmRecords.ProviderRequest.class),
                b.history().records(LlmRecords.ProviderRequest.class));
        assertFalse(a.history().records(LlmRecords.ProviderRequest.class).isEmpty());
        assertTrue(config.replayCommand().contains("--llm-intents-per-second 1"), config.replayCommand());
    }

    private static void assertCaught(PlantedBug bug, String checker, SimLlm llm) {
        SimResult r = Simulation.run(config(1, llm).withBugs(Set.of(bug)));
        Verdict v = r.verdicts().stream().filter(x -> x.checker().equals(checker)).findFirst().orElseThrow();
        System.out.println(bug + ": " + v + (v.violations().isEmpty() ? "" : "\n  " + v.violations().getFirst()));
        assertFalse(v.passed(), bug + " was not caught by " + checker + ":\n" + describe(r));
    }

    @Test
    void aGatewaySendingBeforeItsAttemptStartCommitsIsCaught() {
        assertCaught(PlantedBug.LLM_SEND_BEFORE_START, LlmAttemptRecordedBeforeSentChecker.NAME, SimLlm.at(1));
    }

    @Test
    void aGatewayWhoseAttemptsCarryNoBudgetIsCaughtPassingTheHardBudget() {
        assertCaught(PlantedBug.LLM_BUDGETS_IGNORED, LlmHardBudgetsChecker.NAME,
                SimLlm.at(1).withDailyBudgetNanoUsd(10_000_000L));
    }

    @Test
    void aProviderLayerReturningACutStreamAsAnAnswerIsCaught() {
        assertCaught(PlantedBug.LLM_CUT_AS_ANSWER, LlmAnswersCompleteChecker.NAME,
                SimLlm.at(1).withProvider(new FakeLlmProvider.Behaviour(0, 0, 0, 0.5, 0, 50, 400, 600, 1_000, 300)));
    }
}
