package io.agentmesh.node.llm.provider;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.ProviderKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failures below HTTP: nothing listening, a connection reset or closed after the request was sent. */
@Timeout(30)
class TransportFailureTest extends ProviderTestSupport {

    @Test
    void aRefusedConnectionIsConnectAndNothingReachedTheProvider() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        LlmProvider provider = provider(ProviderKind.OPENAI, URI.create("http://127.0.0.1:" + port + "/v1"),
                Optional.empty());

        AttemptResult.Failed failed = failed(provider.call(request("gpt-test"), new AttemptCancel()),
                ErrorClass.CONNECT);

        assertFalse(failed.error().possiblyBilled());
        assertEquals(0, failed.httpStatus());
    }

    @Test
    void aResetAfterTheRequestWasSentIsACutThatMayHaveBeenBilled() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread resetter = Thread.ofVirtual().start(() -> {
                try (Socket socket = server.accept()) {
                    readRequestHead(socket.getInputStream());
                    requests.incrementAndGet();
                    socket.setSoLinger(true, 0); // close with RST
                } catch (IOException e) {
                    // the test fails on the result below
                }
            });
            LlmProvider provider = provider(ProviderKind.OPENAI,
                    URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1"), Optional.empty());

            AttemptResult.Failed failed = failed(provider.call(request("gpt-test"), new AttemptCancel()),
                    ErrorClass.STREAM_CUT);

            resetter.join(5_000);
            assertTrue(failed.error().possiblyBilled());
            assertEquals(1, requests.get(), "requests on the wire");
        }
    }

    @Test
    void aConnectionClosedBeforeAnyResponseIsACut() {
        LlmProvider provider = provider(ProviderKind.ANTHROPIC, fake.baseUrl("/v1"), Optional.empty());
        fake.enqueue(FakeProvider.closeBeforeResponse());

        failed(provider.stream(request("claude-test"), new BoundedTextSink(1_000), new AttemptCancel()),
                ErrorClass.STREAM_CUT);
        assertRequestsOnTheWire(1);
    }

    /** Reads up to the end of the request's headers: enough to know the request arrived. */
    private static void readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < end.length && (b = in.read()) != -1) {
            matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
        }
    }
}
