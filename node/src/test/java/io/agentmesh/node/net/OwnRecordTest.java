package io.agentmesh.node.net;

import io.agentmesh.node.port.ManualClock;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.relay.protocol.RegistrationRecord;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OwnRecordTest {
    private static final long TTL_MS = 30_000;
    private final TestAgent agent = new TestAgent();
    private final SigningKey key = TestAgent.newNodeKey();
    private final ManualClock clock = new ManualClock(System.currentTimeMillis());

    private OwnRecord record(List<InetSocketAddress> advertised) {
        return new OwnRecord(key, agent.certify(key), advertised, () -> 7700, clock, TTL_MS);
    }

    @Test
    void theRecordIsKeptForAThirdOfItsLifeThenReSignedWithAHigherSequence() {
        OwnRecord own = record(List.of(new InetSocketAddress("10.0.0.1", 7700)));
        RegistrationRecord first = own.current();
        clock.nowMillis += TTL_MS / 3 - 1;
        assertSame(first, own.current());
        clock.nowMillis += 1;
        RegistrationRecord second = own.current();
        assertNotSame(first, second);
        assertTrue(second.sequence() > first.sequence());
        assertEquals(clock.nowMillis + TTL_MS, second.expiresAt());
    }

    @Test
    void theSequenceNeverGoesBackWhenTheClockStepsBack() {
        OwnRecord own = record(List.of(new InetSocketAddress("0.0.0.0", 7700)));
        own.observed(new InetSocketAddress("192.0.2.1", 1));
        RegistrationRecord first = own.current();
        clock.nowMillis -= 3_600_000;
        assertSame(first, own.current(), "still valid: kept");
        own.observed(new InetSocketAddress("192.0.2.2", 1));
        RegistrationRecord afterStep = own.current();
        assertEquals(first.sequence() + 1, afterStep.sequence(), "new addresses, re-signed after the step back");
    }

    @Test
    void aWildcardBecomesTheAddressesRelaysSawAtMostFourAndPortZeroTheBoundPort() {
        OwnRecord own = record(List.of(new InetSocketAddress("0.0.0.0", 0)));
        assertEquals(List.of(), own.current().addresses(), "nothing observed yet");
        for (int i = 1; i <= 6; i++) {
            own.observed(new InetSocketAddress("192.0.2." + i, 40_000 + i));
        }
        assertEquals(List.of(new InetSocketAddress("192.0.2.1", 7700), new InetSocketAddress("192.0.2.2", 7700),
                new InetSocketAddress("192.0.2.3", 7700), new InetSocketAddress("192.0.2.4", 7700)),
                own.current().addresses());
    }

    @Test
    void noAdvertisedAddressMeansTheWildcardWithTheBoundPort() {
        OwnRecord own = record(List.of());
        own.observed(new InetSocketAddress("198.51.100.7", 5555));
        assertEquals(List.of(new InetSocketAddress("198.51.100.7", 7700)), own.current().addresses());
    }
}
