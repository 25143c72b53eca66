package io.agentmesh.sim.run;

import io.agentmesh.sim.check.LlmRecords;
import io.agentmesh.sim.world.FakeLlmProvider;
import io.agentmesh.state.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An {@code llm} intent's leader is killed at each step of its call in turn, in a 3-node simulated cluster with
 * reliable simulated providers: the next leader settles the lost call (charging an attempt that started without a
 * recorded end as in doubt) and retries the intent once, as a call of its own; the same when the leader is cut off
 * by a partition instead (its attempt on the wire still completes and is billed); a retry that is itself lost is not
 * retried again. Every checker, the LLM ones included, passes at the end.
 */
class LlmLeaderKillTest {
    private static final long SEED = 11;
    private static final String PAYLOAD = "{\"model\": \"smart\", \"messages\": [{\"role\": \"user\", \"content\":"
            + " \"What is the capital of France?\"}], \"maxTokens\": 200}";

    /** The steps of a call, in order. */
    enum Step { OPEN_COMMITTED, ATTEMPT_START_COMMITTED, REQUEST_SENT, PROVIDER_ANSWERED, ATTEMPT_END_COMMITTED,
        CLOSE_COMMITTED }

    private static Cluster cluster() {
        SimConfig config = Cluster.quiet(3, SEED).withLlm(new SimLlm(true, 0, SimLlm.DEFAULT_DAILY_BUDGET_NANO_USD,
                FakeLlmProvider.Behaviour.RELIABLE));
        return new Cluster(config, 200);
    }

    private static <T> List<T> records(Cluster c, Class<T> type) {
        return c.sim.history().records(type);
    }

    /** The ids of the calls made for {@code intent}, in the order they were opened. */
    private static List<String> calls(Cluster c, String intent) {
        return records(c, LlmRecords.LedgerCommitted.class).stream()
                .filter(r -> r.op().equals("OPEN") && r.callId().startsWith(intent + "@"))
                .map(LlmRecords.LedgerCommitted::callId).distinct().toList();
    }

    private static boolean committed(Cluster c, String callId, String op) {
        return records(c, LlmRecords.LedgerCommitted.class).stream()
                .anyMatch(r -> r.callId().equals(callId) && r.op().equals(op) && r.granted());
    }

    private static boolean sent(Cluster c, String callId) {
        return records(c, LlmRecords.ProviderRequest.class).stream().anyMatch(r -> r.callId().equals(callId));
    }

    private static BooleanSupplier reached(Cluster c, String intent, int call, Step step) {
        return () -> {
            List<String> ids = calls(c, intent);
            if (ids.size() <= call) {
                return false;
            }
            String id = ids.get(call);
            return switch (step) {
                case OPEN_COMMITTED -> true;
                case ATTEMPT_START_COMMITTED -> committed(c, id, "ATTEMPT_START");
                case REQUEST_SENT -> sent(c, id);
                case PROVIDER_ANSWERED -> c.sim.llmAnswered(id, 1);
                case ATTEMPT_END_COMMITTED -> committed(c, id, "ATTEMPT_END");
                case CLOSE_COMMITTED -> committed(c, id, "CLOSE");
            };
        };
    }

    private static long requestsFor(Cluster c, String intent) {
        return records(c, LlmRecords.ProviderRequest.class).stream()
                .filter(r -> r.callId().startsWith(intent + "@")).count();
    }

    /**
     * Runs until every running node shows the same outcome for {@code intent}, the one its journal completed the
     * intent with (a deposed holder's report written concurrently may show first, until it rewrites it), and returns
     * it.
     */
    private static Outcome outcomeEverywhere(Cluster c, String intent) {
        c.runUntil("every running node shows the journal's outcome for " + intent, () -> {
            java.util.Set<Optional<Outcome>> seen = new java.util.HashSet<>();
            for (SimNode n : c.nodes()) {
                if (!n.up()) {
                    continue;
                }
                Optional<Outcome> o = n.outcome(intent);
                var e = n.consensus() == null ? Optional.<io.agentmesh.node.actions.JournalEntry>empty()
                        : n.consensus().journal().entry(intent);
                if (o.isEmpty() || e.isEmpty() || !e.get().isCompleted() || o.get().term() != e.get().claim().term()
                        || o.get().index() != e.get().claim().index()) {
                    return false;
                }
                seen.add(o);
            }
            return seen.size() == 1;
        }, 60_000);
        c.assertOutcomesAgree(List.of(intent));
        return c.nodes().stream().filter(SimNode::up).findFirst().orElseThrow().outcome(intent).orElseThrow();
    }

