package io.agentmesh.sim.world;

import io.agentmesh.node.port.Network;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkModelTest {
    private static final long MS = 1_000_000L;
    private final SimLoop loop = new SimLoop(Trace.hashOnly());
    private final List<SimIdentities.Member> members = SimIdentities.create(7, 3, SimClock.DEFAULT_EPOCH_MILLIS);
    private final NetworkModel model = new NetworkModel(loop, new SplittableRandom(1),
            new NetworkModel.Config(1_000, 1_000, 0, 5_000, true), members.stream()
            .map(m -> new NetworkModel.NodeInfo(m.name(), m.host(), m.identity().nodeId(),
                    m.identity().certificate().toBytes(), m.identity().incarnation())).toList());
    private final Recorder[] nodes = new Recorder[3];
    private final SimNetwork[] nets = new SimNetwork[3];

    /** Records what the network tells one node. */
    static final class Recorder implements Network.Listener {
        final List<String> events = new ArrayList<>();
        final List<WireMessage> messages = new ArrayList<>();
        byte[] lastCertificate;

        @Override
        public void peerUp(NodeId peer, byte[] certificate, long incarnation, boolean outbound) {
            lastCertificate = certificate;
            events.add("up " + peer.shortForm() + (outbound ? " out" : " in"));
        }

        @Override
        public void peerDown(NodeId peer, String reason) {
            events.add("down " + peer.shortForm());
        }

        @Override
        public void dialFailed(NodeId peer, String reason) {
            events.add("failed " + peer.shortForm() + ": " + reason);
        }

        @Override
        public void message(NodeId peer, WireMessage message) {
            messages.add(message);
        }
    }

    private void start(int i) {
        nodes[i] = new Recorder();
        nets[i] = model.attach(i, new SimScheduler(loop, members.get(i).name(), 0), nodes[i]);
    }

    private NodeId id(int i) {
        return members.get(i).identity().nodeId();
    }

    private void dial(int from, int to) {
        nets[from].dial(id(to), members.get(to).address());
    }

    private void connectAll() {
        for (int i = 0; i < 3; i++) {
            start(i);
        }
        dial(0, 1);
        dial(0, 2);
        dial(1, 2);
        loop.runUntil(loop.nowNanos() + 100 * MS);
    }

    @Test
    void aDialReportsPeerUpOnBothSidesWithTheOthersCertificate() {
        start(0);
        start(1);
        dial(0, 1);
        loop.runUntil(100 * MS);
        assertEquals(List.of("up " + id(1).shortForm() + " out"), nodes[0].events);
        assertEquals(List.of("up " + id(0).shortForm() + " in"), nodes[1].events);
        assertTrue(Arrays.equals(members.get(0).identity().certificate().toBytes(), nodes[1].lastCertificate));
    }

    @Test
    void dialsBothWaysAtOnceLeaveOneConnection() {
        start(0);
        start(1);
        dial(0, 1);
        dial(1, 0);
        loop.runUntil(100 * MS);
        assertEquals(1, nodes[0].events.size());
        assertEquals(1, nodes[1].events.size());
        assertEquals(1, model.stats().connectionsOpened);
    }

    @Test
    void aDialToAProcessThatIsNotRunningIsRefused() {
        start(0);
        dial(0, 1);
        loop.runUntil(100 * MS);
        assertEquals(List.of("failed " + id(1).shortForm() + ": connection refused"), nodes[0].events);
    }

    @Test
    void aDialOverACutLinkTimesOut() {
        start(0);
        start(1);
        model.cut(Link.oneWay(Set.of(1), Set.of(0)));
        dial(0, 1);
        loop.runUntil(4_000 * MS);
        assertTrue(nodes[0].events.isEmpty());
        loop.runUntil(6_000 * MS);
        assertEquals(List.of("failed " + id(1).shortForm() + ": connect timed out after 5000 ms"), nodes[0].events);
    }

    @Test
    void messagesArriveInOrderAfterTheLinkLatency() {
        connectAll();
        long sentAt = loop.nowNanos();
        for (int i = 0; i < 20; i++) {
            assertTrue(nets[0].send(id(1), new WireMessage.Heartbeat(i)));
        }
        loop.runUntil(sentAt + MS / 2);
        assertTrue(nodes[1].messages.isEmpty());
        loop.runUntil(sentAt + 2 * MS);
        assertEquals(20, nodes[1].messages.size());
        for (int i = 0; i < 20; i++) {
            assertEquals(i, ((WireMessage.Heartbeat) nodes[1].messages.get(i)).sentNanos());
        }
        assertEquals(0, model.stats().codecFailures);
    }

    @Test
    void aCutStallsAConnectionAndItsMessagesArriveInOrderAfterTheHeal() {
        connectAll();
        model.cut(Link.between(Set.of(0), Set.of(1)));
        nets[0].send(id(1), new WireMessage.Heartbeat(1));
        nets[0].send(id(1), new WireMessage.Heartbeat(2));
        loop.runUntil(loop.nowNanos() + 1_000 * MS);
        assertTrue(nodes[1].messages.isEmpty(), "nothing crosses a cut link");
        model.heal(Link.between(Set.of(0), Set.of(1)));
        loop.runUntil(loop.nowNanos() + 4_000 * MS);
        assertEquals(List.of(1L, 2L), nodes[1].messages.stream()
                .map(m -> ((WireMessage.Heartbeat) m).sentNanos()).toList(), "TCP retransmits after the heal");
        assertTrue(model.stats().retransmissions > 0);
    }

    @Test
    void aOneWayCutBlocksOnlyOneDirection() {
        connectAll();
        model.cut(Link.oneWay(Set.of(0), Set.of(1)));
        nets[0].send(id(1), new WireMessage.Heartbeat(1));
        nets[1].send(id(0), new WireMessage.Heartbeat(2));
        loop.runUntil(loop.nowNanos() + 100 * MS);
        assertTrue(nodes[1].messages.isEmpty());
        assertEquals(1, nodes[0].messages.size());
    }

    @Test
    void aBridgeTalksToBothSidesWhichCannotTalkToEachOther() {
        connectAll();
        model.cut(Link.between(Set.of(0), Set.of(2))); // n2 bridges n1 and n3
        nets[0].send(id(1), new WireMessage.Heartbeat(1));
        nets[2].send(id(1), new WireMessage.Heartbeat(2));
        nets[0].send(id(2), new WireMessage.Heartbeat(3));
        loop.runUntil(loop.nowNanos() + 100 * MS);
        assertEquals(2, nodes[1].messages.size());
        assertTrue(nodes[2].messages.isEmpty());
        assertEquals(1, model.unreachablePeers(0));
        assertEquals(0, model.unreachablePeers(1));
    }

    @Test
    void aCrashResetsConnectionsSoPeersSeePeerDownAndSendsFail() {
        connectAll();
        nodes[1].events.clear();
        model.crash(0);
        loop.runUntil(loop.nowNanos() + 100 * MS);
        assertEquals(List.of("down " + id(0).shortForm()), nodes[1].events);
        assertFalse(nets[1].send(id(0), new WireMessage.Heartbeat(1)), "sends to a peer that is down fail");
        assertFalse(nets[0].send(id(1), new WireMessage.Heartbeat(1)), "a dead process sends nothing");
    }

    @Test
    void aDisconnectIsSeenAtOnceHereAndAfterTheFinThere() {
        connectAll();
        nodes[0].events.clear();
        nodes[1].events.clear();
        nets[0].disconnect(id(1), "test");
        loop.runUntil(loop.nowNanos() + MS / 10);
        assertEquals(List.of("down " + id(1).shortForm()), nodes[0].events);
        assertTrue(nodes[1].events.isEmpty());
        loop.runUntil(loop.nowNanos() + 10 * MS);
        assertEquals(List.of("down " + id(0).shortForm()), nodes[1].events);
    }

    @Test
    void aFinLostToACutLeavesTheOtherEndHalfOpenUntilItsDataIsReset() {
        connectAll();
        nodes[1].events.clear();
        model.cut(Link.oneWay(Set.of(0), Set.of(1)));
        nets[0].disconnect(id(1), "test");
        loop.runUntil(loop.nowNanos() + 1_000 * MS);
        assertTrue(nodes[1].events.isEmpty(), "the FIN waits behind the cut");
        model.heal(Link.oneWay(Set.of(0), Set.of(1)));
        loop.runUntil(loop.nowNanos() + 4_000 * MS);
        assertEquals(List.of("down " + id(0).shortForm()), nodes[1].events);
    }

    @Test
    void tcpLevelLossDelaysMessagesButNeverLosesOrReordersThem() {
        connectAll();
        model.impair(new Impairment("lossy", 0.5, 0, false, 0, Set.of()));
        for (int i = 0; i < 50; i++) {
            nets[0].send(id(1), new WireMessage.Heartbeat(i));
        }
        loop.runUntil(loop.nowNanos() + 120_000 * MS);
        assertEquals(50, nodes[1].messages.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(i, ((WireMessage.Heartbeat) nodes[1].messages.get(i)).sentNanos());
        }
        assertTrue(model.stats().retransmissions > 0);
    }

    @Test
    void aDatagramImpairmentLosesDuplicatesAndReordersMessages() {
        connectAll();
        model.impair(new Impairment("chaos", 0.3, 0.3, true, 5_000, Set.of(), true));
        for (int i = 0; i < 200; i++) {
            nets[0].send(id(1), new WireMessage.Heartbeat(i));
        }
        loop.runUntil(loop.nowNanos() + 1_000 * MS);
        List<Long> got = nodes[1].messages.stream().map(m -> ((WireMessage.Heartbeat) m).sentNanos()).toList();
        assertTrue(model.stats().lostToImpairment > 0);
        assertTrue(model.stats().duplicated > 0);
        assertFalse(got.equals(got.stream().sorted().toList()), "some messages overtook others");
    }

    @Test
    void theWireCheckPassesEveryMessageThroughTheCodec() {
        connectAll();
        nets[0].send(id(1), new WireMessage.Digest(List.of(new WireMessage.VectorEntry(new byte[16], 3)), true));
        loop.runUntil(loop.nowNanos() + 10 * MS);
        assertEquals(1, nodes[1].messages.size());
        assertTrue(model.stats().bytesEncoded > 0);
        assertEquals(0, model.stats().codecFailures);
    }

    @Test
    void aTapSeesEveryMessageAndMayRefuseIt() {
        connectAll();
        List<String> seen = new ArrayList<>();
        model.addTap((from, to, m) -> {
            seen.add(from + "->" + to);
            return m instanceof WireMessage.Heartbeat h && h.sentNanos() == 2 ? null : m;
        });
        assertTrue(nets[0].send(id(1), new WireMessage.Heartbeat(1)));
        assertFalse(nets[0].send(id(1), new WireMessage.Heartbeat(2)), "a refused send reports false");
        loop.runUntil(loop.nowNanos() + 10 * MS);
        assertEquals(List.of("0->1", "0->1"), seen);
        assertEquals(1, nodes[1].messages.size());
    }

    @Test
    void aRestartedProcessReplacesTheHalfOpenConnectionOfItsPeers() {
        connectAll();
        model.cut(Link.between(Set.of(0), Set.of(1)));
        model.crash(0);
        loop.runUntil(loop.nowNanos() + 100 * MS);
        nodes[1].events.clear();
        model.heal(Link.between(Set.of(0), Set.of(1)));
        start(0);
        dial(0, 1);
        loop.runUntil(loop.nowNanos() + 100 * MS);
        assertEquals(List.of("down " + id(0).shortForm(), "up " + id(0).shortForm() + " in"), nodes[1].events);
    }
}
