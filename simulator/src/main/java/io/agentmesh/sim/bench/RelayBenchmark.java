package io.agentmesh.sim.bench;

import io.agentmesh.node.net.NettyNetwork;
import io.agentmesh.node.net.NetworkConfig;
import io.agentmesh.node.net.RelayClient;
import io.agentmesh.node.net.RelayClientConfig;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.runtime.NodeThread;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import io.agentmesh.relay.RelayTampering;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Relay figures on loopback: how long nodes that know only two relay addresses take to form a full mesh (direct
 * connections found through the relays, and every connection through relay circuits), and round-trip latency and
 * throughput of one node-to-node connection, direct versus through a relay. Everything (relays, nodes, TLS on both
 * ends) shares the machine's cores.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = "Benchmark mesh formation through relays and relayed vs direct latency and throughput.")
public final class RelayBenchmark implements Callable<Integer> {
    private static final long TIMEOUT_MS = 60_000;
    private static final int PAYLOAD_BYTES = 64 * 1024;

    @Option(names = "--nodes", defaultValue = "5", description = "Nodes (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs; medians are reported (default"
            + " ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--round-trips", defaultValue = "2000", description = "Round trips per run (default"
            + " ${DEFAULT-VALUE}).")
    int roundTrips;

    @Option(names = "--seconds", defaultValue = "2", description = "Seconds of bulk transfer per run (default"
            + " ${DEFAULT-VALUE}).")
    int seconds;

    @Mixin
    BenchOptions.Output output;

