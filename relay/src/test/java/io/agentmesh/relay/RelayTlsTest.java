package io.agentmesh.relay;

import io.agentmesh.relay.protocol.RegistrationRecord;
import io.agentmesh.relay.protocol.RelayCodec;
import io.agentmesh.relay.protocol.RelayMessage;
import io.agentmesh.relay.tls.RelayFingerprint;
import io.agentmesh.relay.tls.RelayKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay's key, its fingerprint, and TLS on its connections as a client and an observer of the wire see them. */
class RelayTlsTest {

    @Test
    void theKeyIsMadeOnceOwnerOnlyAndPrintFingerprintShowsWhatTlsPresents(@TempDir Path home) throws Exception {
        RelayKey.Loaded made = RelayKey.loadOrCreate(home, new SecureRandom());
        assertTrue(made.created());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made.file())));
        RelayKey.Loaded again = RelayKey.loadOrCreate(home, new SecureRandom());
        assertFalse(again.created());
        assertEquals(made.key().fingerprint(), again.key().fingerprint());

        StringWriter out = new StringWriter();
        CommandLineCapture capture = new CommandLineCapture();
        assertEquals(0, capture.run(Map.of("AGENTMESH_HOME", home.resolve("elsewhere").toString()), "relay", "run",
                "--home", home.toString(), "--print-fingerprint"), capture.err);
        assertEquals(made.key().fingerprint().text(), capture.out.strip());

        try (RelayServer relay = new RelayServer(RelayConfig.loopback().withHttp("127.0.0.1", -1), made.key(),
                new io.agentmesh.protocol.time.SystemClock(), RelayTampering.NONE)) {
            relay.start();
            try (RawClient c = new RawClient(relay)) {
                assertEquals(made.key().fingerprint(),
                        RelayFingerprint.of(c.socket.getSession().getPeerCertificates()[0].getPublicKey()));
            }
        }
    }

    @Test
    void aKeyFileOthersCanReadIsRefusedWithTheFix(@TempDir Path home) throws Exception {
        Path file = RelayKey.loadOrCreate(home, new SecureRandom()).file();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RelayKey.loadOrCreate(home, new SecureRandom()));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(file, "not a key\n");
        assertThrows(IllegalArgumentException.class, () -> RelayKey.loadOrCreate(home, new SecureRandom()));
    }

    @Test
    void aClientPinnedToAnotherKeyIsRefusedByItsOwnTls() throws Exception {
        try (RelayServer relay = new RelayServer(RelayConfig.loopback().withHttp("127.0.0.1", -1))) {
            relay.start();
            RelayFingerprint other = RelayKey.generate(new SecureRandom()).fingerprint();
            try (SSLSocket s = (SSLSocket) RawClient.context(other).getSocketFactory().createSocket()) {
                s.connect(relay.address(), 5_000);
                SSLHandshakeException e = assertThrows(SSLHandshakeException.class, s::startHandshake);
                assertTrue(String.valueOf(e.getMessage()).contains(relay.fingerprint().text()), e.getMessage());
            }
        }
    }

    /** A client of the old plain-TCP protocol (or anything not TLS) gets no challenge, is closed and counted. */
    @Test
    void aPlainTcpClientIsClosedWithoutAChallengeAndCounted() throws Exception {
        try (RelayServer relay = new RelayServer(RelayConfig.loopback().withHttp("127.0.0.1", -1));
             Socket plain = new Socket()) {
            relay.start();
            plain.connect(relay.address(), 5_000);
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write(new byte[] {0, 0, 0, 3, 1, 2, 3});
            byte[] answer = plain.getInputStream().readAllBytes();
            // At most a TLS alert record (content type 21), never a relay frame.
            assertTrue(answer.length == 0 || answer[0] == 21, java.util.HexFormat.of().formatHex(answer));
            org.awaitility.Awaitility.await().until(() ->
                    relay.metrics().snapshot().get("tls_handshakes_failed_total") == 1);
            assertEquals(0, relay.registrationCount());
        }
    }

    /**
     * A passive observer between a node and the relay: the bytes on the wire hold neither the registration record,
     * nor the node's or agent's id, nor the lookup (in clear text before this change, all of them were there).
     */
    @Test
    void anObserverOfTheWireSeesNoRegistrationOrLookup() throws Exception {
        Keys agent = new Keys();
        Keys.Node node = agent.node();
        try (RelayServer relay = new RelayServer(RelayConfig.loopback().withHttp("127.0.0.1", -1));
             Tap tap = new Tap(relay.start())) {
            RawClient c = new RawClient(relay, tap.address(), true);
            RegistrationRecord record = node.record(1, System.currentTimeMillis() + 600_000,
                    new InetSocketAddress("10.9.8.7", 7700));
            c.send(RelayCodec.register(node.key(), c.nonce(), record));
            assertInstanceOf(RelayMessage.Registered.class, c.read());
            c.send(new RelayMessage.Lookup(node.certificate().agentId()));
            assertEquals(1, ((RelayMessage.Records) c.read()).records().size());
            c.close();
            byte[] wire = tap.seen();
            assertTrue(wire.length > 500, "the tap saw the exchange: " + wire.length + " bytes");
            for (byte[] secret : new byte[][] {record.toBytes(), node.key().verifyingKey().bytes(),
                    node.certificate().agentId().toString().getBytes(StandardCharsets.US_ASCII),
                    node.certificate().toBytes()}) {
                assertFalse(contains(wire, java.util.Arrays.copyOf(secret, Math.min(16, secret.length))),
                        "the observer saw part of a registration or lookup");
            }
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Runs the relay's command line, capturing what it prints. */
    private static final class CommandLineCapture {
        String out = "";
        String err = "";

        int run(Map<String, String> env, String... argv) {
            java.io.PrintStream oldOut = System.out;
            java.io.PrintStream oldErr = System.err;
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            System.setOut(new java.io.PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new java.io.PrintStream(e, true, StandardCharsets.UTF_8));
            try {
                return RelayMain.execute(env, argv);
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
                out = o.toString(StandardCharsets.UTF_8);
                err = e.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** A TCP forwarder on loopback that keeps a copy of every byte in both directions (one connection). */
    private static final class Tap implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        private final Thread acceptor;

        Tap(InetSocketAddress target) throws java.io.IOException {
            acceptor = Thread.ofPlatform().daemon().start(() -> {
                try (Socket in = server.accept(); Socket out = new Socket(target.getAddress(), target.getPort())) {
                    Thread back = Thread.ofPlatform().daemon().start(() -> pump(out, in));
                    pump(in, out);
                    back.join(5_000);
                } catch (Exception e) {
                    // the test ends the exchange by closing
                }
            });
        }

        InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        private void pump(Socket from, Socket to) {
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                byte[] b = new byte[8192];
                int n;
                while ((n = i.read(b)) > 0) {
                    synchronized (seen) {
                        seen.write(b, 0, n);
                    }
                    o.write(b, 0, n);
                    o.flush();
                }
            } catch (java.io.IOException e) {
                // closed
            }
        }

        byte[] seen() throws InterruptedException {
            acceptor.join(5_000);
            synchronized (seen) {
                return seen.toByteArray();
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }
}
