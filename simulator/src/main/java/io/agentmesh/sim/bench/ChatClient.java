package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The LLM benchmark's caller: one OpenAI chat completion, JSON or streamed, to any base URL (a fake provider's
 * {@code /v1}, or a node's {@code /llm/openai/v1}), timed on this process's monotonic clock. The same code calls both,
 * so their difference is the gateway's. A stream's first token is the first chunk whose delta carries text.
 */
final class ChatClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ANSWER_CHARS = 4096;

    /**
     * One call: its HTTP status (0: no answer, {@code error} says why), start, end and first-token times (nanoTime;
     * first token -1 when none), and the answer's text.
     */
    record Call(int status, long startNanos, long endNanos, long firstTokenNanos, String text, String error) {
        boolean ok() {
            return status == 200 && error == null;
        }

        long latencyNanos() {
            return endNanos - startNanos;
        }

        long timeToFirstTokenNanos() {
            return firstTokenNanos < 0 ? -1 : firstTokenNanos - startNanos;
        }

        /** Whether provider {@code name} answered it (the fake providers sign their answers). */
        boolean answeredBy(String name) {
            return ok() && text.endsWith("from " + name);
        }
    }

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(executor).build();

    /** A call of {@code model} with one short user message and at most 16 output tokens. */
    Call call(String baseUrl, String model, boolean stream, Duration timeout) {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Say hello.\"}]" + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")
                + "}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/chat/completions")).timeout(timeout)
                .header("Content-Type", "application/json").header("Authorization", "Bearer bench")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        try {
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    String text = new String(in.readNBytes(MAX_ANSWER_CHARS), StandardCharsets.UTF_8);
                    return new Call(r.statusCode(), start, System.nanoTime(), -1, text, "HTTP " + r.statusCode()
                            + ": " + oneLine(text));
                }
                return stream ? readStream(in, start) : readAnswer(in, start);
            }
        } catch (IOException e) {
            return new Call(0, start, System.nanoTime(), -1, "", e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Call(0, start, System.nanoTime(), -1, "", "interrupted");
        }
    }

    private static Call readAnswer(InputStream in, long start) throws IOException {
        JsonNode answer = JSON.readTree(in.readNBytes(1 << 20));
        long end = System.nanoTime();
        JsonNode content = answer.at("/choices/0/message/content");
        if (!content.isTextual()) {
            return new Call(200, start, end, -1, "", "no choices[0].message.content: " + oneLine(answer.toString()));
        }
        return new Call(200, start, end, end, content.asText(), null);
    }

    private static Call readStream(InputStream in, long start) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder text = new StringBuilder();
        long first = -1;
        boolean done = false;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (!line.startsWith("data:")) {
                continue;
            }
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) {
                done = true;
                break;
            }
            JsonNode chunk = JSON.readTree(data);
            if (chunk.has("error")) {
                return new Call(200, start, System.nanoTime(), first, text.toString(), "error in the stream: "
                        + oneLine(data));
            }
            JsonNode piece = chunk.at("/choices/0/delta/content");
            if (piece.isTextual() && !piece.asText().isEmpty()) {
                if (first < 0) {
                    first = System.nanoTime();
                }
                if (text.length() < MAX_ANSWER_CHARS) {
                    text.append(piece.asText());
                }
            }
        }
        long end = System.nanoTime();
        return new Call(200, start, end, first, text.toString(), done ? null : "the stream ended without [DONE]");
    }

    private static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    @Override
    public void close() {
        http.shutdownNow();
        executor.shutdownNow();
    }
}
