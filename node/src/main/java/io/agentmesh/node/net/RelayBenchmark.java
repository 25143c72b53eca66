package io.agentmesh.node.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import io.agentmesh.relay.RelayTampering;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Relay figures on loopback, printed as JSON: how long nodes that know only two relay addresses take to form a full
 * mesh (direct connections found through the relays, and every connection through relay circuits), and round-trip
 * latency and throughput of one node-to-node connection, direct versus through a relay. Everything (relays, nodes,
 * TLS on both ends) shares the machine's cores.
 *
 * <pre>
 *   java -cp ... io.agentmesh.node.net.RelayBenchmark [--nodes 5] [--runs 5] [--round-trips 2000] [--seconds 3]
 * </pre>
 */
public final class RelayBenchmark implements AutoCloseable {
    private static final long TIMEOUT_MS = 60_000;
    private static final int PAYLOAD_BYTES = 64 * 1024;

    private final SecureRandom random = new SecureRandom();
    private final SigningKey root = SigningKey.generate(random);
    private final List<AutoCloseable> open = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int nodes = 5;
        int runs = 5;
        int roundTrips = 2000;
        int seconds = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--round-trips" -> roundTrips = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: RelayBenchmark [--nodes N] [--runs R] [--round-trips K] [--seconds S]");
                    System.exit(2);
                }
            }
        }
        Map<String, Object> result = run(nodes, runs, roundTrips, seconds);
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
        System.exit(0);
    }

    /** Runs every measurement and returns the JSON-ready result. */
    public static Map<String, Object> run(int nodes, int runs, int roundTrips, int seconds) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "relay");
        out.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
                "java", System.getProperty("java.version"), "os", System.getProperty("os.name") + " "
                        + System.getProperty("os.arch")));
        out.put("note", "loopback; relays, nodes and both TLS ends share the cores; one unmeasured warm-up round");
        out.put("config", Map.of("nodes", nodes, "relays", 2, "runs", runs, "roundTrips", roundTrips,
                "throughputSeconds", seconds, "payloadBytes", PAYLOAD_BYTES,
                "lookupIntervalMs", RelayClientConfig.DEFAULT_LOOKUP_INTERVAL_MS));
        // One unmeasured round of everything first: JIT, TLS and crypto set-up would otherwise land on whichever
        // measurement runs first.
        try (RelayBenchmark b = new RelayBenchmark()) {
            b.meshFormation(nodes, false);
        }
        try (RelayBenchmark b = new RelayBenchmark()) {
            b.meshFormation(nodes, true);
        }
        try (RelayBenchmark b = new RelayBenchmark()) {
            b.pair(false, roundTrips, 1);
        }
        try (RelayBenchmark b = new RelayBenchmark()) {
            b.pair(true, roundTrips, 1);
        }
        List<Long> discovered = new ArrayList<>();
        List<Long> relayed = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try (RelayBenchmark b = new RelayBenchmark()) {
                discovered.add(b.meshFormation(nodes, false));
            }
            try (RelayBenchmark b = new RelayBenchmark()) {
                relayed.add(b.meshFormation(nodes, true));
            }
        }
        out.put("meshFormationMs", Map.of(
                "directAfterRelayDiscovery", summary(discovered),
                "allThroughRelayCircuits", summary(relayed)));
        // Direct and relayed pairs alternate, so neither profits from running later (warmer JIT, quieter box).
        List<Map<String, Object>> direct = new ArrayList<>();
        List<Map<String, Object>> viaRelay = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try (RelayBenchmark b = new RelayBenchmark()) {
                direct.add(b.pair(false, roundTrips, seconds));
            }
            try (RelayBenchmark b = new RelayBenchmark()) {
                viaRelay.add(b.pair(true, roundTrips, seconds));
            }
        }
        out.put("direct", medians("direct TLS", direct));
        out.put("relayed", medians("through a relay (TLS end to end inside the circuit)", viaRelay));
        return out;
    }

    /** Per figure: the median over runs, and every run's value. */
    private static Map<String, Object> medians(String path, List<Map<String, Object>> runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        for (String key : runs.get(0).keySet()) {
            List<Double> values = runs.stream().map(r -> ((Number) r.get(key)).doubleValue()).toList();
            double median = values.stream().sorted().toList().get(values.size() / 2);
            m.put(key, Map.of("median", median, "runs", values.toString()));
        }
        return m;
    }

    private static Map<String, Object> summary(List<Long> ms) {
        long[] sorted = ms.stream().mapToLong(Long::longValue).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runs", Arrays.toString(ms.stream().mapToLong(Long::longValue).toArray()));
        m.put("median", sorted[sorted.length / 2]);
        m.put("max", sorted[sorted.length - 1]);
        return m;
    }

    // ----------------------------------------------------------------------------------------- nodes

    /** A node: network, node thread, and a listener that records what the measurements need. */
    private final class Node implements Network.Listener {
        final SigningKey key = SigningKey.generate(random);
        final NodeId id = NodeId.of(key.verifyingKey());
        final NodeCertificate certificate;
        final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-node");
            t.setDaemon(true);
            return t;
        });
        final NettyNetwork net;
        final InetSocketAddress address;
        final Map<NodeId, InetSocketAddress> addresses = new ConcurrentHashMap<>();
        final AtomicReference<CompletableFuture<Long>> pong = new AtomicReference<>();
        final AtomicLong bytesIn = new AtomicLong();
        final AtomicLong firstByteNanos = new AtomicLong();
        final AtomicLong lastByteNanos = new AtomicLong();
        RelayClient relays;

        Node() {
            long now = System.currentTimeMillis();
            certificate = NodeCertificate.issue(root, key.verifyingKey(), Role.VOTER, now - 3_600_000,
                    now + 86_400_000);
            Scheduler scheduler = new Scheduler() {
                @Override
                public void execute(Runnable task) {
                    thread.execute(task);
                }

                @Override
                public Cancellable schedule(Runnable task, long delayMs) {
                    ScheduledFuture<?> f = thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                    return () -> f.cancel(false);
                }
            };
            net = new NettyNetwork(NetworkConfig.defaults("127.0.0.1", 0).withFaultInjection(true)
                    .withIdleTimeoutMs(120_000), key, certificate, 1, root.verifyingKey(), scheduler, this,
                    new SystemClock());
            address = net.start();
            open.add(this::close);
        }

        void useRelays(List<InetSocketAddress> relayAddresses) {
            relays = new RelayClient(RelayClientConfig.defaults(relayAddresses), key, certificate, net,
                    List.of(address), (peer, a) -> thread.execute(() -> {
                        addresses.put(peer, a);
                        net.dial(peer, a);
                    }), new SystemClock(), new java.security.SecureRandom());
        }

        private void redial(NodeId peer) {
            thread.schedule(() -> {
                InetSocketAddress a = addresses.get(peer);
                if (a != null && !net.connectedPeers().contains(peer)) {
                    net.dial(peer, a);
                }
            }, 50, TimeUnit.MILLISECONDS);
        }

        @Override
        public void peerUp(NodeId peer, byte[] cert, long incarnation, boolean outbound) {
        }

        @Override
        public void peerDown(NodeId peer, String reason) {
            redial(peer);
        }

        @Override
        public void dialFailed(NodeId peer, String reason) {
            redial(peer);
        }

        @Override
        public void message(NodeId peer, WireMessage message) {
            switch (message) {
                case WireMessage.Heartbeat h -> net.send(peer, new WireMessage.HeartbeatAck(h.sentNanos()));
                case WireMessage.HeartbeatAck a -> {
                    CompletableFuture<Long> f = pong.get();
                    if (f != null) {
                        f.complete(System.nanoTime() - a.echoedNanos());
                    }
                }
                case WireMessage.Consensus c -> {
                    long now = System.nanoTime();
                    firstByteNanos.compareAndSet(0, now);
                    lastByteNanos.set(now);
                    bytesIn.addAndGet(c.payload().length);
                }
                default -> {
                }
            }
        }

        void close() {
            if (relays != null) {
                relays.close();
            }
            net.close();
            thread.shutdownNow();
        }
    }

    private RelayServer relay() {
        RelayServer r = new RelayServer(RelayConfig.loopback().withHttp("127.0.0.1", -1)
                .withCircuitLimits(1L << 40, 3_600_000), new SystemClock(), RelayTampering.NONE);
        r.start();
        open.add(r);
        return r;
    }

    // ----------------------------------------------------------------------------------------- measurements

    /** Milliseconds from starting the relay clients to every node connected to every other. */
    private long meshFormation(int n, boolean blockDirect) throws InterruptedException {
        List<InetSocketAddress> relays = List.of(relay().address(), relay().address());
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            nodes.add(new Node());
        }
        for (Node a : nodes) {
            a.useRelays(relays);
            if (blockDirect) {
                for (Node b : nodes) {
                    if (a != b) {
                        a.net.faults().blockDirect(b.id);
                    }
                }
            }
        }
        long t0 = System.nanoTime();
        for (Node a : nodes) {
            a.relays.start();
        }
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (!nodes.stream().allMatch(a -> a.net.connectedPeers().size() == n - 1)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no full mesh within " + TIMEOUT_MS + " ms");
            }
            Thread.sleep(2);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // (isRelayed is false for a moment while a duplicate connection is swapped for the one both ends keep)
        while (blockDirect && !nodes.stream().allMatch(a -> a.net.connectedPeers().stream().allMatch(a.net::isRelayed))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("a connection did not go through a relay");
            }
            Thread.sleep(2);
        }
        return ms;
    }

    /** Round trips and one-way throughput between two nodes, direct or through a relay. */
    private Map<String, Object> pair(boolean relayed, int roundTrips, int seconds) throws Exception {
        List<InetSocketAddress> relays = List.of(relay().address());
        Node a = new Node();
        Node b = new Node();
        a.useRelays(relays);
        b.useRelays(relays);
        if (relayed) {
            a.net.faults().blockDirect(b.id);
            b.net.faults().blockDirect(a.id);
        }
        b.relays.start();
        a.relays.start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (!(a.net.connectedPeers().contains(b.id) && b.net.connectedPeers().contains(a.id))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pair did not connect");
            }
            Thread.sleep(5);
        }
        Thread.sleep(500); // let duplicate connections settle
        if (a.net.isRelayed(b.id) != relayed) {
            throw new IllegalStateException("expected a " + (relayed ? "relayed" : "direct") + " connection");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.putAll(roundTrips(a, b, roundTrips));
        m.put("throughputMBps", throughput(a, b, seconds));
        return m;
    }

    private Map<String, Object> roundTrips(Node a, Node b, int count) throws Exception {
        int warmup = Math.max(100, count / 4);
        long[] micros = new long[count];
        for (int i = -warmup; i < count; i++) {
            CompletableFuture<Long> f = new CompletableFuture<>();
            a.pong.set(f);
            if (!a.net.send(b.id, new WireMessage.Heartbeat(System.nanoTime()))) {
                throw new IllegalStateException("send refused");
            }
            long nanos = f.get(10, TimeUnit.SECONDS);
            if (i >= 0) {
                micros[i] = nanos / 1_000;
            }
        }
        Arrays.sort(micros);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rttP50Micros", micros[count / 2]);
        m.put("rttP90Micros", micros[(int) (count * 0.90)]);
        m.put("rttP99Micros", micros[(int) (count * 0.99)]);
        m.put("rttMeanMicros", Math.round(Arrays.stream(micros).average().orElse(0)));
        return m;
    }

    private double throughput(Node a, Node b, int seconds) throws Exception {
        byte[] payload = new byte[PAYLOAD_BYTES];
        random.nextBytes(payload);
        WireMessage.Consensus message = new WireMessage.Consensus(payload);
        b.bytesIn.set(0);
        b.firstByteNanos.set(0);
        b.lastByteNanos.set(0);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long sent = 0;
        while (System.nanoTime() < end) {
            if (a.net.send(b.id, message)) {
                sent += payload.length;
            } else {
                Thread.sleep(1); // over the write buffer's high-water mark: backpressure
            }
        }
        long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (b.bytesIn.get() < sent && System.nanoTime() < wait) {
            Thread.sleep(5);
        }
        double secs = (b.lastByteNanos.get() - b.firstByteNanos.get()) / 1e9;
        return Math.round(b.bytesIn.get() / secs / 1e6 * 10) / 10.0;
    }

    @Override
    public void close() {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                // best effort
            }
        }
    }
}
