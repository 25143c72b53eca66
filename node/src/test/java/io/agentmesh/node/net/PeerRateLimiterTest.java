package io.agentmesh.node.net;

import io.agentmesh.node.limits.ClientLimits;
import io.agentmesh.node.limits.Limits;
import io.agentmesh.node.limits.PeerLimits;
import io.agentmesh.node.net.RecordingListener.PeerDown;
import io.agentmesh.node.net.RecordingListener.PeerUp;
import io.agentmesh.protocol.wire.WireMessage;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each authenticated peer's bytes and changes are paced; a peer that stays over its limit is disconnected. */
class PeerRateLimiterTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void aPeerOverItsByteLimitIsSlowedThenDisconnectedWithTheReason() throws Exception {
        TestAgent agent = new TestAgent();
        // 2,000 bytes/s (a 4,000-byte burst), disconnected after 1 s over it.
        Limits limits = new Limits(new PeerLimits(1_000_000, 2_000, 1_000), ClientLimits.defaults());
        try (TestNode a = TestNode.of(agent); TestNode b = TestNode.withLimits(agent, limits)) {
            a.dial(b);
            await().atMost(WAIT).until(() -> b.events.all(PeerUp.class).size() == 1);
            long deadline = System.nanoTime() + WAIT.toNanos();
            int sent = 0;
            // ~20-byte heartbeats, about 400 a second: 8,000 bytes/s, four times the limit.
            while (b.events.all(PeerDown.class).isEmpty() && System.nanoTime() < deadline) {
                a.net.send(b.id, new WireMessage.Heartbeat(sent++));
                Thread.sleep(2);
            }
            await().atMost(WAIT).until(() -> !b.events.all(PeerDown.class).isEmpty());
            String reason = b.events.all(PeerDown.class).get(0).reason();
            assertTrue(reason.startsWith("rate limit: over 1000000 changes/s or 2000 bytes/s"), reason);
            assertTrue(limits.counts().get("transport").get("rate_limited") > 0);
            assertEquals(1L, limits.counts().get("transport").get("rate_limit_disconnect"));
            await().atMost(WAIT).until(() -> a.events.all(PeerDown.class).stream()
                    .anyMatch(d -> d.reason().contains("rate limit")));
        }
    }

    @Test
    void aPeerUnderItsLimitsIsNeitherSlowedNorDisconnected() throws Exception {
        TestAgent agent = new TestAgent();
        Limits limits = Limits.defaults();
        try (TestNode a = TestNode.of(agent); TestNode b = TestNode.withLimits(agent, limits)) {
            a.dial(b);
            await().atMost(WAIT).until(() -> b.events.all(PeerUp.class).size() == 1);
            for (int i = 0; i < 2_000; i++) {
                while (!a.net.send(b.id, new WireMessage.Heartbeat(i))) {
                    Thread.sleep(1);
                }
            }
            await().atMost(WAIT).until(() -> b.events.messagesFrom(a.id).size() == 2_000);
            assertEquals(0L, limits.counts().get("transport").get("rate_limited"));
            assertTrue(b.events.all(PeerDown.class).isEmpty());
        }
    }
}
