package io.agentmesh.node.llm.gateway;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ProviderKeys;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.ledger.LedgerAttempt;
import io.agentmesh.node.llm.ledger.LedgerCall;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.node.llm.provider.FakeProvider;
import io.agentmesh.node.runtime.NodeThread;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.time.SystemClock;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The call loop against real providers (the provider layer, LangChain4j, the JDK client) pointed at fake providers
 * on loopback, with a real {@link LlmLedger} that every operation is applied to on the node thread. Each test
 * counts the requests each fake provider received and compares them with the attempts the router allows.
 */
class LlmGatewayTest {
    private static final long WAIT_S = 20;

    @TempDir
    Path dir;

    private final Clock clock = new SystemClock();
    private final NodeThread node = new NodeThread("gw-test");
    /** The one ledger both "nodes" of a test apply to, as Raft would on each member. */
    private final LlmLedger ledger = new LlmLedger();
    private long index;
    private final List<LlmGateway> gateways = new ArrayList<>();
    private FakeProvider p1;
    private FakeProvider p2;

    /**
     * One node's access to the shared ledger: applies each operation at once (this is the node thread, so the
     * future completes there), refusing it like {@code submitLedger} when this node does not lead.
     */
    private final class TestLedger implements LedgerAccess {
        final String self;
        volatile boolean leader;
        volatile long term;
        volatile String leaderId;
        final List<LedgerOp> submitted = new CopyOnWriteArrayList<>();

        TestLedger(String self, boolean leader, long term) {
            this.self = self;
            this.leader = leader;
            this.term = term;
            this.leaderId = leader ? self : null;
        }

        @Override
        public Leadership leadership() {
            return new Leadership(leader, term, Optional.ofNullable(leaderId));
        }

        @Override
        public CompletableFuture<LedgerResult> submit(LedgerOp op) {
            assertTrue(node.onNodeThread(), "ledger operations are submitted on the node thread");
            if (!leader) {
                return CompletableFuture.failedFuture(new IllegalStateException(self + " is not the leader"));
            }
            submitted.add(op);
            return CompletableFuture.completedFuture(ledger.apply(++index, op));
        }

        @Override
        public CompletableFuture<Void> termCaughtUp() {
            return leader ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(new IllegalStateException("not the leader"));
        }

        @Override
        public LlmLedger ledger() {
            return ledger;
        }
    }

    @BeforeEach
    void startProviders() throws Exception {
        p1 = new FakeProvider();
        p2 = new FakeProvider();
    }

    @AfterEach
    void stop() {
        gateways.forEach(LlmGateway::close);
        p1.close();
        p2.close();
        node.shutdown(5_000);
    }

    /** Two openai-compatible providers offering model "m", each with its own fake; {@code extra} adds sections. */
    private LlmConfig config(String extra) throws Exception {
        return config(extra, 100);
    }

    private LlmConfig config(String extra, long cooldownMs) throws Exception {
        String provider = """
                {"id": "%s", "kind": "openai-compatible", "baseUrl": "%s", "noKey": true,
                 "timeouts": {"connectMs": 1000, "firstTokenMs": %d, "streamIdleMs": %<d, "totalMs": %<d},
                 "models": [{"name": "m", "contextTokens": 100000, "maxOutputTokens": 1000,
                             "price": {"inputPerMTok": 1, "outputPerMTok": 2}}]}""";
        Path f = dir.resolve("llm.json");
        Files.writeString(f, "{\"providers\": [" + provider.formatted("p1", p1.baseUrl("/v1"), 1500) + ", "
                + provider.formatted("p2", p2.baseUrl("/v1"), 10000) + "],"
                + " \"cooldowns\": {\"baseMs\": " + cooldownMs + ", \"maxMs\": " + Math.max(1000, cooldownMs) + "}"
                + (extra.isEmpty() ? "" : ", " + extra) + "}");
        return LlmConfig.load(f, PriceTable.shipped());
    }

    private LlmGateway gateway(LlmConfig config, TestLedger access) {
        LlmGateway g = io.agentmesh.node.llm.send.LlmGateways.create(access.self, config, ProviderKeys.load(config, Map.of()), access, node,
                clock, 4);
        gateways.add(g);
        node.execute(g::start);
        return g;
    }

    private static CallRequest request(String id, String model, boolean stream) {
        return new CallRequest(id, LedgerOp.Origin.ENDPOINT, model,
                ChatRequest.builder().messages(UserMessage.from("Say hi")).build(), 50, stream, OptionalLong.empty());
    }

    private static CallResult result(CompletableFuture<CallResult> f) throws Exception {
        return f.get(WAIT_S, TimeUnit.SECONDS);
    }