    @Override
    public Integer call() throws Exception {
        if (nodes < 2 || runs < 1 || roundTrips < 1 || seconds < 1) {
            throw new IllegalArgumentException("--nodes must be >= 2; --runs, --round-trips and --seconds >= 1");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("nodes", nodes);
        parameters.put("relays", 2);
        parameters.put("runs", runs);
        parameters.put("roundTrips", roundTrips);
        parameters.put("throughputSeconds", seconds);
        parameters.put("payloadBytes", PAYLOAD_BYTES);
        parameters.put("lookupIntervalMs", RelayClientConfig.DEFAULT_LOOKUP_INTERVAL_MS);
        parameters.put("note", "loopback; relays, nodes and both TLS ends share the cores; one unmeasured warm-up"
                + " round");
        output.print(new BenchResult("relay", machine, parameters, measure()));
        return 0;
    }

    /** Every measurement, medians over the runs. */
    private Map<String, Object> measure() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        // One unmeasured round of everything first: JIT, TLS and crypto set-up would otherwise land on whichever
        // measurement runs first.
        try (Round b = new Round()) {
            b.meshFormation(nodes, false);
        }
        try (Round b = new Round()) {
            b.meshFormation(nodes, true);
        }
        try (Round b = new Round()) {
            b.pair(false, roundTrips, 1);
        }
        try (Round b = new Round()) {
            b.pair(true, roundTrips, 1);
        }
        List<Long> discovered = new ArrayList<>();
        List<Long> relayed = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try (Round b = new Round()) {
                discovered.add(b.meshFormation(nodes, false));
            }
            try (Round b = new Round()) {
                relayed.add(b.meshFormation(nodes, true));
            }
        }
        Map<String, Object> mesh = new LinkedHashMap<>();
        mesh.put("directAfterRelayDiscovery", summary(discovered));
        mesh.put("allThroughRelayCircuits", summary(relayed));
        out.put("meshFormationMs", mesh);
        // Direct and relayed pairs alternate, so neither profits from running later (warmer JIT, quieter box).
        List<Map<String, Number>> direct = new ArrayList<>();
        List<Map<String, Number>> viaRelay = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try (Round b = new Round()) {
                direct.add(b.pair(false, roundTrips, seconds));
            }
            try (Round b = new Round()) {
                viaRelay.add(b.pair(true, roundTrips, seconds));
            }
        }
        out.put("direct", medians("direct TLS", direct));
        out.put("relayed", medians("through a relay (TLS end to end inside the circuit)", viaRelay));
        return out;
    }

    /** Per figure: the median over runs, and every run's value. */
    private static Map<String, Object> medians(String path, List<Map<String, Number>> runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        for (String key : runs.getFirst().keySet()) {
            List<Double> values = runs.stream().map(r -> r.get(key).doubleValue()).toList();
            double median = values.stream().sorted().toList().get(values.size() / 2);
            Map<String, Object> figure = new LinkedHashMap<>();
            figure.put("median", median);
            figure.put("runs", values);
            m.put(key, figure);
        }
        return m;
    }

    private static Map<String, Object> summary(List<Long> ms) {
        long[] sorted = ms.stream().mapToLong(Long::longValue).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runs", List.copyOf(ms));
        m.put("median", sorted[sorted.length / 2]);
        m.put("max", sorted[sorted.length - 1]);
        return m;
    }

    /** One measurement's relays and nodes, all closed together when it ends. */
    private static final class Round implements AutoCloseable {
        private final SecureRandom random = new SecureRandom();
        private final SigningKey root = SigningKey.generate(random);
        private final List<AutoCloseable> open = new ArrayList<>();

        /** A node: network, node thread, and a listener that records what the measurements need. */
        private final class Node implements Network.Listener {
            final SigningKey key = SigningKey.generate(random);
            final NodeId id = NodeId.of(key.verifyingKey());
            final LocalIdentity identity;
            final NodeThread thread = new NodeThread("bench-" + id.shortForm());
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
                identity = new LocalIdentity(root.verifyingKey(), key, NodeCertificate.issue(root,
                        key.verifyingKey(), Role.VOTER, now - 3_600_000, now + 86_400_000), 1);
                net = new NettyNetwork(NetworkConfig.defaults("127.0.0.1", 0).withFaultInjection(true)
                        .withIdleTimeoutMs(120_000), identity, thread, this, new SystemClock());
                address = net.start();
                open.add(this::close);
            }

            void useRelays(List<RelayServer> relayServers) {
                List<InetSocketAddress> relayAddresses = relayServers.stream().map(RelayServer::address).toList();
                Map<String, io.agentmesh.relay.tls.RelayFingerprint> pins = new LinkedHashMap<>();
                relayServers.forEach(r -> pins.put(io.agentmesh.relay.HostPort.format(r.address()), r.fingerprint()));
                relays = new RelayClient(RelayClientConfig.defaults(relayAddresses).withPins(pins), identity, net,
                        List.of(address), (peer, a) -> thread.execute(() -> {
                            addresses.put(peer, a);
                            net.dial(peer, a);
                        }), new SystemClock(), new SecureRandom());
            }

            private void redial(NodeId peer) {
                thread.schedule(() -> {
                    InetSocketAddress a = addresses.get(peer);
                    if (a != null && !net.connectedPeers().contains(peer)) {
                        net.dial(peer, a);
                    }
                }, 50);
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
                    case WireMessage.Heartbeat h -> net.send(peer, new WireMessage.HeartbeatAck(h.sentNanos(), WireMessage.HeartbeatAck.NO_WALL_TIME));
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
                thread.close();
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
            List<RelayServer> relays = List.of(relay(), relay());
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

        /**
         * Registration time (both nodes, from starting their relay clients to registered), round trips and one-way
         * throughput between two nodes, direct or through a relay.
         */
        private Map<String, Number> pair(boolean relayed, int roundTrips, int seconds) throws Exception {
            List<RelayServer> relays = List.of(relay());
            Node a = new Node();
            Node b = new Node();
            a.useRelays(relays);
            b.useRelays(relays);
            if (relayed) {
                a.net.faults().blockDirect(b.id);
                b.net.faults().blockDirect(a.id);
            }
            long t0 = System.nanoTime();
            b.relays.start();
            a.relays.start();
            long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            while (!(registered(a) && registered(b))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the pair did not register");
                }
                Thread.sleep(1);
            }
            double registrationMs = Math.round((System.nanoTime() - t0) / 1e5) / 10.0;
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
            Map<String, Number> m = new LinkedHashMap<>();
            m.put("registrationMs", registrationMs);
            m.putAll(roundTrips(a, b, roundTrips));
            m.put("throughputMBps", throughput(a, b, seconds));
            return m;
        }

        /** Whether {@code n} is registered with every relay it uses (its control connections confirmed). */
        private static boolean registered(Node n) {
            return n.relays.relays().stream().allMatch(RelayClient.Status::registered);
        }

        private Map<String, Number> roundTrips(Node a, Node b, int count) throws Exception {
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
            Map<String, Number> m = new LinkedHashMap<>();
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
}
