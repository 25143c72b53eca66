package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake LLM provider on loopback for the LLM benchmark: OpenAI chat completions, JSON or SSE (a content chunk per
 * word, the finish chunk, the usage chunk, {@code [DONE]}), answering at once with "answer from NAME", so a caller
 * can tell which provider answered a call that went through the gateway. It can be put into an outage and back:
 * {@link Outage#SILENT} accepts every request and never answers it (until the outage ends, when the held requests
 * are answered late, as a provider that recovers would), {@link Outage#REFUSING} closes its listening socket and
 * every connection, so new connections are refused. Each port stays the same across outages, since the nodes' llm.json
 * names it.
 */
final class LoopbackLlm implements AutoCloseable {
    /** How the provider fails while an outage lasts. */
    enum Outage { SILENT, REFUSING }

    private static final int MAX_BODY_BYTES = 1 << 20;
    private static final int BACKLOG = 256;
    /** A held request is answered at the latest after this, so no handler thread outlives a forgotten outage. */
    private static final long MAX_HOLD_MS = 900_000;
    private static final long REBIND_TIMEOUT_MS = 30_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final int port;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong requests = new AtomicLong();
    private HttpServer server;
    private volatile CountDownLatch silence = new CountDownLatch(0);
    private Outage outage;

    private LoopbackLlm(String name, HttpServer server) {
        this.name = name;
        this.server = server;
        this.port = server.getAddress().getPort();
    }

    /** Starts a provider named {@code name} on a free loopback port. */
    static LoopbackLlm start(String name) throws IOException {
        LoopbackLlm llm = new LoopbackLlm(name, HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), BACKLOG));
        llm.serve();
        return llm;
    }

    private void serve() {
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
    }

    String name() {
        return name;
    }

    /** The OpenAI base URL, {@code http://127.0.0.1:PORT/v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** Chat completion requests received (held ones included). */
    long requests() {
        return requests.get();
    }

    /** Starts an outage of the given kind; one at a time. */
    synchronized void fail(Outage kind) {
        if (outage != null) {
            throw new IllegalStateException(name + " is already in a " + outage + " outage");
        }
        outage = kind;
        switch (kind) {
            case SILENT -> silence = new CountDownLatch(1);
            case REFUSING -> server.stop(0);
        }
    }

    /** Ends the outage: held requests are answered, a closed socket listens again on the same port. */
    synchronized void recover() throws IOException, InterruptedException {
        if (outage == null) {
            return;
        }
        switch (outage) {
            case SILENT -> silence.countDown();
            case REFUSING -> {
                server = rebind();
                serve();
            }
        }
        outage = null;
    }

    private HttpServer rebind() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REBIND_TIMEOUT_MS);
        while (true) {
            try {
                return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), BACKLOG);
            } catch (BindException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(name + " could not listen on port " + port + " again within "
                            + REBIND_TIMEOUT_MS + " ms: " + e.getMessage(), e);
                }
                Thread.sleep(50);
            }
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("POST") || !ex.getRequestURI().getPath().equals("/v1/chat/completions")) {
                send(ex, 404, "application/json", "{\"error\":{\"message\":\"unknown URL\",\"type\":"
                        + "\"invalid_request_error\",\"param\":null,\"code\":\"unknown_url\"}}");
                return;
            }
            JsonNode request;
            try (InputStream in = ex.getRequestBody()) {
                request = JSON.readTree(in.readNBytes(MAX_BODY_BYTES));
            }
            long n = requests.incrementAndGet();
            CountDownLatch quiet = silence;
            if (quiet.getCount() > 0) {
                quiet.await(MAX_HOLD_MS, TimeUnit.MILLISECONDS);
            }
            String model = request.path("model").asText("bench-model");
            String id = "chatcmpl-" + name + "-" + n;
            String usage = "{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}";
            if (!request.path("stream").asBoolean(false)) {
                send(ex, 200, "application/json", "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":1,"
                        + "\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                        + "\"content\":\"answer from " + name + "\"},\"finish_reason\":\"stop\"}],\"usage\":" + usage
                        + "}");
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            String head = "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\""
                    + model + "\",\"choices\":";
            for (String piece : new String[]{"answer ", "from ", name}) {
                event(out, head + "[{\"index\":0,\"delta\":{\"content\":\"" + piece + "\"},\"finish_reason\":null}],"
                        + "\"usage\":null}");
            }
            event(out, head + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}");
            event(out, head + "[],\"usage\":" + usage + "}");
            event(out, "[DONE]");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the caller went away (the gateway aborts an attempt it timed out): nothing to answer
        }
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public synchronized void close() {
        silence.countDown();
        if (outage != Outage.REFUSING) {
            server.stop(0);
        }
        handlers.shutdownNow();
    }
}
