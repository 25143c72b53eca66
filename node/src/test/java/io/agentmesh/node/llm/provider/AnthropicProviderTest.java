package io.agentmesh.node.llm.provider;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.Usage;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Optional;
import java.util.OptionalLong;

import static io.agentmesh.node.llm.provider.FakeProvider.ANTHROPIC_BLOCK_START;
import static io.agentmesh.node.llm.provider.FakeProvider.ANTHROPIC_BLOCK_STOP;
import static io.agentmesh.node.llm.provider.FakeProvider.ANTHROPIC_MESSAGE_DELTA;
import static io.agentmesh.node.llm.provider.FakeProvider.ANTHROPIC_MESSAGE_START;
import static io.agentmesh.node.llm.provider.FakeProvider.ANTHROPIC_MESSAGE_STOP;
import static io.agentmesh.node.llm.provider.FakeProvider.anthropicAnswer;
import static io.agentmesh.node.llm.provider.FakeProvider.anthropicDelta;
import static io.agentmesh.node.llm.provider.FakeProvider.anthropicError;
import static io.agentmesh.node.llm.provider.FakeProvider.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Anthropic's messages API, JSON and SSE, through LangChain4j's Anthropic models and our provider. */
@Timeout(30)
class AnthropicProviderTest extends ProviderTestSupport {
    /** Anthropic's input excludes cache reads (100) and writes (50): normalised as they are. */
    private static final Usage NORMALISED = new Usage(10, 100, 50, 5, 0);

    private LlmProvider provider;

    @BeforeEach
    void anthropic() {
        provider = provider(ProviderKind.ANTHROPIC, fake.baseUrl("/v1"), Optional.empty());
    }

    private AttemptResult call() {
        return provider.call(request("claude-test"), new AttemptCancel());
    }

    private AttemptResult stream(BoundedTextSink sink) {
        return provider.stream(request("claude-test"), sink, new AttemptCancel());
    }

    private FakeProvider.Stream startedStream() {
        return fake.stream().event("message_start", ANTHROPIC_MESSAGE_START)
                .event("content_block_start", ANTHROPIC_BLOCK_START).event("ping", "{\"type\":\"ping\"}");
    }

    @Test
    void aCompleteAnswerKeepsCacheReadsAndWritesApartFromInput() throws Exception {
        fake.enqueue(json(200, anthropicAnswer("Hello", "end_turn"), "request-id: req_9"));

        AttemptResult.Completed done = completed(call());

        assertEquals("Hello", text(done));
        assertEquals(NORMALISED, done.usage());
        assertEquals("end_turn", done.finishReason());
        assertEquals("req_9", done.providerRequestId());
        RecordedRequest sent = fake.takeRequest();
        assertEquals("/v1/messages", sent.getUrl().encodedPath());
        assertEquals(KEY, sent.getHeaders().get("x-api-key"));
        assertEquals(AnthropicProvider.API_VERSION, sent.getHeaders().get("anthropic-version"));
        assertRequestsOnTheWire(1);
    }

