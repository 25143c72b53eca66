package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.config.Timeouts;
import io.agentmesh.node.llm.Usage;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;

import static io.agentmesh.node.llm.provider.FakeProvider.OPENAI_USAGE;
import static io.agentmesh.node.llm.provider.FakeProvider.json;
import static io.agentmesh.node.llm.provider.FakeProvider.openAiAnswer;
import static io.agentmesh.node.llm.provider.FakeProvider.openAiChunk;
import static io.agentmesh.node.llm.provider.FakeProvider.openAiError;
import static io.agentmesh.node.llm.provider.FakeProvider.openAiUsageChunk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OpenAI's format, JSON and SSE, through LangChain4j's OpenAI models and our provider, against a fake on loopback. */
@Timeout(30)
class OpenAiProviderTest extends ProviderTestSupport {
    /** 20 prompt tokens with 8 cached, 5 completion with 2 reasoning: 12 uncached input. */
    private static final Usage NORMALISED = new Usage(12, 8, 0, 5, 2);

    private static final ObjectMapper JSON = new ObjectMapper();

    private LlmProvider provider;

    @BeforeEach
    void openAi() {
        provider = provider(ProviderKind.OPENAI, fake.baseUrl("/v1"), Optional.empty());
    }

    private void useTimeouts(Timeouts timeouts) {
        provider = provider(ProviderKind.OPENAI, fake.baseUrl("/v1"), Optional.empty(), timeouts);
    }

    private AttemptResult call() {
        return provider.call(request("gpt-test"), new AttemptCancel());
    }

    private AttemptResult stream(BoundedTextSink sink) {
        return provider.stream(request("gpt-test"), sink, new AttemptCancel());
    }

