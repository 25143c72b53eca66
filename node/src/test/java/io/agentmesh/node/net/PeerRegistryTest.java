package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.wire.WireMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerRegistryTest {
    private final TestAgent agent = new TestAgent();
    private final SigningKey peerKey = TestAgent.newNodeKey();
    private final NodeId peer = NodeId.of(peerKey.verifyingKey());
    private final NodeCertificate peerCert = agent.certify(peerKey);
    private final List<String> events = new ArrayList<>();
    private final List<Runnable> timers = new ArrayList<>();

    private final PeerRegistry.Sink sink = new PeerRegistry.Sink() {
        @Override
        public void peerUp(Connection c) {
            events.add("up " + (c.outbound ? "out" : "in") + " " + c.incarnation());
        }

        @Override
        public void peerDown(NodeId p, String reason) {
            events.add("down " + reason);
        }

        @Override
        public void dialFailed(NodeId p, String reason) {
            events.add("dialFailed " + reason);
        }

        @Override
        public void message(NodeId p, WireMessage message) {
            events.add("message " + message);
        }

        @Override
        public void retire(Connection c, String reason) {
            events.add("retire " + (c.outbound ? "out" : "in") + " " + reason);
        }

        @Override
        public Runnable schedule(Runnable task, long delayMs) {
            timers.add(task);
            return () -> timers.remove(task);
        }
    };

    /** A self id below or above the peer's, to pick which side of the tie-break this registry is on. */
    private static final java.net.InetSocketAddress ADDRESS = new java.net.InetSocketAddress("127.0.0.1", 7701);
    private static final java.net.InetSocketAddress RELAY = new java.net.InetSocketAddress("127.0.0.1", 7700);

    private PeerRegistry registry(boolean selfIsLower) {
        NodeId self;
        do {
            self = NodeId.of(TestAgent.newNodeKey().verifyingKey());
        } while ((self.compareTo(peer) < 0) != selfIsLower);
        return new PeerRegistry(self, 1_000, sink);
    }

    private Connection conn(boolean outbound, long incarnation) {
        Connection c = outbound ? Connection.dial(new DialPlan(peer, ADDRESS)) : Connection.accepted();
        c.authenticated(new HelloAuthenticator.AuthenticatedPeer(peer, peerCert, peerCert.toBytes(), incarnation));
        return c;
    }

    private Connection relayed(boolean outbound, long incarnation) {
        Connection c = outbound ? Connection.dialViaRelay(new DialPlan(peer, ADDRESS), RELAY)
                : Connection.attach(RELAY, new byte[16]);
        c.authenticated(new HelloAuthenticator.AuthenticatedPeer(peer, peerCert, peerCert.toBytes(), incarnation));
        return c;
    }

    @Test
    void aDirectConnectionReplacesARelayedOneSilentlyWhicheverDirectionEachHas() {
        for (boolean selfIsLower : new boolean[] {true, false}) {
            events.clear();
            PeerRegistry r = registry(selfIsLower);
            Connection viaRelay = relayed(true, 1);
            Connection direct = conn(false, 1);
            assertTrue(r.authenticated(viaRelay));
            assertTrue(r.authenticated(direct));
            assertSame(direct, r.current(peer));
            assertEquals(List.of("up out 1", "retire out " + PeerRegistry.SUPERSEDED_BY_DIRECT), events);
            // Messages still in flight on the relayed connection are delivered.
            assertTrue(r.deliver(viaRelay, new WireMessage.Heartbeat(3)));
            r.closed(viaRelay);
            assertEquals(3, events.size(), "closing the relayed loser reports nothing: " + events);
        }
    }

    @Test
    void aRelayedConnectionArrivingAfterADirectOneIsRefused() {
        PeerRegistry r = registry(true);
        Connection direct = conn(true, 1);
        Connection viaRelay = relayed(false, 1);
        r.authenticated(direct);
        assertFalse(r.authenticated(viaRelay));
        assertSame(direct, r.current(peer));
        assertEquals(List.of("up out 1", "retire in " + PeerRegistry.SUPERSEDED_BY_DIRECT), events);
    }

    @Test
    void theOtherEndRetiringTheRelayedConnectionLingersForTheDirectOne() {
        PeerRegistry r = registry(false);
        Connection viaRelay = relayed(false, 1);
        r.authenticated(viaRelay);
        viaRelay.remoteGoodbye(PeerRegistry.SUPERSEDED_BY_DIRECT);
        r.closed(viaRelay);
        assertEquals(List.of("up in 1"), events, "no peerDown while the direct connection is on its way");
        assertEquals(1, timers.size());
        Connection direct = conn(true, 1);
        assertTrue(r.authenticated(direct));
        assertSame(direct, r.current(peer));
        assertEquals(List.of("up in 1"), events);
        assertTrue(timers.isEmpty(), "the linger timer was cancelled");
    }

    @Test
    void theFirstAuthenticatedConnectionReportsThePeerUpAndMessagesFollow() {
        PeerRegistry r = registry(true);
        Connection c = conn(false, 1);
        assertTrue(r.authenticated(c));
        assertTrue(r.deliver(c, new WireMessage.Heartbeat(1)));
        assertSame(c, r.current(peer));
        assertEquals(List.of("up in 1", "message Heartbeat[sentNanos=1]"), events);
    }

    @Test
    void withCrossedDialsTheLowerNodesDialWinsSilentlyOnBothSides() {
        // Lower side: keeps its outbound connection.
        PeerRegistry lower = registry(true);
        Connection in = conn(false, 1);
        Connection out = conn(true, 1);
        assertTrue(lower.beginDial(peer));
        lower.authenticated(in);
        assertTrue(lower.authenticated(out));
        assertSame(out, lower.current(peer));
        assertEquals(List.of("up in 1", "retire in " + PeerRegistry.DUPLICATE), events);
        lower.closed(in);
        assertEquals(2, events.size(), "closing the loser reports nothing");

        // Higher side: keeps its inbound connection, even when the outbound authenticated first.
        events.clear();
        PeerRegistry higher = registry(false);
        Connection out2 = conn(true, 1);
        Connection in2 = conn(false, 1);
        higher.authenticated(out2);
        assertTrue(higher.authenticated(in2));
        assertSame(in2, higher.current(peer));
        assertEquals(List.of("up out 1", "retire out " + PeerRegistry.DUPLICATE), events);
    }

    @Test
    void aCurrentConnectionClosedAsDuplicateLingersUntilTheWinnerArrives() {
        PeerRegistry r = registry(false);
        Connection loser = conn(true, 1);
        r.authenticated(loser);
        loser.remoteGoodbye(PeerRegistry.DUPLICATE);
        r.closed(loser);
        assertNull(r.current(peer));
        assertTrue(r.isUp(peer));
        assertEquals(1, timers.size());
        // Frames of the same incarnation still count while lingering.
        assertTrue(r.deliver(loser, new WireMessage.Heartbeat(5)));
        Connection winner = conn(false, 1);
        assertTrue(r.authenticated(winner));
        assertTrue(timers.isEmpty(), "the linger timer is cancelled");
        assertEquals(List.of("up out 1", "message Heartbeat[sentNanos=5]"), events);
    }

    @Test
    void aLingeringPeerGoesDownWhenTheWinnerNeverArrives() {
        PeerRegistry r = registry(false);
        Connection loser = conn(true, 1);
        r.authenticated(loser);
        loser.remoteGoodbye(PeerRegistry.DUPLICATE);
        r.closed(loser);
        timers.get(0).run();
        assertFalse(r.isUp(peer));
        assertEquals(2, events.size());
        assertTrue(events.get(1).startsWith("down "), events.toString());
    }

    @Test
    void aHigherIncarnationReplacesTheConnectionWithDownThenUp() {
        PeerRegistry r = registry(true);
        Connection old = conn(false, 1);
        r.authenticated(old);
        Connection restarted = conn(false, 2);
        assertTrue(r.authenticated(restarted));
        assertEquals(List.of("up in 1", "down peer restarted (incarnation 1 -> 2)", "up in 2",
                "retire in superseded by incarnation 2"), events);
        assertFalse(r.deliver(old, new WireMessage.Heartbeat(1)), "the old incarnation is not heard any more");
        r.closed(old);
        assertEquals(4, events.size());
    }

    @Test
    void aLowerIncarnationIsRefused() {
        PeerRegistry r = registry(true);
        r.authenticated(conn(false, 3));
        assertFalse(r.authenticated(conn(false, 2)));
        assertTrue(events.get(1).startsWith("retire in stale incarnation 2"), events.toString());
    }

    @Test
    void thePeerDialingAgainReplacesItsOldConnection() {
        PeerRegistry r = registry(true);
        Connection first = conn(false, 1);
        r.authenticated(first);
        Connection again = conn(false, 1);
        assertTrue(r.authenticated(again));
        assertSame(again, r.current(peer));
        assertEquals(List.of("up in 1", "down peer reconnected", "up in 1", "retire in replaced by a newer connection"),
                events);
    }

    @Test
    void aFailedDialIsReportedOnlyWhenThePeerIsNotUp() {
        PeerRegistry r = registry(true);
        assertTrue(r.beginDial(peer));
        assertFalse(r.beginDial(peer), "one dial at a time");
        Connection failed = Connection.dial(new DialPlan(peer, ADDRESS));
        failed.reason("connect refused");
        r.closed(failed);
        assertEquals(List.of("dialFailed connect refused"), events);

        events.clear();
        r.authenticated(conn(false, 1));
        assertFalse(r.beginDial(peer), "no dial while up");
        r.dialAborted(peer, "x");
        assertEquals(List.of("up in 1"), events);
    }

    @Test
    void disconnectReportsDownAndRetiresTheConnection() {
        PeerRegistry r = registry(true);
        Connection c = conn(true, 1);
        r.beginDial(peer);
        r.authenticated(c);
        r.disconnect(peer, "bye");
        assertEquals(List.of("up out 1", "retire out bye", "down bye"), events);
        assertNull(r.current(peer));
        r.closed(c);
        assertFalse(r.deliver(c, new WireMessage.Heartbeat(1)));
        assertEquals(3, events.size());
    }

    @Test
    void aClosedCurrentConnectionReportsDownWithItsReason() {
        PeerRegistry r = registry(true);
        Connection c = conn(false, 1);
        r.authenticated(c);
        c.remoteGoodbye("shutting down");
        r.closed(c);
        assertEquals(List.of("up in 1", "down peer said goodbye: shutting down"), events);
    }
}
