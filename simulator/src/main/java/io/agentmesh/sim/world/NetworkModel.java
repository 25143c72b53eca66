package io.agentmesh.sim.world;

import io.agentmesh.node.port.Network;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireException;
import io.agentmesh.protocol.wire.WireMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The network between simulated nodes: per-link latency, partitions (cuts, either direction), impairments (loss,
 * duplication, reordering, extra delay), connections with setup latency, and crash resets.
 *
 * <p>Connections model TCP plus the node's TLS/Hello handshake: a dial needs both directions of the link up and the
 * target process running, and takes two round trips; both ends then see peerUp with the other's certificate. Each
 * direction of a connection is an in-order stream: a message is delivered after the link's latency, or, when its
 * segment is lost or the path is cut, retransmitted after a timeout (200 ms doubling to 3.2 s) while everything
 * behind it waits. So a partition never loses a message inside a connection that survives it; it stalls the
 * connection until the node's failure detector closes it, and the data queued at a closed end is gone with it.
 * Closing one end sends a FIN behind the data already queued; a crash sends a reset. Data arriving at an end that
 * is already closed is answered with a reset. Message-level loss, duplication and reordering, which break that
 * contract, only happen under a {@link Impairment#datagram()} impairment.
 *
 * <p>With the wire check on, every message is encoded with {@link WireCodec} when sent and decoded when delivered,
 * and the decoded message must encode to the same bytes, so codec bugs surface as failures.
 */
public final class NetworkModel {

    /**
     * @param latencyMinMicros  smallest base one-way latency of a link
     * @param latencyMaxMicros  largest base one-way latency of a link (each link draws its base once)
     * @param jitterMeanMicros  mean of the exponential jitter added to every message
     * @param connectTimeoutMs  how long a dial over a cut link waits before failing
     * @param wireCheck         encode and decode every message through the wire codec
     */
    public record Config(long latencyMinMicros, long latencyMaxMicros, long jitterMeanMicros, long connectTimeoutMs,
                         boolean wireCheck) {
        public static final Config DEFAULTS = new Config(200, 2_000, 300, 5_000, true);

        public Config withWireCheck(boolean on) {
            return new Config(latencyMinMicros, latencyMaxMicros, jitterMeanMicros, connectTimeoutMs, on);
        }
    }

    /** Who a node is on the network. */
    public record NodeInfo(String name, String host, NodeId id, byte[] certificate, long incarnation) {
    }

    /** Counters of a run. */
    public static final class Stats {
        public long sent;
        public long delivered;
        public long lostToImpairment;
        public long lostToCut;
        public long lostToClosedConnection;
        public long duplicated;
        public long refusedSends;
        public long retransmissions;
        public long codecFailures;
        public long connectionsOpened;
        public long dialFailures;
        public long bytesEncoded;

        public long dropped() {
            return lostToImpairment + lostToCut + lostToClosedConnection;
        }
    }

    /** A codec round trip that failed: a bug in the wire format, surfaced by the wire check. */
    public record CodecFailure(long nanos, String from, String to, String message, String error) {
    }

    final SimLoop loop;
    private final RandomGenerator random;
    private final Config config;
    private final NodeInfo[] nodes;
    private final Map<String, Integer> hosts = new TreeMap<>();
    private final Map<NodeId, Integer> byId = new TreeMap<>();
    private final SimNetwork[] current;
    private final int[][] cutCount;
    private final long[][] baseLatencyMicros;
    private final List<Impairment> impairments = new ArrayList<>();
    private final List<MessageTap> taps = new ArrayList<>();
    private final WireCodec codec;
    private final Stats stats = new Stats();
    private Consumer<CodecFailure> codecFailures = f -> { };
    private long nextConnId = 1;

    public NetworkModel(SimLoop loop, RandomGenerator random, Config config, List<NodeInfo> nodes) {
        this.loop = loop;
        this.random = random;
        this.config = config;
        this.nodes = nodes.toArray(new NodeInfo[0]);
        int n = this.nodes.length;
        this.current = new SimNetwork[n];
        this.cutCount = new int[n][n];
        this.baseLatencyMicros = new long[n][n];
        for (int i = 0; i < n; i++) {
            hosts.put(this.nodes[i].host(), i);
            byId.put(this.nodes[i].id(), i);
            for (int j = 0; j < n; j++) {
                if (i != j) {
                    baseLatencyMicros[i][j] = config.latencyMinMicros()
                            + random.nextLong(config.latencyMaxMicros() - config.latencyMinMicros() + 1);
                }
            }
        }
        this.codec = config.wireCheck() ? new WireCodec() : null;
    }

    public Config config() {
        return config;
    }

    public Stats stats() {
        return stats;
    }

    public int size() {
        return nodes.length;
    }

    public NodeInfo node(int index) {
        return nodes[index];
    }

    public void addTap(MessageTap tap) {
        taps.add(tap);
    }

    public void onCodecFailure(Consumer<CodecFailure> handler) {
        this.codecFailures = handler;
    }

    // ------------------------------------------------------------------------------ processes

    /** A new process of node {@code index} joins the network (first start or restart). */
    public SimNetwork attach(int index, SimScheduler scheduler, Network.Listener listener) {
        if (current[index] != null && current[index].alive) {
            throw new IllegalStateException(nodes[index].name() + " is already running");
        }
        SimNetwork endpoint = new SimNetwork(this, index, scheduler, listener);
        current[index] = endpoint;
        return endpoint;
    }

    /** The process of node {@code index} died: its connections are reset (peers hear it if the path allows). */
    public void crash(int index) {
        SimNetwork endpoint = current[index];
        if (endpoint == null) {
            return;
        }
        current[index] = null;
        endpoint.die();
    }

    public boolean running(int index) {
        return current[index] != null && current[index].alive;
    }

    // ------------------------------------------------------------------------------ partitions and impairments

    /** Blocks every link in {@code links} (counted, so overlapping cuts heal independently). */
    public void cut(Set<Link> links) {
        for (Link l : links) {
            cutCount[l.from()][l.to()]++;
        }
    }

    public void heal(Set<Link> links) {
        for (Link l : links) {
            if (cutCount[l.from()][l.to()] > 0) {
                cutCount[l.from()][l.to()]--;
            }
        }
    }

    public void healAll() {
        for (int[] row : cutCount) {
            Arrays.fill(row, 0);
        }
        impairments.clear();
    }

    public boolean isCut(int from, int to) {
        return cutCount[from][to] > 0;
    }

    /** Peers {@code node} cannot exchange messages with in at least one direction. */
    public int unreachablePeers(int node) {
        int count = 0;
        for (int p = 0; p < nodes.length; p++) {
            if (p != node && (isCut(node, p) || isCut(p, node))) {
                count++;
            }
        }
        return count;
    }

    public boolean anyCut() {
        for (int[] row : cutCount) {
            for (int c : row) {
                if (c > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    public void impair(Impairment impairment) {
        impairments.add(impairment);
    }

    public void restore(Impairment impairment) {
        impairments.remove(impairment);
    }

    public List<Impairment> impairments() {
        return List.copyOf(impairments);
    }

    // ------------------------------------------------------------------------------ connections

    /** Retransmission timeout after a lost segment or while the path is cut: 200 ms, doubling, capped. */
    static final long RTO_MIN_NANOS = 200_000_000L;
    static final long RTO_MAX_NANOS = 3_200_000_000L;

    /** Something travelling one direction of a connection: a message, or the FIN/reset that ends it. */
    private record Packet(WireMessage message, byte[] frame, String reason, long readyAt, String label) {
        boolean isClose() {
            return message == null;
        }
    }

    /** One direction of a connection: an in-order byte stream, as TCP gives it. */
    static final class Direction {
        final ArrayDeque<Packet> queue = new ArrayDeque<>();
        long lastReadyAt;
        long rto = RTO_MIN_NANOS;
        boolean pumpScheduled;
    }

    /** One connection between two processes; each end is open until it closes or its process dies. */
    static final class Conn {
        final long id;
        final SimNetwork dialer;
        final SimNetwork acceptor;
        final Direction toAcceptor = new Direction();
        final Direction toDialer = new Direction();
        boolean dialerOpen = true;
        boolean acceptorOpen = true;

        Conn(long id, SimNetwork dialer, SimNetwork acceptor) {
            this.id = id;
            this.dialer = dialer;
            this.acceptor = acceptor;
        }

        SimNetwork other(SimNetwork end) {
            return end == dialer ? acceptor : dialer;
        }

        boolean openAt(SimNetwork end) {
            return end == dialer ? dialerOpen : acceptorOpen;
        }

        void closeAt(SimNetwork end) {
            if (end == dialer) {
                dialerOpen = false;
            } else {
                acceptorOpen = false;
            }
        }

        Direction from(SimNetwork end) {
            return end == dialer ? toAcceptor : toDialer;
        }
    }

    void connect(SimNetwork from, NodeId expected, String host) {
        Integer target = hosts.get(host);
        long start = loop.nowNanos();
        if (target == null) {
            from.scheduler.postAfter(1_000_000L, "dial-failed " + host, () -> from.dialFailed(expected,
                    "unknown host " + host));
            return;
        }
        int a = from.index;
        int b = target;
        long rtt = latencyNanos(a, b) + latencyNanos(b, a);
        // TCP handshake plus TLS 1.3 plus the Hello exchange: about two round trips.
        loop.world(start + 2 * rtt, "connect " + nodes[a].name() + "->" + nodes[b].name(),
                () -> establish(from, expected, b, start));
    }

    private void establish(SimNetwork from, NodeId expected, int target, long start) {
        if (!from.alive) {
            return;
        }
        int a = from.index;
        if (isCut(a, target) || isCut(target, a)) {
            long failAt = start + config.connectTimeoutMs() * 1_000_000L;
            from.scheduler.postAfter(failAt - loop.nowNanos(), "dial-failed " + nodes[target].name(),
                    () -> from.dialFailed(expected, "connect timed out after " + config.connectTimeoutMs() + " ms"));
            stats.dialFailures++;
            return;
        }
        SimNetwork to = current[target];
        if (to == null || !to.alive) {
            from.scheduler.post("dial-failed " + nodes[target].name(), () -> from.dialFailed(expected,
                    "connection refused"));
            stats.dialFailures++;
            return;
        }
        if (!nodes[target].id().equals(expected)) {
            from.scheduler.post("dial-failed " + nodes[target].name(), () -> from.dialFailed(expected,
                    "authentication failed: the node at " + nodes[target].host() + " is not " + expected.shortForm()));
            stats.dialFailures++;
            return;
        }
        Conn existing = from.connectionTo(to);
        if (existing != null) {
            // Both ends dialed each other and the other dial won; keep one connection, as the transport does.
            from.dialing.remove(expected);
            return;
        }
        Conn conn = new Conn(nextConnId++, from, to);
        stats.connectionsOpened++;
        to.established(conn, false);
        from.established(conn, true);
    }

    /** Sends {@code message} on {@code conn} from {@code from}; false when it cannot even be encoded. */
    boolean transmit(Conn conn, SimNetwork from, WireMessage message) {
        SimNetwork to = conn.other(from);
        int a = from.index;
        int b = to.index;
        WireMessage m = message;
        for (MessageTap tap : taps) {
            m = tap.onSend(a, b, m);
            if (m == null) {
                stats.refusedSends++;
                return false;
            }
        }
        byte[] frame = null;
        if (codec != null) {
            try {
                frame = codec.encode(m);
                stats.bytesEncoded += frame.length;
            } catch (WireException e) {
                stats.refusedSends++;
                stats.codecFailures++;
                codecFailures.accept(new CodecFailure(loop.nowNanos(), nodes[a].name(), nodes[b].name(),
                        Messages.describe(m), "encode: " + e.getMessage()));
                return false;
            }
        }
        stats.sent++;
        // A message the sender wrote after a blocking call leaves when that call returned.
        long departAfter = from.scheduler.readyNanos() - loop.nowNanos();
        String label = "recv " + nodes[a].name() + " " + Messages.describe(m);
        Impairment datagram = null;
        long extra = 0;
        for (Impairment i : impairments) {
            if (i.covers(a, b)) {
                extra = Math.max(extra, i.extraDelayMicros());
                if (i.datagram()) {
                    datagram = i;
                }
            }
        }
        long latency = departAfter + latencyNanos(a, b)
                + (extra > 0 ? (long) (Rng.exponential(random, extra) * 1_000) : 0);
        if (datagram != null) {
            // Outside the transport contract: the message itself may vanish, repeat or overtake others.
            if (random.nextDouble() < datagram.loss()) {
                stats.lostToImpairment++;
                return true;
            }
            WireMessage sent = m;
            byte[] bytes = frame;
            to.scheduler.postAfter(latency, label, () -> deliverDatagram(conn, from, to, sent, bytes));
            if (random.nextDouble() < datagram.duplicate()) {
                stats.duplicated++;
                to.scheduler.postAfter(latency + latencyNanos(a, b), label + " (duplicate)",
                        () -> deliverDatagram(conn, from, to, sent, bytes));
            }
            return true;
        }
        enqueue(conn, from, new Packet(m, frame, null, loop.nowNanos() + latency, label));
        return true;
    }

    /** A FIN (or a reset when the sender died), after the data already queued in that direction. */
    void sendClose(Conn conn, SimNetwork from, String reason) {
        enqueue(conn, from, new Packet(null, null, reason, from.scheduler.readyNanos() + latencyNanos(from.index,
                conn.other(from).index), "closed-by " + nodes[from.index].name()));
    }

    private void enqueue(Conn conn, SimNetwork from, Packet packet) {
        Direction d = conn.from(from);
        long readyAt = Math.max(packet.readyAt(), d.lastReadyAt);
        d.lastReadyAt = readyAt;
        d.queue.add(readyAt == packet.readyAt() ? packet
                : new Packet(packet.message(), packet.frame(), packet.reason(), readyAt, packet.label()));
        if (!d.pumpScheduled) {
            schedulePump(conn, from, d, readyAt);
        }
    }

    private void schedulePump(Conn conn, SimNetwork from, Direction d, long at) {
        SimNetwork to = conn.other(from);
        if (!to.alive) {
            d.queue.clear();
            return;
        }
        Packet head = d.queue.peek();
        d.pumpScheduled = true;
        String label = at > head.readyAt() ? "retransmit " + nodes[from.index].name() + "->" + nodes[to.index].name()
                : head.label();
        to.scheduler.postAfter(at - loop.nowNanos(), label, () -> pump(conn, from, d));
    }

    /** Delivers the head of one direction if the path lets it through, else retries after a timeout. */
    private void pump(Conn conn, SimNetwork from, Direction d) {
        d.pumpScheduled = false;
        Packet head = d.queue.peek();
        if (head == null) {
            return;
        }
        SimNetwork to = conn.other(from);
        if (head.readyAt() > loop.nowNanos()) {
            schedulePump(conn, from, d, head.readyAt());
            return;
        }
        int a = from.index;
        int b = to.index;
        double loss = 0;
        for (Impairment i : impairments) {
            if (!i.datagram() && i.covers(a, b)) {
                loss = Math.max(loss, i.loss());
            }
        }
        if (isCut(a, b) || (loss > 0 && random.nextDouble() < loss)) {
            // TCP keeps the data and retransmits it; everything behind it waits (head-of-line blocking).
            stats.retransmissions++;
            long retry = loop.nowNanos() + d.rto;
            d.rto = Math.min(d.rto * 2, RTO_MAX_NANOS);
            schedulePump(conn, from, d, retry);
            return;
        }
        d.rto = RTO_MIN_NANOS;
        d.queue.poll();
        if (!conn.openAt(to)) {
            // This end is closed (its FIN may have been lost): its kernel answers data with a reset.
            int dropped = head.isClose() ? 0 : 1 + (int) d.queue.stream().filter(p -> !p.isClose()).count();
            stats.lostToClosedConnection += dropped;
            d.queue.clear();
            if (!head.isClose() && conn.openAt(from) && from.alive) {
                sendClose(conn, to, "connection reset (the peer had closed it)");
            }
            return;
        }
        if (head.isClose()) {
            to.remoteClosed(conn, head.reason());
            d.queue.clear();
            return;
        }
        deliver(conn, from, to, head.message(), head.frame());
        if (!d.queue.isEmpty()) {
            schedulePump(conn, from, d, Math.max(loop.nowNanos(), d.queue.peek().readyAt()));
        }
    }

    private void deliverDatagram(Conn conn, SimNetwork from, SimNetwork to, WireMessage m, byte[] frame) {
        if (isCut(from.index, to.index)) {
            stats.lostToCut++;
            return;
        }
        if (!conn.openAt(to)) {
            stats.lostToClosedConnection++;
            return;
        }
        deliver(conn, from, to, m, frame);
    }

    private void deliver(Conn conn, SimNetwork from, SimNetwork to, WireMessage m, byte[] frame) {
        if (to.upConnection(from.nodeId()) != conn) {
            stats.lostToClosedConnection++;
            return;
        }
        WireMessage received = m;
        if (frame != null) {
            try {
                received = codec.decode(frame);
                byte[] again = codec.encode(received);
                if (!Arrays.equals(again, frame)) {
                    throw new WireException("decoding and re-encoding changed the frame ("
                            + frame.length + " -> " + again.length + " bytes)");
                }
            } catch (WireException e) {
                stats.codecFailures++;
                codecFailures.accept(new CodecFailure(loop.nowNanos(), nodes[from.index].name(),
                        nodes[to.index].name(), Messages.describe(m), "decode: " + e.getMessage()));
                return;
            }
        }
        stats.delivered++;
        to.listener.message(from.nodeId(), received);
    }

    long latencyNanos(int from, int to) {
        long base = baseLatencyMicros[from][to];
        long jitter = config.jitterMeanMicros() > 0 ? (long) Rng.exponential(random, config.jitterMeanMicros()) : 0;
        return (base + jitter) * 1_000L;
    }

    int indexOf(NodeId id) {
        Integer i = byId.get(id);
        return i == null ? -1 : i;
    }
}
