package io.agentmesh.node.llm.provider;

import io.agentmesh.protocol.time.Clock;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.BufferedSink;
import okio.Okio;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A provider on loopback (okhttp's mockwebserver3) that answers in OpenAI's or Anthropic's format, JSON or SSE, and
 * misbehaves on demand: scripted streams that pause, stall, end cleanly or are cut. It counts every request it
 * receives, which is what the tests compare with the number of attempts.
 */
public final class FakeProvider implements AutoCloseable {
    /** The wall clock every test runs at: a whole second, so HTTP dates convert exactly. */
    public static final long NOW_MILLIS = 1_780_000_000_000L;
    /** Bounds how long a stalled stream holds a server thread after its test. */
    private static final long STALL_BOUND_MS = 10_000;

    final MockWebServer server = new MockWebServer();
    private final CountDownLatch release = new CountDownLatch(1);

    public FakeProvider() throws IOException {
        server.start();
    }

    public URI baseUrl(String path) {
        return URI.create(server.url(path).toString());
    }

    public void enqueue(MockResponse response) {
        server.enqueue(response);
    }

    public int requests() {
        return server.getRequestCount();
    }

    public RecordedRequest takeRequest() throws InterruptedException {
        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the fake provider received no request within 5 s");
        }
        return request;
    }

    @Override
    public void close() {
        release.countDown();
        server.close();
    }

    /** Wall time fixed at {@link #NOW_MILLIS}; monotonic time real, so the watchdog's deadlines are real. */
    public static Clock clock() {
        return new Clock() {
            @Override
            public long nowMillis() {
                return NOW_MILLIS;
            }

            @Override
            public long monotonicNanos() {
                return System.nanoTime();
            }
        };
    }

    public static String httpDate(long epochMillis) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC));
    }

    public static MockResponse json(int status, String body, String... headers) {
        MockResponse.Builder b = new MockResponse.Builder().code(status).addHeader("Content-Type", "application/json")
                .body(body);
        for (String header : headers) {
            b.addHeader(header);
        }
        return b.build();
    }

    /**
     * A whole OpenAI-format stream in one body (text, finish reason, usage chunk, {@code [DONE]}): what a provider
     * answers to a streamed request, as the gateway streams every attempt whose model can stream.
     */
    public static MockResponse openAiStreamed(String text) {
        return openAiStreamed(text, 0);
    }

    /** The same, its headers held back {@code headersDelayMs} (a provider slow to its first token). */
    public static MockResponse openAiStreamed(String text, long headersDelayMs) {
        String body = "data: " + openAiChunk(text, null) + "\n\n" + "data: " + openAiChunk(null, "stop") + "\n\n"
                + "data: " + openAiUsageChunk() + "\n\n" + "data: [DONE]\n\n";
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream").body(body)
                .headersDelay(headersDelayMs, TimeUnit.MILLISECONDS).build();
    }

    /** A response that sends no headers within any test's deadlines (the server thread leaves once the client does). */
    public static MockResponse silent() {
        return new MockResponse.Builder().headersDelay(STALL_BOUND_MS, TimeUnit.MILLISECONDS).body("{}").build();
    }

    /** Accepts the request, then closes the connection without a byte of response. */
    public static MockResponse closeBeforeResponse() {
        return new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
    }

    /** A scripted SSE stream, chunked by hand so that a clean end and a cut differ on the wire. */
    public Stream stream() {
        return new Stream();
    }

    public final class Stream {
        private final List<Step> steps = new ArrayList<>();
        private final List<String> headers = new ArrayList<>();

        private interface Step {
            void run(BufferedSink sink) throws IOException, InterruptedException;
        }

        public Stream header(String header) {
            headers.add(header);
            return this;
        }

        /** One SSE event (with an event name, or null for data only), sent as its own chunk and flushed. */
        public Stream event(String name, String data) {
            String text = (name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n";
            return raw(text);
        }

        public Stream data(String data) {
            return event(null, data);
        }

        public Stream raw(String text) {
            steps.add(sink -> {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                sink.writeUtf8(Integer.toHexString(bytes.length)).writeUtf8("\r\n").write(bytes).writeUtf8("\r\n");
                sink.flush();
            });
            return this;
        }

        /** Pauses, or stops pausing as soon as the test ends (so no server thread outlives it). */
        public Stream pause(long ms) {
            steps.add(sink -> release.await(ms, TimeUnit.MILLISECONDS));
            return this;
        }

        /** Waits (bounded) until the test says the client has seen what came before. */
        public Stream await(CountDownLatch signal) {
            steps.add(sink -> signal.await(STALL_BOUND_MS, TimeUnit.MILLISECONDS));
            return this;
        }

        /** Holds the connection open, silent, until the test ends. */
        public Stream stall() {
            steps.add(sink -> release.await(STALL_BOUND_MS, TimeUnit.MILLISECONDS));
            return this;
        }

        /** The chunked body's proper end: the stream ends cleanly, whatever its events said. */
        public Stream end() {
            steps.add(sink -> {
                sink.writeUtf8("0\r\n\r\n");
                sink.flush();
            });
            return this;
        }

        /** Enqueues the stream; the connection closes after the last step (mid-body unless {@link #end} came last). */
        public void enqueue() {
            MockResponse.Builder b = new MockResponse.Builder().code(200)
                    .removeHeader("Content-Length")
                    .addHeader("Content-Type", "text/event-stream")
                    .addHeader("Transfer-Encoding", "chunked")
                    .onResponseEnd(new SocketEffect.CloseSocket(true, false, false))
                    .socketHandler(socket -> {
                        BufferedSink sink = Okio.buffer(socket.getSink());
                        try {
                            for (Step step : steps) {
                                step.run(sink);
                            }
                        } catch (IOException e) {
                            // the client went away: nothing more to send
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
            for (String header : headers) {
                b.addHeader(header);
            }
            server.enqueue(b.build());
        }
    }

    // --- canned bodies -------------------------------------------------------------------------------------------

    public static String openAiAnswer(String text, String finishReason, String usage) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-test\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text + "\"},"
                + "\"finish_reason\":\"" + finishReason + "\"}]" + (usage == null ? "" : ",\"usage\":" + usage) + "}";
    }

    /** 20 prompt tokens of which 8 cached, 5 completion tokens of which 2 reasoning. */
    public static final String OPENAI_USAGE = "{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":8},\"completion_tokens_details\":{\"reasoning_tokens\":2}}";

    public static String openAiChunk(String content, String finishReason) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\","
                + "\"choices\":[{\"index\":0,\"delta\":{" + (content == null ? "" : "\"content\":\"" + content + "\"")
                + "},\"finish_reason\":" + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}],"
                + "\"usage\":null}";
    }

    public static String openAiUsageChunk() {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\","
                + "\"choices\":[],\"usage\":" + OPENAI_USAGE + "}";
    }

    public static String openAiError(String type, String code, String message) {
        return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":"
                + (code == null ? "null" : "\"" + code + "\"") + "}}";
    }

    public static String anthropicAnswer(String text, String stopReason) {
        return "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}],\"stop_reason\":\"" + stopReason + "\","
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":5,"
                + "\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":50}}";
    }

    public static String anthropicError(String type, String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}";
    }

    public static final String ANTHROPIC_MESSAGE_START = "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
            + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],"
            + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1,"
            + "\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":50}}}";
    public static final String ANTHROPIC_BLOCK_START =
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}";

    public static String anthropicDelta(String text) {
        return "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + text
                + "\"}}";
    }

    public static final String ANTHROPIC_BLOCK_STOP = "{\"type\":\"content_block_stop\",\"index\":0}";
    public static final String ANTHROPIC_MESSAGE_DELTA = "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
            + "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}";
    public static final String ANTHROPIC_MESSAGE_STOP = "{\"type\":\"message_stop\"}";
}
