package io.agentmesh.node.net;

import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireException;
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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A stranger with a stock TLS client gets nothing from a node: without a client certificate the TLS handshake fails;
 * with a self-made certificate TLS succeeds, but all the node ever sends is one Goodbye saying "refused", whatever
 * the stranger sent and whatever the reason it hung up for.
 */
class OpensslClientTest {
    private static final long PROCESS_LIMIT_SECONDS = 15;

    @Test
    void opensslWithoutAClientCertificateGetsNoApplicationDataAndIsDisconnected(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("openssl"), "openssl is not installed");
        TestAgent agent = new TestAgent();
        try (TestNode node = TestNode.of(agent)) {
            Result r = run(dir, List.of("openssl", "s_client", "-quiet", "-tls1_3",
                    "-connect", "127.0.0.1:" + node.address.getPort()), null);
            assertEquals(0, r.stdout.length, "application data reached the client: " + r.stdoutText());
            assertTrue(r.exited, "the node did not close the connection");
            await().until(() -> node.net.stats().authFailures(AuthFailure.TLS_HANDSHAKE) == 1);
            assertTrue(node.events.events.isEmpty(), node.events.events.toString());
            assertEquals(0, node.net.stats().framesOut());
        }
    }

    /**
     * Whatever a stranger with a self-made certificate does after TLS (nothing, a crafted Hello the JSON-style
     * decoder chokes on, an unknown message type, an oversized frame), the node answers with the same bytes: one
     * Goodbye frame saying "refused". The reason is counted and logged on the node only.
     */
    @Test
    void aStrangerWithASelfMadeCertificateGetsTheSameGenericRefusalWhateverItSends(@TempDir Path dir)
            throws Exception {
        assumeTrue(onPath("openssl"), "openssl is not installed");
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        Result made = run(dir, List.of("openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1",
                "-subj", "/CN=stranger", "-keyout", key.toString(), "-out", cert.toString()), null);
        assumeTrue(made.exited && Files.exists(cert), "openssl cannot make an Ed25519 certificate here");
        byte[] goodbye = new WireCodec().encode(new WireMessage.Goodbye("refused"));
        byte[] expected = ByteBuffer.allocate(4 + goodbye.length).putInt(goodbye.length).put(goodbye).array();
        // A Hello (type 0) with an empty CBOR map: the decoder's own message names the missing property.
        byte[] crafted = {0, (byte) 0xa0};
        WireException parserSays = assertThrows(WireException.class, () -> new WireCodec().decode(crafted));
        assertTrue(parserSays.getMessage().length() > "refused".length(), parserSays.getMessage());
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        inputs.put("nothing", new byte[0]);
        inputs.put("crafted hello", frame(crafted));
        inputs.put("unknown type", frame(new byte[] {(byte) 0x7f, 0x13, 0x37}));
        inputs.put("oversized frame", new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3});

        TestAgent agent = new TestAgent();
        try (TestNode node = TestNode.of(agent, TestNode.config().withHandshakeTimeoutMs(1_000))) {
            for (Map.Entry<String, byte[]> input : inputs.entrySet()) {
                Path stdin = dir.resolve("stdin-" + input.getKey().replace(' ', '-'));
                Files.write(stdin, input.getValue());
                Result r = run(dir, List.of("openssl", "s_client", "-quiet", "-tls1_3", "-cert", cert.toString(),
                        "-key", key.toString(), "-connect", "127.0.0.1:" + node.address.getPort()), stdin);
                assertTrue(r.exited, input.getKey() + ": the node did not close the connection");
                assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(r.stdout),
                        input.getKey() + ": the stranger got more than the generic refusal: " + r.stdoutText());
                assertFalse(r.stdoutText().contains(parserSays.getMessage().substring(0, 10)), r.stdoutText());
            }
            // The node kept the reasons (they are agentmesh_rejected_inputs_total{source="transport"}).
            await().until(() -> node.net.stats().authFailures(AuthFailure.HANDSHAKE_TIMEOUT) == 1
                    && node.net.stats().malformedFrames() == 2 && node.net.stats().oversizedFrames() == 1);
            assertTrue(node.events.events.isEmpty(), node.events.events.toString());
            assertEquals(inputs.size(), node.net.stats().framesOut());
        }
    }

    private static byte[] frame(byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
    }

    private record Result(boolean exited, byte[] stdout) {
        String stdoutText() {
            return new String(stdout, StandardCharsets.ISO_8859_1);
        }
    }

    /** Runs {@code command} with {@code stdin} (null: empty), killing it after the limit. */
    private static Result run(Path dir, List<String> command, Path stdin) throws IOException, InterruptedException {
        File out = dir.resolve("stdout-" + System.nanoTime()).toFile();
        Process p = new ProcessBuilder(new ArrayList<>(command))
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(stdin == null ? new File("/dev/null") : stdin.toFile()))
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