    private <T> T onNode(Supplier<T> read) {
        return node.call(() -> CompletableFuture.completedFuture(read.get())).join();
    }

    private LedgerCall ledgerCall(String id) {
        return onNode(() -> ledger.call(id).orElseThrow());
    }

    /** An answer as the provider streams it: the gateway streams every attempt upstream, streaming client or not. */
    private static MockResponse answer(String text) {
        return FakeProvider.openAiStreamed(text);
    }

    private static MockResponse unavailable() {
        return FakeProvider.json(503, FakeProvider.openAiError("server_error", null, "overloaded"));
    }

    private static String text(CallResult.Answered a) {
        return ((ChatResponse) a.answer().answer()).aiMessage().text();
    }

    @Test
    void aRateLimitWithRetryAfterIsWaitedOutThenAnswered() throws Exception {
        LlmGateway g = gateway(config(""), new TestLedger("node-a", true, 1));
        p1.enqueue(FakeProvider.json(429, FakeProvider.openAiError("rate_limit_exceeded", null, "slow down"),
                "retry-after-ms: 400"));
        p1.enqueue(answer("Hi"));

        long t0 = System.nanoTime();
        CallResult r = result(g.call(request("c1", "p1/m", false), t -> true).toCompletableFuture());
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r);
        assertEquals("Hi", text(a));
        assertEquals(2, p1.requests(), "one 429, then one request after the Retry-After");
        assertEquals(0, p2.requests());
        assertEquals(2, a.attempts().size());
        assertTrue(elapsedMs >= 400, "the second attempt waited for the Retry-After: " + elapsedMs + " ms");
        LedgerCall call = ledgerCall("c1");
        assertEquals(Optional.of(LedgerOp.CallStatus.ANSWERED), call.status());
        assertEquals(2, call.attempts().size());
        assertTrue(a.costNanoUsd() > 0);
    }

    @Test
    void persistentServerErrorsAcrossTwoProvidersStopAtMaxAttempts() throws Exception {
        LlmGateway g = gateway(config("\"routing\": {\"maxAttempts\": 3}"), new TestLedger("node-a", true, 1));
        for (int i = 0; i < 4; i++) {
            p1.enqueue(unavailable());
            p2.enqueue(unavailable());
        }

        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        CallResult.Failed f = assertInstanceOf(CallResult.Failed.class, r);
        assertEquals(CallResult.Failure.UPSTREAM_UNAVAILABLE, f.failure());
        assertEquals(3, p1.requests() + p2.requests(), "exactly maxAttempts requests on the wire");
        // p1, then p2 (untried), then p1 again: its cooldown ends first.
        assertEquals(2, p1.requests());
        assertEquals(1, p2.requests());
        assertEquals(3, f.attempts().size());
        assertTrue(f.message().contains("all 3 attempts made"), f.message());
        LedgerCall call = ledgerCall("c1");
        assertEquals(Optional.of(LedgerOp.CallStatus.FAILED), call.status());
        assertEquals(3, call.attempts().size());
    }

    @Test
    void aFailedAttemptFailsOverToTheNextProviderWithinTheCall() throws Exception {
        LlmGateway g = gateway(config("", 60_000), new TestLedger("node-a", true, 1));
        p1.enqueue(unavailable());
        p2.enqueue(answer("from p2"));

        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r);
        assertEquals("from p2", text(a));
        assertEquals("p2", a.answer().providerId());
        assertEquals(1, p1.requests());
        assertEquals(1, p2.requests());
        AttemptResult.Failed first = assertInstanceOf(AttemptResult.Failed.class, a.attempts().getFirst());
        assertEquals(ErrorClass.OVERLOADED, first.error());
        // The next call starts at p2: p1 is cooling down, as the ledger's attempt ends tell the router.
        p2.enqueue(answer("again"));
        CallResult second = result(g.call(request("c2", "m", false), t -> true).toCompletableFuture());
        assertEquals("p2", assertInstanceOf(CallResult.Answered.class, second).answer().providerId());
        assertEquals(1, p1.requests());
    }

    @Test
    void aHardBudgetWithoutRoomRefusesTheCallBeforeAnythingIsSent() throws Exception {
        LlmGateway g = gateway(config("\"budgets\": [{\"period\": \"day\", \"limitUsd\": 0.000001}]"),
                new TestLedger("node-a", true, 1));
        p1.enqueue(answer("never"));

        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        CallResult.Failed f = assertInstanceOf(CallResult.Failed.class, r);
        assertEquals(CallResult.Failure.BUDGET_EXCEEDED, f.failure());
        assertTrue(f.message().contains("budget"), f.message());
        assertEquals(0, p1.requests() + p2.requests());
        assertEquals(Optional.of(LedgerOp.CallStatus.FAILED), ledgerCall("c1").status());
        assertEquals(0, onNode(ledger::reservedNanoUsd));
    }

    @Test
    void aStreamThatFailsAfterTextReachedTheClientIsNotRetried() throws Exception {
        LlmGateway g = gateway(config(""), new TestLedger("node-a", true, 1));
        p1.stream().data(FakeProvider.openAiChunk("Hel", null)).pause(100).enqueue(); // cut: no finish, no [DONE]
        p2.enqueue(answer("must not be asked"));
        List<String> seen = new CopyOnWriteArrayList<>();

        CallResult r = result(g.call(request("c1", "m", true), t -> seen.add(t)).toCompletableFuture());

        CallResult.Failed f = assertInstanceOf(CallResult.Failed.class, r);
        assertEquals(CallResult.Failure.STREAM_FAILED, f.failure());
        assertEquals(List.of("Hel"), seen);
        assertEquals(1, p1.requests());
        assertEquals(0, p2.requests(), "no retry that would repeat text the client has");
        assertEquals(ErrorClass.STREAM_CUT, f.lastAttempt().orElseThrow().error());
    }

    @Test
    void aClientThatStopsTakingTheStreamCancelsTheCall() throws Exception {
        LlmGateway g = gateway(config(""), new TestLedger("node-a", true, 1));
        p1.stream().data(FakeProvider.openAiChunk("Hel", null)).pause(2_000).data(FakeProvider.openAiChunk("lo", null))
                .data(FakeProvider.openAiChunk(null, "stop")).data(FakeProvider.openAiUsageChunk()).data("[DONE]")
                .end().enqueue();
        p2.enqueue(answer("must not be asked"));

        CallResult r = result(g.call(request("c1", "m", true), t -> false).toCompletableFuture());

        CallResult.Failed f = assertInstanceOf(CallResult.Failed.class, r);
        assertEquals(CallResult.Failure.CANCELLED, f.failure());
        assertEquals(ErrorClass.CANCELLED, f.lastAttempt().orElseThrow().error());
        assertEquals(0, p2.requests());
        assertEquals(Optional.of(LedgerOp.CallStatus.FAILED), ledgerCall("c1").status());
    }

    @Test
    void aStreamThatFailsBeforeAnyTextFailsOver() throws Exception {
        LlmGateway g = gateway(config(""), new TestLedger("node-a", true, 1));
        p1.enqueue(FakeProvider.closeBeforeResponse());
        p2.stream().data(FakeProvider.openAiChunk("Hi", null)).data(FakeProvider.openAiChunk(null, "stop"))
                .data(FakeProvider.openAiUsageChunk()).data("[DONE]").end().enqueue();
        List<String> seen = new CopyOnWriteArrayList<>();

        CallResult r = result(g.call(request("c1", "m", true), t -> seen.add(t)).toCompletableFuture());

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r);
        assertEquals("p2", a.answer().providerId());
        assertEquals("Hi", String.join("", seen));
        assertEquals(1, p1.requests());
        assertEquals(1, p2.requests());
    }

    @Test
    void aNodeThatDoesNotLeadRefusesAndNamesTheLeader() throws Exception {
        TestLedger follower = new TestLedger("node-a", false, 3);
        follower.leaderId = "node-b";
        LlmGateway g = gateway(config(""), follower);

        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        CallResult.Failed f = assertInstanceOf(CallResult.Failed.class, r);
        assertEquals(CallResult.Failure.NOT_LEADER, f.failure());
        assertEquals(Optional.of("node-b"), f.leaderHint());
        assertEquals(0, p1.requests() + p2.requests());
        assertTrue(follower.submitted.isEmpty());
    }

    @Test
    void withoutAConfigEveryCallIsRefusedWithWhereTheFileGoes() throws Exception {
        LlmGateway g = gateway(LlmConfig.none(), new TestLedger("node-a", true, 1));

        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        CallResult.Failed f = assertInstanceOf(CallResult.Failed.class, r);
        assertEquals(CallResult.Failure.NOT_CONFIGURED, f.failure());
        assertTrue(f.message().contains("--llm-config") && f.message().contains("llm.json"), f.message());
    }

    @Test
    void leadershipLostMidCallReturnsTheSentAttemptsAnswerButStartsNoOther() throws Exception {
        TestLedger a = new TestLedger("node-a", true, 1);
        LlmGateway g = gateway(config(""), a);
        p1.enqueue(FakeProvider.openAiStreamed("late", 1000));

        CompletableFuture<CallResult> f = g.call(request("c1", "p1/m", false), t -> true).toCompletableFuture();
        await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> p1.requests() == 1);
        node.execute(() -> a.leader = false);

        CallResult.Answered answered = assertInstanceOf(CallResult.Answered.class, result(f));
        assertEquals("late", text(answered));
        assertTrue(ledgerCall("c1").isOpen(), "the end could not be recorded: left for the next leader to settle");

        // A failed attempt after the loss is not followed by another one, and the message says who settles it.
        node.execute(() -> a.leader = true);
        p1.enqueue(new MockResponse.Builder().code(503).addHeader("Content-Type", "application/json")
                .body(FakeProvider.openAiError("server_error", null, "overloaded"))
                .headersDelay(1000, TimeUnit.MILLISECONDS).build());
        p2.enqueue(answer("must not be asked"));
        CompletableFuture<CallResult> second = g.call(request("c2", "m", false), t -> true).toCompletableFuture();
        await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> p1.requests() == 2);
        node.execute(() -> a.leader = false);
        CallResult.Failed failed = assertInstanceOf(CallResult.Failed.class, result(second));
        assertEquals(CallResult.Failure.CANCELLED, failed.failure());
        assertTrue(failed.message().contains("next leader"), failed.message());
        assertEquals(0, p2.requests());
    }

    @Test
    void aNewLeaderSettlesTheCallsItsPredecessorLeftOpenInDoubt() throws Exception {
        TestLedger a = new TestLedger("node-a", true, 1);
        TestLedger b = new TestLedger("node-b", false, 1);
        LlmConfig config = config("");
        LlmGateway ga = gateway(config, a);
        LlmGateway gb = gateway(config, b);
        p1.enqueue(FakeProvider.silent()); // no headers until p1's totalMs (1.5 s) ends the attempt

        CompletableFuture<CallResult> f = ga.call(request("c1", "p1/m", false), t -> true).toCompletableFuture();
        await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> p1.requests() == 1);
        // node-a is deposed while its attempt is on the wire; node-b leads term 2.
        node.execute(() -> {
            a.leader = false;
            a.term = 2;
            a.leaderId = "node-b";
            b.leader = true;
            b.term = 2;
            b.leaderId = "node-b";
            gb.leadershipChanged();
        });
        await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> !ledgerCall("c1").isOpen());
        LedgerCall settled = ledgerCall("c1");
        assertEquals(Optional.of(LedgerOp.CallStatus.IN_DOUBT), settled.status());
        assertTrue(b.submitted.stream().anyMatch(op -> op instanceof LedgerOp.Settle s && s.term() == 2
                && s.nodeId().equals("node-b")));

        // node-a's attempt ends (timed out) and cannot be recorded: no further attempt, the settlement stands.
        CallResult.Failed failed = assertInstanceOf(CallResult.Failed.class, result(f));
        assertEquals(CallResult.Failure.CANCELLED, failed.failure());
        assertEquals(1, p1.requests());
        assertEquals(0, p2.requests());
        assertEquals(Optional.of(LedgerOp.CallStatus.IN_DOUBT), ledgerCall("c1").status());

        // A call of the new leader's own term is not settled by a later look at the same term.
        node.execute(gb::leadershipChanged);
        p1.enqueue(answer("fresh"));
        CallResult fresh = result(gb.call(request("c2", "p1/m", false), t -> true).toCompletableFuture());
        assertInstanceOf(CallResult.Answered.class, fresh);
        assertEquals(Optional.of(LedgerOp.CallStatus.ANSWERED), ledgerCall("c2").status());
    }

    @Test
    void anAttemptThatItsSenderEndsTwiceIsRecordedAndAnsweredOnce() throws Exception {
        TestLedger a = new TestLedger("node-a", true, 1);
        LlmConfig config = config("");
        AttemptSender twice = new AttemptSender() {
            @Override
            public void send(Attempt attempt, io.agentmesh.node.llm.provider.StreamSink sink,
                             io.agentmesh.node.llm.provider.AttemptCancel cancel,
                             java.util.function.Consumer<AttemptResult> onEnd) {
                AttemptResult done = new AttemptResult.Completed(attempt.target().providerId(),
                        attempt.target().model(), 5, 5, new io.agentmesh.node.llm.Usage(3, 0, 0, 2, 0), "stop", "",
                        ChatResponse.builder().aiMessage(dev.langchain4j.data.message.AiMessage.from("once")).build());
                onEnd.accept(done);
                onEnd.accept(done);
            }

            @Override
            public void close() {
            }
        };
        LlmGateway g = new LlmGateway("node-a", config, ProviderKeys.load(config, Map.of()), twice, a, node, clock, 4);
        gateways.add(g);
        node.execute(g::start);
        CallResult r = result(g.call(request("c1", "p1/m", false), t -> true).toCompletableFuture());
        assertInstanceOf(CallResult.Answered.class, r);
        assertEquals(1, r.attempts().size());
        assertEquals(1, a.submitted.stream().filter(op -> op instanceof LedgerOp.AttemptEnd).count());
        assertEquals(0, p1.requests() + p2.requests(), "the sender, not a provider, took the attempt");
    }

    @Test
    void anLlmIntentLeftInDoubtByADeposedLeaderIsRetriedOnceByTheNext() throws Exception {
        TestLedger a = new TestLedger("node-a", true, 1);
        TestLedger b = new TestLedger("node-b", false, 1);
        LlmConfig config = config("");
        LlmIntentExecutor onA = new LlmIntentExecutor(gateway(config, a), "node-a");
        LlmGateway gb = gateway(config, b);
        LlmIntentExecutor onB = new LlmIntentExecutor(gb, "node-b");
        String payload = "{\"model\": \"p1/m\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}";
        List<byte[]> marks = new CopyOnWriteArrayList<>();
        p1.enqueue(FakeProvider.silent());

        CompletableFuture<io.agentmesh.node.actions.ActionResult> first = node.call(() -> onA.perform(
                new io.agentmesh.node.actions.ActionContext("intent-1", "llm", payload,
                        new io.agentmesh.node.actions.FencingToken(1, 5), "node-a", data -> {
                    marks.add(data);
                    return CompletableFuture.completedFuture(null);
                })).toCompletableFuture());
        await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> p1.requests() == 1);
        node.execute(() -> {
            a.leader = false;
            b.leader = true;
            b.term = 2;
            b.leaderId = "node-b";
            gb.leadershipChanged();
        });
        await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> !ledgerCall("intent-1@1:5").isOpen());
        assertEquals(Optional.of(LedgerOp.CallStatus.IN_DOUBT), ledgerCall("intent-1@1:5").status());

        p1.enqueue(answer("second time"));
        io.agentmesh.node.actions.ActionResult retried = node.call(() -> onB.reconcile(
                new io.agentmesh.node.actions.ActionContext("intent-1", "llm", payload,
                        new io.agentmesh.node.actions.FencingToken(2, 9), "node-b",
                        data -> CompletableFuture.completedFuture(null)),
                Optional.of(marks.getFirst())).toCompletableFuture()).get(WAIT_S, TimeUnit.SECONDS);

        assertEquals(io.agentmesh.node.actions.ActionResult.SUCCEEDED, retried.status(), retried.result());
        assertTrue(retried.result().contains("second time") && retried.result().contains(LlmIntentExecutor.RETRIED),
                retried.result());
        // The retry is the marked call's one retry (the journal keeps the first holder's mark).
        assertEquals(Optional.of(LedgerOp.CallStatus.ANSWERED),
                ledgerCall("intent-1@1:5" + LlmIntentExecutor.RETRY_SUFFIX).status());
        assertEquals(2, p1.requests());
        // The deposed holder's own attempt ends (timed out) and is reported as a failure it could not record.
        assertEquals(io.agentmesh.node.actions.ActionResult.FAILED, first.get(WAIT_S, TimeUnit.SECONDS).status());
    }

    @Test
    void aNewLeaderInheritsARetryAfterFromTheLedgerAndRoutesAroundIt() throws Exception {
        TestLedger a = new TestLedger("node-a", true, 1);
        TestLedger b = new TestLedger("node-b", false, 1);
        LlmConfig config = config("\"routing\": {\"maxAttempts\": 1}");
        LlmGateway ga = gateway(config, a);
        LlmGateway gb = gateway(config, b);
        p1.enqueue(FakeProvider.json(429, FakeProvider.openAiError("rate_limit_exceeded", null, "slow down"),
                "retry-after-ms: 60000"));
        CallResult first = result(ga.call(request("c1", "m", false), t -> true).toCompletableFuture());
        assertEquals(CallResult.Failure.UPSTREAM_UNAVAILABLE,
                assertInstanceOf(CallResult.Failed.class, first).failure());
        node.execute(() -> {
            a.leader = false;
            b.leader = true;
            b.term = 2;
            b.leaderId = "node-b";
        });
        p2.enqueue(answer("from p2"));

        CallResult second = result(gb.call(request("c2", "m", false), t -> true).toCompletableFuture());

        assertEquals("p2", assertInstanceOf(CallResult.Answered.class, second).answer().providerId());
        assertEquals(1, p1.requests(), "p1's Retry-After, recorded by the old leader, holds on the new one");
        LlmGateway.TargetStatus p1Status = gb.status().get(WAIT_S, TimeUnit.SECONDS).targets().getFirst();
        assertTrue(p1Status.retryAfterUntilMillis() > clock.nowMillis() + 50_000, p1Status.toString());
    }

    @Test
    void callsBeyondTheLimitInFlightAreRefusedAsOverloaded() throws Exception {
        TestLedger a = new TestLedger("node-a", true, 1);
        LlmConfig config = config("\"routing\": {\"maxAttempts\": 1}");
        LlmGateway g = io.agentmesh.node.llm.send.LlmGateways.create("node-a", config, ProviderKeys.load(config, Map.of()), a, node, clock, 1);
        gateways.add(g);
        p1.enqueue(FakeProvider.silent());

        CompletableFuture<CallResult> first = g.call(request("c1", "p1/m", false), t -> true).toCompletableFuture();
        await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> p1.requests() == 1);
        CallResult second = result(g.call(request("c2", "p1/m", false), t -> true).toCompletableFuture());

        assertEquals(CallResult.Failure.OVERLOADED, assertInstanceOf(CallResult.Failed.class, second).failure());
        assertEquals(1, p1.requests());
        assertEquals(ErrorClass.TIMEOUT, assertInstanceOf(CallResult.Failed.class, result(first)).lastAttempt()
                .orElseThrow().error());
    }

    @Test
    void statusShowsEachTargetsHealthAsTheRouterSeesIt() throws Exception {
        LlmGateway g = gateway(config(""), new TestLedger("node-a", true, 1));
        p1.enqueue(unavailable());
        p2.enqueue(answer("ok"));
        result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        LlmGateway.Status s = g.status().get(WAIT_S, TimeUnit.SECONDS);

        assertTrue(s.configured());
        assertTrue(s.leader());
        assertEquals(0, s.callsInFlight());
        assertEquals(2, s.targets().size());
        LlmGateway.TargetStatus t1 = s.targets().get(0);
        assertEquals("p1/m", t1.target().toString());
        assertEquals(1, t1.consecutiveFailures());
        assertEquals(Optional.of(ErrorClass.OVERLOADED), t1.lastError());
        assertTrue(t1.cooldownUntilMillis() > 0);
        LlmGateway.TargetStatus t2 = s.targets().get(1);
        assertEquals("closed", t2.circuit());
        assertEquals("available", t2.availability());
        assertTrue(t2.firstTokenEwmaMs() >= 0);
        assertFalse(s.configSource().isEmpty());
    }

    // ------------------------------------------------------------------------------------------------ hedging

    /** Hedging after 300 ms at most: well before p1's 1.5 s first-token deadline. */
    private static final String HEDGE_300 = "\"routing\": {\"hedge\": {\"minMs\": 100, \"maxMs\": 300}}";

    private static LedgerAttempt attempt(LedgerCall call, int number) {
        return call.attempts().stream().filter(a -> a.number() == number).findFirst().orElseThrow();
    }

    @Test
    void aSilentFirstProviderIsHedgedAndTheSecondAnswersWithinTheHedgeDelay() throws Exception {
        LlmGateway g = gateway(config(HEDGE_300), new TestLedger("node-a", true, 1));
        p1.enqueue(FakeProvider.silent());
        p2.enqueue(answer("from p2"));

        long t0 = System.nanoTime();
        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r);
        assertEquals("from p2", text(a));
        assertEquals("p2", a.answer().providerId());
        assertEquals(1, p1.requests());
        assertEquals(1, p2.requests(), "exactly two requests on the wire: the silent one and its hedge");
        assertTrue(elapsedMs >= 300 && elapsedMs < 1_400, "answered after the 300 ms hedge delay plus p2's"
                + " latency, not p1's 1.5 s first-token deadline: " + elapsedMs + " ms");
        LedgerCall call = ledgerCall("c1");
        assertEquals(Optional.of(LedgerOp.CallStatus.ANSWERED), call.status());
        LedgerAttempt loser = attempt(call, 1);
        assertEquals("p1", loser.target().providerId());
        assertEquals(Optional.of(ErrorClass.CANCELLED), loser.error());
        assertTrue(loser.inDoubtNanoUsd() > 0 && loser.inDoubtNanoUsd() == loser.worstCaseNanoUsd(),
                "the cancelled loser may have been billed: charged its reservation in doubt: " + loser);
        assertEquals(Optional.empty(), attempt(call, 2).error());
        assertEquals(0, onNode(ledger::reservedNanoUsd));
    }

    @Test
    void aSlowButAliveFirstProviderThatAnswersBeforeTheHedgeWinsAndTheHedgeIsCancelled() throws Exception {
        LlmGateway g = gateway(config(HEDGE_300), new TestLedger("node-a", true, 1));
        p1.enqueue(FakeProvider.openAiStreamed("from p1", 600)); // first token at ~600 ms: after the hedge starts
        p2.enqueue(FakeProvider.silent());

        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r);
        assertEquals("from p1", text(a));
        assertEquals(1, p1.requests());
        assertEquals(1, p2.requests(), "the hedge was sent");
        LedgerCall call = ledgerCall("c1");
        assertEquals(Optional.of(LedgerOp.CallStatus.ANSWERED), call.status());
        assertEquals(Optional.empty(), attempt(call, 1).error());
        LedgerAttempt hedge = attempt(call, 2);
        assertEquals("p2", hedge.target().providerId());
        assertEquals(Optional.of(ErrorClass.CANCELLED), hedge.error());
        assertTrue(hedge.inDoubtNanoUsd() > 0, hedge.toString());
    }

    @Test
    void noHedgeStartsWhenTheBudgetHasNoRoomForItsWorstCase() throws Exception {
        LlmConfig plain = config(HEDGE_300);
        long worstCase = plain.pricing().worstCase("p1", "m", PromptSize.of(request("x", "m", false).chat())
                .upperBoundTokens(), 50).totalNanoUsd();
        // Room for one attempt's reservation, not for two.
        String budget = String.format(java.util.Locale.ROOT,
                "\"budgets\": [{\"period\": \"day\", \"limitUsd\": %.9f}]", worstCase * 1.5 / 1e9);
        LlmGateway g = gateway(config(HEDGE_300 + ", " + budget), new TestLedger("node-a", true, 1));
        p1.enqueue(FakeProvider.openAiStreamed("from p1", 700));
        p2.enqueue(answer("must not be asked"));

        CallResult r = result(g.call(request("c1", "m", false), t -> true).toCompletableFuture());

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r, r.toString());
        assertEquals("from p1", text(a), "the first attempt carried on");
        assertEquals(0, p2.requests(), "a hedge the budget cannot reserve is not sent");
        assertEquals(1, ledgerCall("c1").attempts().size());
    }

    @Test
    void aStreamingClientGetsOnlyTheWinnersText() throws Exception {
        LlmGateway g = gateway(config(HEDGE_300), new TestLedger("node-a", true, 1));
        p1.stream().pause(700).data(FakeProvider.openAiChunk("from p1", null))
                .data(FakeProvider.openAiChunk(null, "stop")).data(FakeProvider.openAiUsageChunk()).data("[DONE]")
                .end().enqueue();
        p2.stream().data(FakeProvider.openAiChunk("from ", null)).data(FakeProvider.openAiChunk("p2", null))
                .data(FakeProvider.openAiChunk(null, "stop")).data(FakeProvider.openAiUsageChunk()).data("[DONE]")
                .end().enqueue();
        List<String> seen = new CopyOnWriteArrayList<>();

        CallResult r = result(g.call(request("c1", "m", true), seen::add).toCompletableFuture());

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r);
        assertEquals("p2", a.answer().providerId());
        assertEquals(List.of("from ", "p2"), seen);
        assertEquals(1, p1.requests());
        assertEquals(1, p2.requests());
        assertEquals(Optional.of(ErrorClass.CANCELLED), attempt(ledgerCall("c1"), 1).error());
    }

    @Test
    void aNonStreamingClientGetsOneAnswerFromAStreamedUpstreamAttempt() throws Exception {
        LlmGateway g = gateway(config(""), new TestLedger("node-a", true, 1));
        p1.enqueue(answer("whole"));
        List<String> seen = new CopyOnWriteArrayList<>();

        CallResult r = result(g.call(request("c1", "m", false), seen::add).toCompletableFuture());

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, r);
        assertEquals("whole", text(a));
        assertTrue(a.answer().firstTokenMs() >= 0);
        assertEquals(List.of(), seen, "a non-streaming client's sink gets no partial text");
        String body = p1.takeRequest().getBody().utf8();
        assertTrue(body.replaceAll("\\s", "").contains("\"stream\":true"),
                "the upstream attempt streamed: " + body);
    }

    @Test
    void afterASilentLossTheTargetIsAvoidedAndCallsGoStraightToTheNext() throws Exception {
        LlmGateway g = gateway(config(HEDGE_300, 60_000), new TestLedger("node-a", true, 1));
        p1.enqueue(FakeProvider.silent());
        p2.enqueue(answer("hedged"));
        assertInstanceOf(CallResult.Answered.class,
                result(g.call(request("c1", "m", false), t -> true).toCompletableFuture()));
        LlmGateway.TargetStatus p1Status = g.status().get(WAIT_S, TimeUnit.SECONDS).targets().getFirst();
        assertEquals(Optional.of(ErrorClass.FIRST_TOKEN_TIMEOUT), p1Status.lastError(), p1Status.toString());
        assertTrue(p1Status.cooldownUntilMillis() > clock.nowMillis(), p1Status.toString());

        p2.enqueue(answer("direct"));
        long t0 = System.nanoTime();
        CallResult second = result(g.call(request("c2", "m", false), t -> true).toCompletableFuture());
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;

        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class, second);
        assertEquals("direct", text(a));
        assertEquals(1, p1.requests(), "the silent target got no second request");
        assertEquals(2, p2.requests());
        assertEquals(1, a.attempts().size());
        assertTrue(elapsedMs < 300, "no hedge delay paid: " + elapsedMs + " ms");
    }

    @Test
    void repeatedSilentLossesOpenTheTargetsCircuitEvenWithShortCooldowns() throws Exception {
        // Cooldowns of 100 ms alone would send every call back to the silent p1 (each paying the hedge delay); the
        // losses count as circuit failures, so after minimumCalls of them p1 is left alone for openMs.
        LlmGateway g = gateway(config(HEDGE_300 + ", \"circuit\": {\"minimumCalls\": 3, \"openMs\": 60000}", 100),
                new TestLedger("node-a", true, 1));
        for (int i = 0; i < 3; i++) {
            p1.enqueue(FakeProvider.silent());
            p2.enqueue(answer("hedged " + i));
            CallResult r = result(g.call(request("c" + i, "m", false), t -> true).toCompletableFuture());
            assertEquals("p2", assertInstanceOf(CallResult.Answered.class, r).answer().providerId());
            assertEquals(i + 1, p1.requests(), "call " + i + " went to p1 first and was hedged");
            // The cooldown after the loss ends (100 ms, doubled per consecutive loss) before the next call.
            await().atMost(Duration.ofSeconds(WAIT_S)).until(() -> g.status().get(WAIT_S, TimeUnit.SECONDS)
                    .targets().getFirst().cooldownUntilMillis() <= clock.nowMillis());
        }
        LlmGateway.TargetStatus p1Status = g.status().get(WAIT_S, TimeUnit.SECONDS).targets().getFirst();
        assertEquals("open", p1Status.circuit(), p1Status.toString());

        p2.enqueue(answer("direct"));
        CallResult.Answered a = assertInstanceOf(CallResult.Answered.class,
                result(g.call(request("c-after", "m", false), t -> true).toCompletableFuture()));
        assertEquals("direct", text(a));
        assertEquals(3, p1.requests(), "the silent target is avoided while its circuit is open");
        assertEquals(1, a.attempts().size());
    }

    @Test
    void hedgeSettingsAreParsedStrictly() throws Exception {
        LlmConfig c = config("\"routing\": {\"hedge\": {\"enabled\": false, \"multiplier\": 2.5, \"minMs\": 50,"
                + " \"maxMs\": 900}}");
        assertEquals(new io.agentmesh.node.llm.config.HedgeConfig(false, 2.5, 50, 900), c.routing().hedge());
        assertEquals(io.agentmesh.node.llm.config.HedgeConfig.DEFAULTS, config("").routing().hedge());
        for (String bad : List.of("{\"delayMs\": 5}", "{\"enabled\": \"yes\"}", "{\"multiplier\": 0.5}",
                "{\"minMs\": 500, \"maxMs\": 100}", "{\"multiplier\": \"3\"}", "[]")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> config("\"routing\": {\"hedge\": " + bad + "}"), bad);
            assertTrue(e.getMessage().contains("hedge"), e.getMessage());
        }
    }

    @Test
    void theHedgeDelayIsAMultipleOfTheTargetsFirstTokenTimeClamped() {
        var h = new io.agentmesh.node.llm.config.HedgeConfig(true, 3, 250, 2_000);
        assertEquals(2_000, h.delayMs(-1), "unmeasured: the longest delay");
        assertEquals(250, h.delayMs(20));
        assertEquals(900, h.delayMs(300));
        assertEquals(2_000, h.delayMs(5_000));
    }
}
