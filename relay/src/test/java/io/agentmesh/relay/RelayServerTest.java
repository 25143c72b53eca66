package io.agentmesh.relay;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.relay.protocol.ErrorCode;
import io.agentmesh.relay.protocol.RegistrationRecord;
import io.agentmesh.relay.protocol.RelayCodec;
import io.agentmesh.relay.protocol.RelayMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayServerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final TestClock clock = new TestClock();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final Keys agent = new Keys();
    private final InetSocketAddress addr = new InetSocketAddress("10.0.0.1", 7600);

    /** A wall clock the test moves (record expiry), over the real monotonic clock (circuit ages). */
    private static final class TestClock implements Clock {
        final AtomicLong wallMillis = new AtomicLong(System.currentTimeMillis());

        @Override
        public long nowMillis() {
            return wallMillis.get();
        }

        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private RelayServer start(RelayConfig config) {
        RelayServer r = new RelayServer(config, clock, RelayTampering.NONE);
        open.add(r);
        r.start();
        return r;
    }

    private RelayServer start(RelayConfig config, io.agentmesh.relay.limits.SourceLimits limits) {
        RelayServer r = new RelayServer(config, clock, RelayTampering.NONE, limits);
        open.add(r);
        r.start();
        return r;
    }

    @Test
    void aSourceOverItsRequestLimitWaitsItsTurnThenIsRefusedWhenItKeepsGoing() throws Exception {
        // 5 requests/s from one address (a burst of 10), refused after 1.5 s over it.
        RelayServer relay = start(RelayConfig.loopback(), new io.agentmesh.relay.limits.SourceLimits(5, 1_500));
        Keys.Node a = agent.node();
        RawClient c = register(relay, a, 1);
        AgentId id = a.certificate().agentId();
        long t0 = System.nanoTime();
        for (int i = 0; i < 40; i++) {
            c.send(new RelayMessage.Lookup(id));
        }
        int answered = 0;
        RelayMessage m;
        while ((m = c.read()) instanceof RelayMessage.Records) {
            answered++;
        }
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(ErrorCode.RATE_LIMITED, ((RelayMessage.Error) m).code());
        assertTrue(answered >= 9 && answered < 40, "the burst is answered, then the rest waits: " + answered);
        assertTrue(elapsedMs >= 1_000, "slowed before it was refused: " + elapsedMs + " ms");
        assertTrue(relay.metrics().controlRequestsSlowed() > 0);
        assertEquals(1, relay.metrics().refusals(ErrorCode.RATE_LIMITED));
        assertTrue(c.closedByRelay());
    }

    @Test
    void aSourceUnderItsRequestLimitIsNeverSlowed() throws Exception {
        RelayServer relay = start(RelayConfig.loopback(), new io.agentmesh.relay.limits.SourceLimits(20, 1_500));
        Keys.Node a = agent.node();
        RawClient c = register(relay, a, 1);
        for (int i = 0; i < 20; i++) {
            c.send(new RelayMessage.Lookup(a.certificate().agentId()));
            assertInstanceOf(RelayMessage.Records.class, c.read());
            Thread.sleep(100); // 10/s, under 20/s
        }
        assertEquals(0, relay.metrics().controlRequestsSlowed());
    }

    private RawClient client(RelayServer relay) throws Exception {
        RawClient c = new RawClient(relay);
        open.add(c);
        return c;
    }

    private RegistrationRecord record(Keys.Node n, long seq) {
        return n.record(seq, clock.nowMillis() + 600_000, addr);
    }

    /** Registers {@code n} on a new control connection and returns it. */
    private RawClient register(RelayServer relay, Keys.Node n, long seq) throws Exception {
        RawClient c = client(relay);
        c.send(RelayCodec.register(n.key(), c.nonce(), record(n, seq)));
        assertInstanceOf(RelayMessage.Registered.class, c.read());
        return c;
    }

    /** Asks to register {@code n} on a new control connection and returns the relay's refusal. */
    private RelayMessage.Error refusedRegistration(RelayServer relay, Keys.Node n, long seq) throws Exception {
        RawClient c = client(relay);
        c.send(RelayCodec.register(n.key(), c.nonce(), record(n, seq)));
        return c.readError();
    }

    @Test
    void registeredNodesAreFoundByLookupsOfTheirOwnAgentOnly() throws Exception {
        RelayServer relay = start(RelayConfig.loopback());
        Keys.Node a = agent.node();
        Keys.Node b = agent.node();
        RawClient ca = client(relay);
        assertEquals(RelayCodec.PROTOCOL_VERSION, ca.challenge.version());
        assertEquals(ca.socket.getLocalPort(), ca.challenge.observed().getPort(), "the relay says where it sees us");
        ca.send(RelayCodec.register(a.key(), ca.nonce(), record(a, 1)));
        RelayMessage.Registered ok = (RelayMessage.Registered) ca.read();
        register(relay, b, 1);

        AgentId id = a.certificate().agentId();
        ca.send(new RelayMessage.Lookup(id));
        RelayMessage.Records records = (RelayMessage.Records) ca.read();
        assertEquals(2, records.records().size());
        // A refresh signs the nonce the relay handed out last.
        ca.send(RelayCodec.register(a.key(), ok.nextNonce(), record(a, 2)));
        assertInstanceOf(RelayMessage.Registered.class, ca.read());
        ca.send(new RelayMessage.Lookup(id));
        List<Long> seqs = ((RelayMessage.Records) ca.read()).records().stream().map(r -> {
            try {
                return RegistrationRecord.fromBytes(r);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).filter(r -> r.nodeId().equals(a.id())).map(RegistrationRecord::sequence).toList();
        assertEquals(List.of(2L), seqs);

        ca.send(new RelayMessage.Lookup(AgentId.of(new Keys().root.verifyingKey())));
        assertEquals(ErrorCode.NOT_ALLOWED, ca.readError().code());
        assertTrue(ca.closedByRelay());
        assertEquals(2, relay.registrationCount(), "the record stays after its control connection closed");
        assertEquals(1, relay.metrics().refusals(ErrorCode.NOT_ALLOWED));
    }

    @Test
    void badRequestsAreRefusedWithTheirReason() throws Exception {
        RelayServer relay = start(RelayConfig.loopback());
        Keys.Node a = agent.node();

        RawClient wrongNonce = client(relay);
        wrongNonce.send(RelayCodec.register(a.key(), new byte[RelayMessage.NONCE_BYTES], record(a, 1)));
        assertEquals(ErrorCode.BAD_PROOF, wrongNonce.readError().code());

        RawClient otherKey = client(relay);
        otherKey.send(RelayCodec.register(agent.node().key(), otherKey.nonce(), record(a, 1)));
        assertEquals(ErrorCode.BAD_PROOF, otherKey.readError().code());

        RawClient version = client(relay);
        RelayMessage.Register good = RelayCodec.register(a.key(), version.nonce(), record(a, 1));
        version.send(new RelayMessage.Register(99, good.record(), good.proof()));
        RelayMessage.Error v = version.readError();
        assertEquals(ErrorCode.VERSION, v.code());
        assertTrue(v.message().contains("99"), v.message());

        RawClient expired = client(relay);
        expired.send(RelayCodec.register(a.key(), expired.nonce(), a.record(1, clock.nowMillis() - 1, addr)));
        RelayMessage.Error e = expired.readError();
        assertEquals(ErrorCode.BAD_RECORD, e.code());
        assertTrue(e.message().contains("EXPIRED"), e.message());

        RawClient lookupFirst = client(relay);
        lookupFirst.send(new RelayMessage.Lookup(a.certificate().agentId()));
        assertEquals(ErrorCode.PROTOCOL, lookupFirst.readError().code());

        RawClient garbage = client(relay);
        garbage.sendRaw(new byte[] {0, 0, 0, 3, 42, 1, 2});
        assertEquals(ErrorCode.PROTOCOL, garbage.readError().code());

        RawClient huge = client(relay);
        huge.sendRaw(new byte[] {0x7F, 0, 0, 0});
        RelayMessage.Error h = huge.readError();
        assertEquals(ErrorCode.PROTOCOL, h.code());
        assertTrue(h.message().contains("limit"), h.message());

        register(relay, a, 5);
        assertEquals(ErrorCode.REPLAYED, refusedRegistration(relay, a, 4).code());
        assertTrue(relay.metrics().prometheus().contains("agentmesh_relay_refusals_total{reason=\"BAD_PROOF\"} 2"));
        assertEquals(0, relay.openCircuitCount());
    }

    @Test
    void registrationCapsAreClearErrors() throws Exception {
        RelayServer relay = start(RelayConfig.loopback().withRegistrationCaps(3, 2));
        register(relay, agent.node(), 1);
        Keys.Node second = agent.node();
        register(relay, second, 1);
        RawClient third = client(relay);
        third.send(RelayCodec.register(agent.node().key(), third.nonce(), record(agent.node(), 1)));
        // (proof by another key than the record's: refused before any cap)
        assertEquals(ErrorCode.BAD_PROOF, third.readError().code());
        RelayMessage.Error e = refusedRegistration(relay, agent.node(), 1);
        assertEquals(ErrorCode.CAP_AGENT_REGISTRATIONS, e.code());
        assertTrue(e.message().contains("--max-registrations-per-agent"), e.message());
        // A refresh of a registered node is not a new registration.
        register(relay, second, 2);
        Keys other = new Keys();
        register(relay, other.node(), 1);
        RelayMessage.Error t = refusedRegistration(relay, other.node(), 1);
        assertEquals(ErrorCode.CAP_REGISTRATIONS, t.code());
        assertTrue(t.message().contains("--max-registrations"), t.message());
        assertEquals(3, relay.registrationCount());
    }

    @Test
    void registrationsExpire() throws Exception {
        RelayServer relay = start(RelayConfig.loopback());
        Keys.Node a = agent.node();
        RawClient c = client(relay);
        c.send(RelayCodec.register(a.key(), c.nonce(), a.record(1, clock.nowMillis() + 5_000, addr)));
        RelayMessage.Registered ok = (RelayMessage.Registered) c.read();
        clock.wallMillis.addAndGet(5_001);
        await().atMost(WAIT).until(() -> relay.registrationCount() == 0);
        c.send(new RelayMessage.Lookup(a.certificate().agentId()));
        assertEquals(0, ((RelayMessage.Records) c.read()).records().size());
        assertEquals(1, relay.metrics().snapshot().get("registrations_expired_total"));
        assertTrue(ok.expiresAt() > 0);
    }

    @Test
    void aCircuitSplicesTwoConnectionsAndForwardsEveryByteBothWays() throws Exception {
        RelayServer relay = start(RelayConfig.loopback());
        Keys.Node target = agent.node();
        Keys.Node source = agent.node();
        RawClient control = register(relay, target, 1);

        RawClient dialer = client(relay);
        dialer.send(RelayCodec.connect(source.key(), source.certificate().toBytes(), dialer.nonce(), target.id()));
        dialer.sendRaw("early".getBytes()); // before Connected: forwarded once spliced
        RelayMessage.Incoming incoming = (RelayMessage.Incoming) control.read();
        assertEquals(source.id(), incoming.source());

        RawClient attach = client(relay);
        attach.send(RelayCodec.attach(target.key(), attach.nonce(), incoming.circuitId()));
        assertArrayEquals(incoming.circuitId(), ((RelayMessage.Attached) attach.read()).circuitId());
        assertArrayEquals(incoming.circuitId(), ((RelayMessage.Connected) dialer.read()).circuitId());
        assertEquals("early", new String(attach.readRaw(5)));
        assertEquals(1, relay.openCircuitCount());

        byte[] big = new byte[2 * 1024 * 1024];
        new Random(7).nextBytes(big);
        Thread writer = new Thread(() -> {
            try {
                dialer.sendRaw(big);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        assertArrayEquals(big, attach.readRaw(big.length));
        writer.join(10_000);
        attach.sendRaw("pong".getBytes());
        assertEquals("pong", new String(dialer.readRaw(4)));

        dialer.close();
        assertTrue(attach.closedByRelay());
        await().atMost(WAIT).until(() -> relay.openCircuitCount() == 0);
        assertEquals(1, relay.metrics().snapshot().get("circuits_closed_total"));
        assertTrue(relay.metrics().snapshot().get("circuit_bytes_total") >= big.length + 9);
    }

    @Test
    void circuitRequestsAreCheckedAndCapped() throws Exception {
        RelayServer relay = start(RelayConfig.loopback().withCircuitCaps(10, 1).withTimeouts(10_000, 60_000, 300));
        Keys.Node target = agent.node();
        Keys.Node source = agent.node();
        RawClient control = register(relay, target, 1);

        RawClient unknown = client(relay);
        unknown.send(RelayCodec.connect(source.key(), source.certificate().toBytes(), unknown.nonce(), source.id()));
        assertEquals(ErrorCode.UNKNOWN_TARGET, unknown.readError().code());

        Keys.Node stranger = new Keys().node();
        RawClient foreign = client(relay);
        foreign.send(RelayCodec.connect(stranger.key(), stranger.certificate().toBytes(), foreign.nonce(),
                target.id()));
        assertEquals(ErrorCode.NOT_ALLOWED, foreign.readError().code());

        RawClient forged = client(relay);
        forged.send(RelayCodec.connect(stranger.key(), source.certificate().toBytes(), forged.nonce(), target.id()));
        assertEquals(ErrorCode.BAD_PROOF, forged.readError().code());

        // The target never attaches: the dialer hears why.
        RawClient waiting = client(relay);
        waiting.send(RelayCodec.connect(source.key(), source.certificate().toBytes(), waiting.nonce(), target.id()));
        RelayMessage.Incoming in = (RelayMessage.Incoming) control.read();
        RelayMessage.Error timeout = waiting.readError();
        assertEquals(ErrorCode.ATTACH_TIMEOUT, timeout.code());
        RawClient late = client(relay);
        late.send(RelayCodec.attach(target.key(), late.nonce(), in.circuitId()));
        assertEquals(ErrorCode.UNKNOWN_CIRCUIT, late.readError().code());

        // One circuit per node: a second one to the same target is refused while the first is open.
        RawClient first = client(relay);
        first.send(RelayCodec.connect(source.key(), source.certificate().toBytes(), first.nonce(), target.id()));
        RelayMessage.Incoming in1 = (RelayMessage.Incoming) control.read();
        RawClient attach1 = client(relay);
        attach1.send(RelayCodec.attach(target.key(), attach1.nonce(), in1.circuitId()));
        assertInstanceOf(RelayMessage.Attached.class, attach1.read());
        assertInstanceOf(RelayMessage.Connected.class, first.read());
        Keys.Node third = agent.node();
        RawClient second = client(relay);
        second.send(RelayCodec.connect(third.key(), third.certificate().toBytes(), second.nonce(), target.id()));
        RelayMessage.Error capped = second.readError();
        assertEquals(ErrorCode.CAP_NODE_CIRCUITS, capped.code());
        assertTrue(capped.message().contains("--max-circuits-per-node"), capped.message());

        // Closing the open circuit frees the slot.
        first.close();
        await().atMost(WAIT).until(() -> relay.openCircuitCount() == 0);
        RawClient again = client(relay);
        again.send(RelayCodec.connect(third.key(), third.certificate().toBytes(), again.nonce(), target.id()));
        assertInstanceOf(RelayMessage.Incoming.class, control.read());
    }

    @Test
    void aCircuitIsClosedAtItsByteLimit() throws Exception {
        RelayServer relay = start(RelayConfig.loopback().withCircuitLimits(10_000, 3_600_000));
        Keys.Node target = agent.node();
        Keys.Node source = agent.node();
        RawClient control = register(relay, target, 1);
        RawClient dialer = client(relay);
        dialer.send(RelayCodec.connect(source.key(), source.certificate().toBytes(), dialer.nonce(), target.id()));
        RelayMessage.Incoming in = (RelayMessage.Incoming) control.read();
        RawClient attach = client(relay);
        attach.send(RelayCodec.attach(target.key(), attach.nonce(), in.circuitId()));
        attach.read();
        dialer.read();
        dialer.sendRaw(new byte[5_000]);
        attach.readRaw(5_000);
        try {
            dialer.sendRaw(new byte[6_000]);
        } catch (IOException ignored) {
            // the relay may already have closed it
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = attach.in.read()) >= 0) {
                got.write(b);
            }
        } catch (IOException ignored) {
            // closed
        }
        assertEquals(0, got.size(), "nothing past the limit is forwarded");
        await().atMost(WAIT).until(() -> relay.metrics().snapshot().get("circuits_closed_byte_limit_total") == 1);
    }

    @Test
    void connectionCapAndHttpEndpoints() throws Exception {
        RelayServer relay = start(RelayConfig.loopback().withMaxConnections(2));
        client(relay);
        client(relay);
        RawClient third = new RawClient(relay, false);
        open.add(third);
        RelayMessage.Error full = third.readError();
        assertEquals(ErrorCode.CAP_CONNECTIONS, full.code());
        assertTrue(full.message().contains("--max-connections"), full.message());
        assertTrue(third.closedByRelay());
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://" + HostPort.format(relay.httpAddress());
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertEquals("ok\n", health.body());
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("# TYPE agentmesh_relay_circuits_opened_total counter"), metrics.body());
        assertTrue(metrics.body().contains("agentmesh_relay_refusals_total{reason=\"CAP_CONNECTIONS\"} 1"),
                metrics.body());
        assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/nope")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void aRestartedRelayStartsEmptyOnTheSamePort() throws Exception {
        RelayServer relay = start(RelayConfig.loopback());
        register(relay, agent.node(), 1);
        int port = relay.address().getPort();
        relay.close();
        RelayServer again = start(RelayConfig.loopback().withListen("127.0.0.1", port));
        assertEquals(0, again.registrationCount());
        register(again, agent.node(), 1);
        assertEquals(1, again.registrationCount());
        assertTrue(Arrays.asList(ErrorCode.values()).size() > 10);
    }
}
