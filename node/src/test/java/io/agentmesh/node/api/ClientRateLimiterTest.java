package io.agentmesh.node.api;

import io.agentmesh.node.limits.ClientLimits;
import io.agentmesh.node.limits.Limits;
import io.agentmesh.node.limits.PeerLimits;
import io.agentmesh.protocol.time.SystemClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The API's per-client limits: 429 with Retry-After over the rate or the concurrency, then disconnection. */
class ClientRateLimiterTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpApi api;
    private Limits limits;

    private void start(ClientLimits clientLimits) throws IOException {
        limits = new Limits(PeerLimits.defaults(), clientLimits);
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), new UnusedNodeOperations() { }, "limits-test",
                ApiAccess.Policy.none(), Optional.of(new ClientRateLimiter(limits, new SystemClock(), "limits-test")));
        api.start();
    }

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aClientOverItsRateGets429WithRetryAfterAndIsDisconnectedWhenItKeepsGoing() throws Exception {
        // Loopback limits apply to 127.0.0.1: 5 requests/s, a burst of 10, disconnected after 1 s over.
        start(new ClientLimits(1_000, 100, 5, 100, 1_000));
        for (int i = 0; i < 10; i++) {
            assertEquals(200, get("/healthz").statusCode(), "request " + i + " is within the burst");
        }
        HttpResponse<String> over = get("/healthz");
        assertEquals(429, over.statusCode());
        assertTrue(Long.parseLong(over.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        assertTrue(over.body().contains("over 5 requests/s"), over.body());
        assertEquals(1L, limits.counts().get("http").get("rate_limited"));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean disconnected = false;
        while (!disconnected && System.nanoTime() < deadline) {
            try {
                get("/healthz");
                Thread.sleep(20);
            } catch (IOException e) {
                disconnected = true; // closed with no answer
            }
        }
        assertTrue(disconnected, "a client still over its limit after 1 s is disconnected");
        assertTrue(limits.counts().get("http").get("rate_limit_disconnect") >= 1);
    }

    @Test
    void aClientUnderItsRateIsNeverSlowed() throws Exception {
        start(new ClientLimits(1_000, 100, 20, 100, 1_000));
        for (int i = 0; i < 30; i++) {
            assertEquals(200, get("/healthz").statusCode(), "request " + i);
            Thread.sleep(60); // ~16/s, under 20/s
        }
        assertEquals(0L, limits.counts().get("http").get("rate_limited"));
    }

    @Test
    void aClientOverItsConcurrentRequestsGets429UntilOneFinishes() throws Exception {
        start(new ClientLimits(1_000, 100, 1_000, 1, 30_000));
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        api.context("/slow", ex -> {
            inHandler.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (ex) {
                ex.sendResponseHeaders(204, -1);
            }
        });
        CompletableFuture<HttpResponse<String>> slow = HTTP.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + api.port() + "/slow")).build(), HttpResponse.BodyHandlers.ofString());
        if (!inHandler.await(10, TimeUnit.SECONDS)) {
            fail("the slow request never reached its handler");
        }
        HttpResponse<String> second = get("/healthz");
        assertEquals(429, second.statusCode());
        assertTrue(second.body().contains("over 1 concurrent requests"), second.body());
        release.countDown();
        assertEquals(204, slow.get(10, TimeUnit.SECONDS).statusCode());
        // The slot frees when the first request's handler returns, just after its answer reached the client.
        org.awaitility.Awaitility.await("admitted again once the first one finished").atMost(Duration.ofSeconds(5))
                .until(() -> get("/healthz").statusCode() == 200);
    }
}
