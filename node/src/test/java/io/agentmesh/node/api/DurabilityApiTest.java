package io.agentmesh.node.api;

import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.replication.MajorityTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code durability} parameter of the write endpoints: absent means local, "majority" reaches the node as
 * MAJORITY, anything else is 400 before the node is asked; a majority that did not confirm in time is 503 with the
 * node's message.
 */
class DurabilityApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private HttpApi api;
    private final Node node = new Node();

    /** A node that records the durability each write asked for, and fails majority writes when told to. */
    private static final class Node extends UnusedNodeOperations {
        final List<String> writes = new ArrayList<>();
        boolean majorityTimesOut;

        private <T> CompletableFuture<T> write(String what, Durability durability, T result) {
            writes.add(what + " " + durability.text());
            if (durability == Durability.MAJORITY && majorityTimesOut) {
                return CompletableFuture.failedFuture(new MajorityTimeoutException(5_000, "1 of 3 voters hold it, 2"
                        + " needed"));
            }
            return CompletableFuture.completedFuture(result);
        }

        public CompletableFuture<Object> appendMemory(String kind, String text, List<String> tags,
                                                      Durability durability) {
            return write("memory", durability, Map.of("id", "m1"));
        }

        public CompletableFuture<Void> replaceNotes(String text, Durability durability) {
            return write("notes", durability, null);
        }

        public CompletableFuture<Object> upsertTask(String id, String title, String status, String detail,
                                                    Durability durability) {
            return write("task", durability, Map.of("id", id));
        }

        public CompletableFuture<List<?>> memory(int limit) {
            return CompletableFuture.completedFuture(List.of());
        }
    }

    @BeforeEach
    void start() throws IOException {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), node, "durability-test");
        api.start();
    }

    @AfterEach
    void close() {
        api.close();
    }

    private HttpResponse<String> call(String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .method(method, HttpRequest.BodyPublishers.ofString("{\"text\":\"x\",\"id\":\"t\",\"title\":\"t\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eachWriteEndpointPassesTheDurabilityItWasAskedFor() throws Exception {
        assertEquals(201, call("POST", "/v1/memory").statusCode());
        assertEquals(201, call("POST", "/v1/memory?durability=majority").statusCode());
        assertEquals(201, call("POST", "/v1/memory?durability=LOCAL").statusCode());
        assertEquals(204, call("PUT", "/v1/notes?durability=majority").statusCode());
        assertEquals(200, call("POST", "/v1/tasks?durability=majority").statusCode());
        assertEquals(List.of("memory local", "memory majority", "memory local", "notes majority", "task majority"),
                node.writes);
    }

    @Test
    void anUnknownDurabilityIs400AndTheNodeIsNotAsked() throws Exception {
        for (String[] c : new String[][] {{"POST", "/v1/memory"}, {"PUT", "/v1/notes"}, {"POST", "/v1/tasks"}}) {
            HttpResponse<String> r = call(c[0], c[1] + "?durability=quorum");
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("durability must be 'local' or 'majority', got 'quorum'"), r.body());
        }
        assertEquals(List.of(), node.writes);
    }

    @Test
    void aMajorityThatDidNotConfirmInTimeIs503SayingTheWriteIsDurableHere() throws Exception {
        node.majorityTimesOut = true;
        for (String[] c : new String[][] {{"POST", "/v1/memory"}, {"PUT", "/v1/notes"}, {"POST", "/v1/tasks"}}) {
            HttpResponse<String> r = call(c[0], c[1] + "?durability=majority");
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().contains("durable on this node, not yet acknowledged by a majority: the write is"
                    + " durable here and will replicate, but a majority of the voters did not confirm it within"
                    + " 5000 ms (1 of 3 voters hold it, 2 needed)"), r.body());
        }
        assertEquals(201, call("POST", "/v1/memory").statusCode(), "a local write is not affected");
    }
}