    @Test
    void status529IsOverloadedAndSentOnce() {
        fake.enqueue(json(529, anthropicError("overloaded_error", "Overloaded"), "retry-after: 2"));

        AttemptResult.Failed failed = failed(call(), ErrorClass.OVERLOADED);

        assertEquals(529, failed.httpStatus());
        assertEquals(OptionalLong.of(2_000), failed.retryAfterMs());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aRateLimitIsRateLimitedWithItsRetryAfter() {
        fake.enqueue(json(429, anthropicError("rate_limit_error", "Your account has hit a rate limit."),
                "retry-after: 12"));

        assertEquals(OptionalLong.of(12_000), failed(call(), ErrorClass.RATE_LIMITED).retryAfterMs());
    }

    @Test
    void aSpendLimitRateLimitIsASpendLimit() {
        fake.enqueue(json(429, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                + "\"code\":\"enforced_spend_limit_reached\",\"message\":\"You have reached your organization's"
                + " spend limit.\"}}"));

        failed(call(), ErrorClass.SPEND_LIMIT);
        assertRequestsOnTheWire(1);
    }

    @Test
    void anExhaustedCreditBalanceIsASpendLimitThoughItIsA400() {
        fake.enqueue(json(400, anthropicError("invalid_request_error",
                "Your credit balance is too low to access the Anthropic API.")));

        failed(call(), ErrorClass.SPEND_LIMIT);
    }

    @Test
    void aPromptThatIsTooLongIsContextTooLong() {
        fake.enqueue(json(400, anthropicError("invalid_request_error",
                "prompt is too long: 208310 tokens > 200000 maximum")));

        failed(call(), ErrorClass.CONTEXT_TOO_LONG);
    }

    @Test
    void aRefusalIsContentPolicy() {
        fake.enqueue(json(200, anthropicAnswer("", "refusal")));

        AttemptResult.Failed failed = failed(call(), ErrorClass.CONTENT_POLICY);

        assertEquals(NORMALISED, failed.usage());
    }

    @Test
    void aStreamIsCompletedAtMessageStopWithUsageFromStartAndDelta() {
        startedStream().event("content_block_delta", anthropicDelta("Hel"))
                .event("content_block_delta", anthropicDelta("lo")).event("content_block_stop", ANTHROPIC_BLOCK_STOP)
                .event("message_delta", ANTHROPIC_MESSAGE_DELTA).event("message_stop", ANTHROPIC_MESSAGE_STOP).end()
                .enqueue();
        BoundedTextSink sink = new BoundedTextSink(1_000);

        AttemptResult.Completed done = completed(stream(sink));

        assertEquals("Hello", sink.drain());
        assertEquals("Hello", text(done));
        assertEquals(NORMALISED, done.usage());
        assertEquals("end_turn", done.finishReason());
        assertRequestsOnTheWire(1);
    }

    @Test
    void anOverloadedErrorEventAfterA200IsOverloadedWithTheInputUsageSeen() {
        startedStream().event("content_block_delta", anthropicDelta("Hel"))
                .event("error", anthropicError("overloaded_error", "Overloaded")).end().enqueue();

        AttemptResult.Failed failed = failed(stream(new BoundedTextSink(1_000)), ErrorClass.OVERLOADED);

        assertEquals(200, failed.httpStatus());
        assertEquals(new Usage(10, 100, 50, 1, 0), failed.usage());
        assertTrue(failed.message().contains("overloaded_error"), failed.message());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamThatEndsWithoutMessageStopIsCut() {
        startedStream().event("content_block_delta", anthropicDelta("Hello"))
                .event("content_block_stop", ANTHROPIC_BLOCK_STOP).event("message_delta", ANTHROPIC_MESSAGE_DELTA)
                .end().enqueue();

        AttemptResult.Failed failed = failed(stream(new BoundedTextSink(1_000)), ErrorClass.STREAM_CUT);

        assertTrue(failed.message().contains("message_stop"), failed.message());
        assertEquals(NORMALISED, failed.usage());
    }

    @Test
    void aMalformedEventIsMalformedEvenThoughLangChain4jWouldSkipIt() {
        startedStream().event("content_block_delta", anthropicDelta("Hel"))
                .event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":")
                .event("content_block_delta", anthropicDelta("lo")).event("content_block_stop", ANTHROPIC_BLOCK_STOP)
                .event("message_delta", ANTHROPIC_MESSAGE_DELTA).event("message_stop", ANTHROPIC_MESSAGE_STOP).end()
                .enqueue();

        failed(stream(new BoundedTextSink(1_000)), ErrorClass.MALFORMED_RESPONSE);
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamThatStallsAfterItsFirstTokenFailsAsIdle() {
        provider = provider(ProviderKind.ANTHROPIC, fake.baseUrl("/v1"), Optional.empty(), SHORT_IDLE);
        startedStream().event("content_block_delta", anthropicDelta("Hel")).stall().enqueue();

        failed(stream(new BoundedTextSink(1_000)), ErrorClass.STREAM_IDLE);
        assertRequestsOnTheWire(1);
    }
}