    private static LlmRecords.LedgerFinal ledger(SimResult r) {
        return r.history().records(LlmRecords.LedgerFinal.class).stream().filter(LlmRecords.LedgerFinal::up)
                .max(java.util.Comparator.comparingLong(LlmRecords.LedgerFinal::totalNanoUsd)).orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(Step.class)
    void aLeaderKilledAtEachStepOfACallLeavesItInDoubtAndTheNextLeaderRetriesItOnce(Step step) {
        Cluster c = cluster();
        SimNode leader = c.awaitStableLeader(5_000);
        String intent = "llm-" + step.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        c.node((leader.index + 1) % 3).requestIntent("request " + intent, intent, "llm", PAYLOAD);
        c.runUntil(step + " for the first call of " + intent, reached(c, intent, 0, step), 20_000);
        String first = calls(c, intent).getFirst();
        c.kill(leader.index);

        Outcome outcome = outcomeEverywhere(c, intent);
        List<String> calls = calls(c, intent);
        long requests = requestsFor(c, intent);
        SimResult r = c.finishAndCheck();

        String story = step + ": calls " + calls + ", " + requests + " provider requests, outcome " + outcome.status()
                + " " + outcome.result();
        System.out.println(story);
        assertEquals(Outcome.SUCCEEDED, outcome.status(), story);
        assertTrue(requests <= 2, "never a third request: " + story);
        boolean sentBeforeKill = step.ordinal() >= Step.REQUEST_SENT.ordinal();
        if (step != Step.CLOSE_COMMITTED) {
            // The first call was lost: the next leader retried the intent once, as a call of its own.
            assertEquals(2, calls.size(), story);
            assertEquals(sentBeforeKill ? 2 : 1, requests, story);
            assertTrue(outcome.result().contains(io.agentmesh.node.llm.gateway.LlmIntentExecutor.RETRIED),
                    story);
            assertTrue(records(c, LlmRecords.LedgerCommitted.class).stream().anyMatch(x -> x.callId().equals(first)
                    && x.op().equals("SETTLE") && x.result().equals("Settled")), "the first call was settled: "
                    + story);
        } else {
            // Closed ANSWERED before the kill: retried only if the intent's completion was lost with its leader.
            assertTrue(calls.size() <= 2 && requests == calls.size(), story);
        }
        LlmRecords.LedgerFinal l = ledger(r);
        boolean attemptWithoutEnd = step == Step.ATTEMPT_START_COMMITTED || step == Step.REQUEST_SENT
                || step == Step.PROVIDER_ANSWERED;
        assertEquals(attemptWithoutEnd, l.inDoubtNanoUsd() > 0, "in doubt " + l.inDoubtNanoUsd() + ": " + story);
        long billed = records(c, LlmRecords.ProviderRequest.class).stream()
                .mapToLong(LlmRecords.ProviderRequest::billedNanoUsd).sum();
        assertTrue(l.totalNanoUsd() >= billed && l.totalNanoUsd() - billed <= l.inDoubtNanoUsd(), story);
    }

    @ParameterizedTest
    @EnumSource(Step.class)
    void aLeaderCutOffAtEachStepOfACallFinishesNothingItCannotRecordAndTheNextLeaderRetriesOnce(Step step) {
        Cluster c = cluster();
        SimNode leader = c.awaitStableLeader(5_000);
        String intent = "llm-cut-" + step.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        c.node((leader.index + 1) % 3).requestIntent("request " + intent, intent, "llm", PAYLOAD);
        c.runUntil(step + " for the first call of " + intent, reached(c, intent, 0, step), 20_000);
        java.util.Set<Integer> others = new java.util.TreeSet<>(java.util.Set.of(0, 1, 2));
        others.remove(leader.index);
        // The provider is not behind the partition: an attempt already sent still completes, and is billed.
        c.sim.apply(new FaultPlan.Partition(c.nowMs(), 10_000, "isolate " + leader.name,
                io.agentmesh.sim.world.Link.between(java.util.Set.of(leader.index), others)));
        // Cut off, the deposed leader may write its own outcome into its document (state is AP); once the partition
        // heals, the documents merge to the committed one.
        Outcome outcome = outcomeEverywhere(c, intent);
        List<String> calls = calls(c, intent);
        long requests = requestsFor(c, intent);
        c.finishAndCheck();
        String story = step + " (cut off): calls " + calls + ", " + requests + " provider requests, outcome "
                + outcome.status() + " " + outcome.result();
        System.out.println(story);
        assertEquals(Outcome.SUCCEEDED, outcome.status(), story);
        assertTrue(calls.size() <= 2 && requests <= 2, "never a third call or request: " + story);
        assertEquals(calls.size() == 2, outcome.result().contains(
                io.agentmesh.node.llm.gateway.LlmIntentExecutor.RETRIED), story);
        if (step != Step.CLOSE_COMMITTED) {
            assertEquals(2, calls.size(), "the cut-off leader could not finish its call: " + story);
        }
    }

    @Test
    void aRetryThatIsItselfLostIsNotRetriedAgain() {
        Cluster c = cluster();
        SimNode first = c.awaitStableLeader(5_000);
        String intent = "llm-lost-twice";
        c.node((first.index + 1) % 3).requestIntent("request " + intent, intent, "llm", PAYLOAD);
        c.runUntil("the first call's request sent", reached(c, intent, 0, Step.REQUEST_SENT), 20_000);
        c.kill(first.index);
        c.restart(first.index);
        c.runUntil("the retry's request sent", reached(c, intent, 1, Step.REQUEST_SENT), 20_000);
        String retry = calls(c, intent).get(1);
        SimNode second = c.nodes().stream().filter(n -> records(c, LlmRecords.ProviderRequest.class).stream()
                .anyMatch(q -> q.callId().equals(retry) && q.node().equals(n.name))).findFirst().orElseThrow();
        c.kill(second.index);

        Outcome outcome = outcomeEverywhere(c, intent);
        long requests = requestsFor(c, intent);
        List<String> calls = calls(c, intent);
        c.finishAndCheck();
        String story = "calls " + calls + ", " + requests + " provider requests, outcome " + outcome.status() + " "
                + outcome.result();
        System.out.println("lost twice: " + story);
        assertEquals(Outcome.FAILED, outcome.status(), story);
        assertTrue(outcome.result().contains("not retried"), story);
        assertEquals(2, requests, story);
        assertEquals(2, calls.size(), story);
        assertTrue(Optional.ofNullable(outcome.result()).orElse("").contains("IN_DOUBT"), story);
    }
}