    @Test
    void aCompleteAnswerIsCompletedWithCachedTokensTakenOutOfTheInput() throws Exception {
        fake.enqueue(json(200, openAiAnswer("Hello", "stop", OPENAI_USAGE), "x-request-id: req-42"));

        AttemptResult.Completed done = completed(call());

        assertEquals("Hello", text(done));
        assertEquals(NORMALISED, done.usage());
        assertEquals("stop", done.finishReason());
        assertEquals("req-42", done.providerRequestId());
        RecordedRequest sent = fake.takeRequest();
        assertEquals("/v1/chat/completions", sent.getUrl().encodedPath());
        assertEquals("Bearer " + KEY, sent.getHeaders().get("Authorization"));
        assertEquals("gpt-test", JSON.readTree(sent.getBody().utf8()).path("model").asText());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aRateLimitIsSentOnceAndCarriesItsRetryAfterSeconds() {
        fake.enqueue(json(429, openAiError("requests", "rate_limit_exceeded", "Rate limit reached"),
                "Retry-After: 7"));

        AttemptResult.Failed failed = failed(call(), ErrorClass.RATE_LIMITED);

        assertEquals(429, failed.httpStatus());
        assertEquals(OptionalLong.of(7_000), failed.retryAfterMs());
        assertFalse(failed.error().possiblyBilled());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aRetryAfterGivenAsAnHttpDateBecomesADelayFromNow() {
        fake.enqueue(json(429, openAiError("requests", "rate_limit_exceeded", "Rate limit reached"),
                "Retry-After: " + FakeProvider.httpDate(FakeProvider.NOW_MILLIS + 30_000)));

        assertEquals(OptionalLong.of(30_000), failed(call(), ErrorClass.RATE_LIMITED).retryAfterMs());
        assertRequestsOnTheWire(1);
    }

    @Test
    void retryAfterMsIsPreferredToRetryAfter() {
        fake.enqueue(json(429, openAiError("requests", "rate_limit_exceeded", "Rate limit reached"),
                "retry-after-ms: 1500", "Retry-After: 9"));

        assertEquals(OptionalLong.of(1_500), failed(call(), ErrorClass.RATE_LIMITED).retryAfterMs());
    }

    @Test
    void anExhaustedQuotaIsASpendLimitNotARateLimit() {
        fake.enqueue(json(429, openAiError("insufficient_quota", "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details.")));

        failed(call(), ErrorClass.SPEND_LIMIT);
        assertRequestsOnTheWire(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503})
    void aServerErrorIsOverloadedAndIsNotRetriedHere(int status) {
        fake.enqueue(json(status, openAiError("server_error", null, "The server had an error")));
        fake.enqueue(json(200, openAiAnswer("Hello", "stop", OPENAI_USAGE)));

        AttemptResult.Failed failed = failed(call(), ErrorClass.OVERLOADED);

        assertEquals(status, failed.httpStatus());
        assertRequestsOnTheWire(1);
    }

    /** Why every model is built with maxRetries(0): the same 500 through LangChain4j's defaults is three requests. */
    @Test
    void langChain4jsDefaultsWouldHaveSentThreeRequestsForOneServerError() {
        for (int i = 0; i < 3; i++) {
            fake.enqueue(json(500, openAiError("server_error", null, "The server had an error")));
        }
        dev.langchain4j.model.chat.ChatModel defaults = dev.langchain4j.model.openai.OpenAiChatModel.builder()
                .baseUrl(fake.baseUrl("/v1").toString()).apiKey(KEY).modelName("gpt-test").build();

        assertThrows(RuntimeException.class, () -> defaults.chat(request("gpt-test").chat()));

        assertRequestsOnTheWire(3);
    }

    @Test
    void aPromptBeyondTheContextWindowIsContextTooLong() {
        fake.enqueue(json(400, openAiError("invalid_request_error", "context_length_exceeded",
                "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000"
                        + " tokens.")));

        failed(call(), ErrorClass.CONTEXT_TOO_LONG);
        assertRequestsOnTheWire(1);
    }

    @Test
    void aPromptRefusedByTheContentFilterIsContentPolicy() {
        fake.enqueue(json(400, openAiError("invalid_request_error", "content_filter",
                "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.")));

        failed(call(), ErrorClass.CONTENT_POLICY);
    }

    @Test
    void anAnswerWithheldByTheContentFilterIsContentPolicyWithItsUsage() {
        fake.enqueue(json(200, openAiAnswer("", "content_filter", OPENAI_USAGE)));

        AttemptResult.Failed failed = failed(call(), ErrorClass.CONTENT_POLICY);

        assertEquals(NORMALISED, failed.usage());
        assertTrue(failed.error().possiblyBilled());
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void aRejectedKeyIsAuthAndTheKeyNeverReachesTheMessage(int status) {
        fake.enqueue(json(status, openAiError("invalid_request_error", "invalid_api_key",
                "Incorrect API key provided: " + KEY + ".")));

        AttemptResult.Failed failed = failed(call(), ErrorClass.AUTH);

        assertFalse(failed.message().contains(KEY), failed.message());
        assertRequestsOnTheWire(1);
    }

    @Test
    void anUnknownModelIsModelNotFound() {
        fake.enqueue(json(404, openAiError("invalid_request_error", "model_not_found",
                "The model `gpt-test` does not exist or you do not have access to it.")));

        failed(call(), ErrorClass.MODEL_NOT_FOUND);
    }

    @Test
    void anOkBodyThatIsNotJsonIsMalformed() {
        fake.enqueue(json(200, "{\"id\": \"chatcmpl-1\", \"choices\": [ oops"));

        failed(call(), ErrorClass.MALFORMED_RESPONSE);
        assertRequestsOnTheWire(1);
    }

    @Test
    void anOkAnswerWithoutUsageIsMalformed() {
        fake.enqueue(json(200, openAiAnswer("Hello", "stop", null)));

        AttemptResult.Failed failed = failed(call(), ErrorClass.MALFORMED_RESPONSE);

        assertTrue(failed.message().contains("usage"), failed.message());
    }

    @Test
    void anOkAnswerWithImpossibleUsageIsMalformed() {
        fake.enqueue(json(200, openAiAnswer("Hello", "stop", "{\"prompt_tokens\":5,\"completion_tokens\":1,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":9}}")));

        failed(call(), ErrorClass.MALFORMED_RESPONSE);
    }

    @Test
    void aStreamIsCompletedOnlyAfterItsFinishReasonUsageAndDone() throws Exception {
        fake.stream().data(openAiChunk("", null)).data(openAiChunk("Hel", null)).data(openAiChunk("lo", null))
                .data(openAiChunk(null, "stop")).data(openAiUsageChunk()).data("[DONE]").end().enqueue();
        BoundedTextSink sink = new BoundedTextSink(1_000);

        AttemptResult.Completed done = completed(stream(sink));

        assertEquals("Hello", sink.drain());
        assertEquals("Hello", text(done));
        assertEquals(NORMALISED, done.usage());
        assertEquals("stop", done.finishReason());
        assertTrue(JSON.readTree(fake.takeRequest().getBody().utf8()).path("stream_options").path("include_usage")
                .asBoolean(), "asked for the usage chunk");
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamTellsItsSinkOfTheFirstTokenOnceEvenWhenItIsAToolCall() throws Exception {
        String chunk = "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\","
                + "\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}";
        fake.stream().data(openAiChunk("", null))
                .data(chunk.formatted("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
                        + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"weather\","
                        + "\"arguments\":\"\"}}]}", "null"))
                .data(chunk.formatted("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}", "null"))
                .data(chunk.formatted("{}", "\"tool_calls\"")).data(openAiUsageChunk()).data("[DONE]").end().enqueue();
        java.util.concurrent.atomic.AtomicInteger firstTokens = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();
        StreamSink sink = new StreamSink() {
            @Override
            public boolean offer(String textDelta) {
                texts.add(textDelta);
                return true;
            }

            @Override
            public void firstToken() {
                firstTokens.incrementAndGet();
            }
        };

        AttemptResult.Completed done = completed(provider.stream(request("gpt-test"), sink, new AttemptCancel()));

        assertEquals(1, firstTokens.get(), "the tool-call delta was the first token, told once");
        assertTrue(texts.stream().allMatch(String::isEmpty), "no text: " + texts);
        assertEquals("tool_calls", done.finishReason());
    }

    @Test
    void aStreamThatEndsWithoutDoneIsCutNotCompleted() {
        fake.stream().data(openAiChunk("Hel", null)).data(openAiChunk(null, "stop")).data(openAiUsageChunk()).end()
                .enqueue();

        AttemptResult.Failed failed = failed(stream(new BoundedTextSink(1_000)), ErrorClass.STREAM_CUT);

        assertEquals(NORMALISED, failed.usage(), "the usage the stream did state");
        assertTrue(failed.message().contains("[DONE]"), failed.message());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamCutMidAnswerIsCutAfterDeliveringItsPartialText() {
        CountDownLatch delivered = new CountDownLatch(1);
        StringBuilder seen = new StringBuilder();
        StreamSink sink = text -> {
            seen.append(text);
            if (seen.toString().equals("Hello")) {
                delivered.countDown();
            }
            return true;
        };
        // The cut waits until the text reached the sink: a JDK client drops bytes it had not handed out when the
        // connection fails, so cutting at once would race the delivery.
        fake.stream().data(openAiChunk("Hel", null)).data(openAiChunk("lo", null)).await(delivered).enqueue();

        AttemptResult.Failed failed = failed(provider.stream(request("gpt-test"), sink, new AttemptCancel()),
                ErrorClass.STREAM_CUT);

        assertEquals("Hello", seen.toString());
        assertEquals(Usage.NONE, failed.usage());
        assertEquals(200, failed.httpStatus());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamWithoutItsUsageChunkIsMalformed() {
        fake.stream().data(openAiChunk("Hello", null)).data(openAiChunk(null, "stop")).data("[DONE]").end()
                .enqueue();

        failed(stream(new BoundedTextSink(1_000)), ErrorClass.MALFORMED_RESPONSE);
        assertRequestsOnTheWire(1);
    }

    @Test
    void aMalformedChunkEndsTheStreamAsMalformed() {
        fake.stream().data(openAiChunk("Hel", null)).data("{\"choices\": [ {\"delta\": ").data(openAiChunk("lo", null))
                .data(openAiChunk(null, "stop")).data(openAiUsageChunk()).data("[DONE]").end().enqueue();

        failed(stream(new BoundedTextSink(1_000)), ErrorClass.MALFORMED_RESPONSE);
        assertRequestsOnTheWire(1);
    }

    @Test
    void anErrorObjectInsideAStreamIsClassifiedByItsType() {
        fake.stream().data(openAiChunk("Hel", null))
                .data(openAiError("server_error", null, "The server had an error while processing your request"))
                .end().enqueue();

        AttemptResult.Failed failed = failed(stream(new BoundedTextSink(1_000)), ErrorClass.OVERLOADED);

        assertEquals(200, failed.httpStatus());
    }

    @Test
    void aStreamedRateLimitKeepsItsRetryAfter() {
        fake.enqueue(json(429, openAiError("requests", "rate_limit_exceeded", "Rate limit reached"),
                "Retry-After: 3"));

        AttemptResult.Failed failed = failed(stream(new BoundedTextSink(1_000)), ErrorClass.RATE_LIMITED);

        assertEquals(OptionalLong.of(3_000), failed.retryAfterMs());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamWhoseFirstTokenIsLateFailsAtTheFirstTokenDeadline() {
        useTimeouts(SHORT_FIRST_TOKEN);
        fake.stream().data(openAiChunk("", null)).pause(5_000).data(openAiChunk("Hello", null)).enqueue();

        failed(stream(new BoundedTextSink(1_000)), ErrorClass.FIRST_TOKEN_TIMEOUT);
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamThatStallsAfterItsFirstTokenFailsAsIdle() {
        useTimeouts(SHORT_IDLE);
        fake.stream().data(openAiChunk("Hel", null)).stall().enqueue();
        BoundedTextSink sink = new BoundedTextSink(1_000);

        failed(stream(sink), ErrorClass.STREAM_IDLE);

        assertEquals("Hel", sink.drain());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aStreamThatKeepsTalkingIsNotIdleEvenWhenLongerThanTheIdleDeadline() {
        useTimeouts(SHORT_IDLE);
        FakeProvider.Stream stream = fake.stream();
        for (int i = 0; i < 8; i++) {
            stream.data(openAiChunk("x", null)).pause(SHORT_IDLE.streamIdleMs() / 4);
        }
        stream.data(openAiChunk(null, "stop")).data(openAiUsageChunk()).data("[DONE]").end().enqueue();
        BoundedTextSink sink = new BoundedTextSink(1_000);

        completed(stream(sink));

        assertEquals("xxxxxxxx", sink.drain());
    }

    @Test
    void streamedReasoningCountsAsTheFirstTokenThoughLangChain4jDoesNotPassItOn() {
        useTimeouts(SHORT_FIRST_TOKEN);
        FakeProvider.Stream stream = fake.stream();
        for (int i = 0; i < 8; i++) {
            stream.data("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"},"
                    + "\"finish_reason\":null}]}").pause(SHORT_FIRST_TOKEN.firstTokenMs() / 4);
        }
        stream.data(openAiChunk("Hello", null)).data(openAiChunk(null, "stop")).data(openAiUsageChunk())
                .data("[DONE]").end().enqueue();
        BoundedTextSink sink = new BoundedTextSink(1_000);

        completed(stream(sink));

        assertEquals("Hello", sink.drain());
    }

    @Test
    void aProviderThatNeverAnswersTimesOutACallAtItsTotalDeadline() {
        useTimeouts(SHORT_TOTAL);
        fake.enqueue(FakeProvider.silent());

        AttemptResult.Failed failed = failed(call(), ErrorClass.TIMEOUT);

        assertEquals(0, failed.httpStatus());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aProviderThatNeverAnswersAStreamFailsAtTheFirstTokenDeadline() {
        useTimeouts(SHORT_FIRST_TOKEN);
        fake.enqueue(FakeProvider.silent());

        failed(stream(new BoundedTextSink(1_000)), ErrorClass.FIRST_TOKEN_TIMEOUT);
        assertRequestsOnTheWire(1);
    }

    @Test
    void aSinkThatRefusesTextCancelsTheStream() {
        fake.stream().data(openAiChunk("more text than the sink holds", null)).stall().enqueue();

        AttemptResult.Failed failed = failed(stream(new BoundedTextSink(4)), ErrorClass.CANCELLED);

        assertTrue(failed.message().contains("consumer"), failed.message());
        assertRequestsOnTheWire(1);
    }

    @Test
    void aCallerCancellationEndsAStreamPromptly() throws Exception {
        fake.stream().data(openAiChunk("Hel", null)).stall().enqueue();
        AttemptCancel cancel = new AttemptCancel();
        BoundedTextSink sink = new BoundedTextSink(1_000);
        Thread canceller = Thread.ofVirtual().start(() -> {
            try {
                sink.take(2_000).ifPresent(text -> cancel.cancel("lost leadership"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        AttemptResult.Failed failed = failed(provider.stream(request("gpt-test"), sink, cancel),
                ErrorClass.CANCELLED);

        canceller.join(5_000);
        assertTrue(failed.message().contains("lost leadership"), failed.message());
    }

    @Test
    void anAzureDeploymentGetsItsApiVersionAndApiKeyHeaderAndNoBearer() throws Exception {
        LlmProvider azure = provider(ProviderKind.AZURE_OPENAI, fake.baseUrl("/openai/deployments/gpt4o"),
                Optional.of("2024-10-21"));
        fake.enqueue(json(200, openAiAnswer("Hello", "stop", OPENAI_USAGE), "apim-request-id: az-7"));

        AttemptResult.Completed done = completed(azure.call(request("gpt-4o"), new AttemptCancel()));

        RecordedRequest sent = fake.takeRequest();
        assertEquals("/openai/deployments/gpt4o/chat/completions", sent.getUrl().encodedPath());
        assertEquals("2024-10-21", sent.getUrl().queryParameter("api-version"));
        assertEquals(KEY, sent.getHeaders().get("api-key"));
        assertNull(sent.getHeaders().get("Authorization"));
        assertEquals("az-7", done.providerRequestId());
    }

    @Test
    void azuresV1UrlTakesNoApiVersionAndTheDeploymentAsTheModel() throws Exception {
        LlmProvider azure = provider(ProviderKind.AZURE_OPENAI, fake.baseUrl("/openai/v1"), Optional.empty());
        fake.enqueue(json(200, openAiAnswer("Hello", "stop", OPENAI_USAGE)));

        completed(azure.call(request("prod-4o"), new AttemptCancel()));

        RecordedRequest sent = fake.takeRequest();
        assertEquals("/openai/v1/chat/completions", sent.getUrl().encodedPath());
        assertNull(sent.getUrl().queryParameter("api-version"));
        assertEquals(KEY, sent.getHeaders().get("api-key"));
        assertNull(sent.getHeaders().get("Authorization"));
        assertEquals("prod-4o", JSON.readTree(sent.getBody().utf8()).path("model").asText());
        assertRequestsOnTheWire(1);
    }

    @Test
    void deepSeekCacheHitsCountAsCachedInput() {
        LlmProvider deepSeek = provider(ProviderKind.DEEPSEEK, fake.baseUrl("/v1"), Optional.empty());
        fake.enqueue(json(200, openAiAnswer("Hello", "stop", "{\"prompt_tokens\":30,\"completion_tokens\":4,"
                + "\"total_tokens\":34,\"prompt_cache_hit_tokens\":24,\"prompt_cache_miss_tokens\":6}")));

        AttemptResult.Completed done = completed(deepSeek.call(request("deepseek-chat"), new AttemptCancel()));

        assertEquals(new Usage(6, 24, 0, 4, 0), done.usage());
    }
}
