package io.agentmesh.node.net;

import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A stranger with a stock TLS client gets nothing from a node: without a client certificate the TLS handshake fails;
 * with a self-made certificate TLS succeeds but the node, waiting for a Hello it never gets, sends nothing about
 * itself: only a Goodbye with the reason when it hangs up at the handshake timeout.
 */
class OpensslClientTest {
    private static final long PROCESS_LIMIT_SECONDS = 15;

    @Test
    void opensslWithoutAClientCertificateGetsNoApplicationDataAndIsDisconnected(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("openssl"), "openssl is not installed");
        TestAgent agent = new TestAgent();
        try (TestNode node = TestNode.of(agent)) {
            Result r = run(dir, List.of("openssl", "s_client", "-quiet", "-tls1_3",
                    "-connect", "127.0.0.1:" + node.address.getPort()));
            assertEquals(0, r.stdout.length, "application data reached the client: " + r.stdoutText());
            assertTrue(r.exited, "the node did not close the connection");
            await().until(() -> node.net.stats().authFailures(AuthFailure.TLS_HANDSHAKE) == 1);
            assertTrue(node.events.events.isEmpty(), node.events.events.toString());
            assertEquals(0, node.net.stats().framesOut());
        }
    }

    @Test
    void opensslWithASelfMadeCertificateFinishesTlsButGetsOnlyAGoodbye(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("openssl"), "openssl is not installed");
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        Result made = run(dir, List.of("openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1",
                "-subj", "/CN=stranger", "-keyout", key.toString(), "-out", cert.toString()));
        assumeTrue(made.exited && Files.exists(cert), "openssl cannot make an Ed25519 certificate here");
        TestAgent agent = new TestAgent();
        try (TestNode node = TestNode.of(agent, TestNode.config().withHandshakeTimeoutMs(500))) {
            Result r = run(dir, List.of("openssl", "s_client", "-quiet", "-tls1_3", "-cert", cert.toString(),
                    "-key", key.toString(), "-connect", "127.0.0.1:" + node.address.getPort()));
            // All it gets is one frame: a Goodbye saying why.
            assertTrue(r.exited, "the node did not close the connection");
            ByteBuffer data = ByteBuffer.wrap(r.stdout);
            assertTrue(data.remaining() > 4, "expected a Goodbye frame, got: " + r.stdoutText());
            int length = data.getInt();
            assertEquals(data.remaining(), length, "exactly one frame: " + r.stdoutText());
            WireMessage frame = new WireCodec().decode(r.stdout, 4, length);
            WireMessage.Goodbye bye = assertInstanceOf(WireMessage.Goodbye.class, frame);
            assertTrue(bye.reason().contains("HANDSHAKE_TIMEOUT"), bye.reason());
            await().until(() -> node.net.stats().authFailures(AuthFailure.HANDSHAKE_TIMEOUT) == 1);
            assertTrue(node.events.events.isEmpty(), node.events.events.toString());
            assertEquals(1, node.net.stats().framesOut());
        }
    }

    private record Result(boolean exited, byte[] stdout) {
        String stdoutText() {
            return new String(stdout, StandardCharsets.ISO_8859_1);
        }
    }

    /** Runs {@code command} with empty stdin, killing it after the limit. */
    private static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        File out = dir.resolve("stdout-" + System.nanoTime()).toFile();
        Process p = new ProcessBuilder(new ArrayList<>(command))
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            boolean exited = p.waitFor(PROCESS_LIMIT_SECONDS, TimeUnit.SECONDS);
            return new Result(exited, Files.readAllBytes(out.toPath()));
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (new File(d, program).canExecute()) {
                return true;
            }
        }
        return false;
    }
}
