package io.agentmesh.node.net;

import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.relay.HostPort;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import io.agentmesh.relay.RelayTampering;
import io.agentmesh.relay.tls.RelayFingerprint;
import io.agentmesh.relay.tls.RelayKey;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node trusts a relay's key only as pinned, or as first seen when unpinned; another key is refused by name. */
class RelayPinningTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    @AutoClose
    private final ClosedAfterEach open = new ClosedAfterEach();
    private final TestAgent agent = new TestAgent();

    private RelayServer relay(RelayConfig config) {
        RelayServer r = new RelayServer(config, RelayKey.generate(new SecureRandom()), new SystemClock(),
                RelayTampering.NONE);
        open.add(r);
        r.start();
        return r;
    }

    private MeshNode node(RelayClientConfig config) {
        MeshNode n = new MeshNode(agent, RelayMeshTest.netConfig(), config.withBackoff(50, 200), 100);
        open.add(n);
        return n.start();
    }

    private static String lastError(MeshNode n) {
        return n.relays.relays().getFirst().lastError();
    }

    @Test
    void aWrongPinIsRefusedNamingBothKeysAndNothingIsRegistered() {
        RelayServer relay = relay(RelayConfig.loopback());
        RelayFingerprint wrong = RelayKey.generate(new SecureRandom()).fingerprint();
        String name = HostPort.format(relay.address());
        MeshNode n = node(RelayClientConfig.defaults(List.of(relay.address())).withPins(Map.of(name, wrong)));
        await().atMost(WAIT).until(() -> lastError(n) != null);
        String error = lastError(n);
        assertTrue(error.contains(relay.fingerprint().text()) && error.contains(wrong.text()), error);
        assertTrue(error.contains("not the pinned"), error);
        assertFalse(n.relays.relays().getFirst().registered());
        assertEquals(0, relay.registrationCount());
    }

    @Test
    void theRightPinRegisters() {
        RelayServer relay = relay(RelayConfig.loopback());
        MeshNode n = node(RelayMeshTest.relayConfig(relay));
        await().atMost(WAIT).until(() -> n.relays.relays().getFirst().registered());
        assertEquals(1, relay.registrationCount());
    }

    @Test
    void anUnpinnedRelayIsTrustedOnFirstUseRecordedAndAnotherKeyThereLaterIsRefused(@TempDir Path state)
            throws Exception {
        RelayServer first = relay(RelayConfig.loopback().withHttp("127.0.0.1", -1));
        Path known = state.resolve(RelayClient.KNOWN_RELAYS_FILE);
        RelayClientConfig config = RelayClientConfig.defaults(List.of(first.address())).withKnownRelaysFile(known);
        MeshNode a = node(config);
        await().atMost(WAIT).until(() -> a.relays.relays().getFirst().registered());
        String name = HostPort.format(first.address());
        assertTrue(Files.readString(known).contains(name + " " + first.fingerprint()), Files.readString(known));
        a.close();
        int port = first.address().getPort();
        first.close();

        // Another relay (another key) on the same address: a node that read the file refuses it.
        RelayServer impostor = relay(RelayConfig.loopback().withListen("127.0.0.1", port).withHttp("127.0.0.1", -1));
        MeshNode b = node(config);
        await().atMost(WAIT).until(() -> lastError(b) != null && lastError(b).contains("first use"));
        String error = lastError(b);
        assertTrue(error.contains(first.fingerprint().text()) && error.contains(impostor.fingerprint().text()),
                error);
        assertTrue(error.contains(known.toString()), error);
        assertEquals(0, impostor.registrationCount());
        assertTrue(Files.readString(known).contains(first.fingerprint().text()), "the recorded key stays");
    }
}
