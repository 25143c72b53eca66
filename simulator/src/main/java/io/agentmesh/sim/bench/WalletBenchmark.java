package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.wallet.chain.Keystore;
import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.sim.live.NodeClient;
import io.agentmesh.sim.live.NodeHeap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The wallet (docs/wallet.md) on a loopback mesh of real {@code node run} processes and a local anvil chain
 * (automine: every transaction is mined at once), each node holding the wallet's keystore. Three measurements:
 * <ol>
 *   <li>request to receipt: one client, {@code POST /v1/wallet/spend} waiting for the spend to complete (claim,
 *       prepare, broadcast, receipt, included and completed, five Raft commits and the chain calls between);</li>
 *   <li>spends/s through the journal: C clients spending in a loop for D seconds, each waiting for completion;</li>
 *   <li>leader kill: a spend is requested, the leader's process is killed -9 once the spend is prepared, and the time
 *       from the kill to the spend completed (as a survivor reports it) is one sample; the node is restarted before
 *       the next.</li>
 * </ol>
 */
@Command(name = "wallet", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark the wallet on anvil: spend request to completion, spends/s, and a leader killed"
                + " mid-spend to the spend completed.")
public final class WalletBenchmark implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSPHRASE = "bench-wallet-passphrase";

    @Option(names = "--nodes", defaultValue = "3", description = "Node processes (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--spends", defaultValue = "50", description = "Request to receipt: timed spends (default"
            + " ${DEFAULT-VALUE}).")
    int spends;

    @Option(names = "--clients", defaultValue = "4", description = "Spends/s: concurrent clients (default"
            + " ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", defaultValue = "10", description = "Spends/s: seconds (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--kills", defaultValue = "3", description = "Leader kills mid-spend (default ${DEFAULT-VALUE}).")
    int kills;

    @Mixin
    NodeHeap heap;

    @Mixin
    BenchOptions.SeededRun run;

    @Mixin
    BenchOptions.Verbose verbose;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || spends < 1 || clients < 1 || clients > 64 || seconds < 1 || kills < 0
                || (kills > 0 && nodes < 3)) {
            throw new IllegalArgumentException("--nodes >= 1 (>= 3 with kills), --spends >= 1, --clients 1..64,"
                    + " --seconds >= 1, --kills >= 0");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        BenchOptions.Progress progress = verbose.progress();
        Path base = run.scratch().create("wallet");
        Map<String, Object> figures = new LinkedHashMap<>();
        try (AnvilChain anvil = AnvilChain.start()) {
            Path clusterDir = base.resolve("cluster");
            Path pass = base.resolve("passphrase");
            Files.writeString(pass, PASSPHRASE);
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
            String config = JSON.writeValueAsString(Map.of("rpcUrl", anvil.url().toString(), "chainId", 31337,
                    "confirmations", 1, "pollMs", 50, "maxInFlight", 64,
                    "policy", Map.of("perTxCapEther", "1", "dailyBudgetEther", "1000",
                            "maxSpendsPerWindow", 10_000, "velocityWindowMs", 60_000)));
            for (int i = 1; i <= nodes; i++) {
                Path home = clusterDir.resolve("n" + i);
                Files.createDirectories(home);
                Keystore.importKey(home.resolve("wallet/keystore.json"), AnvilChain.KEY0, PASSPHRASE.toCharArray(),
                        new SecureRandom(), Keystore.Scrypt.LIGHT);
                Files.writeString(home.resolve("wallet.json"), config);
            }
            LiveCluster.Options options = LiveCluster.Options.of(nodes, 0)
                    .withJvmArgs(List.of(heap.jvmOption(), "-XX:+UseSerialGC"))
                    .withDir(clusterDir, !run.scratch().temporary())
                    .withNodeArgs(List.of("--passphrase-file", pass.toString()));
            progress.say("wallet: starting %d nodes on anvil %s", nodes, anvil.url());
            try (LiveCluster c = LiveCluster.start(options); LoadWatch load = LoadWatch.start()) {
                LiveCluster.Node leader = walletLeader(c);
                figures.put("loadAverageAfterStart", LoadAverage.now().asList());
                figures.put("requestToCompletion", sequential(leader, progress));
                figures.put("throughput", throughput(leader, progress));
                if (kills > 0) {
                    figures.put("leaderKill", leaderKills(c, progress));
                }
                if (FIRST_ERROR.get() != null) {
                    figures.put("firstError", FIRST_ERROR.get());
                }
                figures.put("loadAverageMaxDuringRun", load.max());
                figures.put("loadAverageAtEnd", LoadAverage.now().asList());
            }
        } finally {
            run.scratch().cleanUp(base);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("nodes", nodes);
        parameters.put("chain", "anvil 1.7.1, automine, chain id 31337; confirmations 1; keystore light scrypt");
        parameters.put("spends", spends);
        parameters.put("clients", clients);
        parameters.put("seconds", seconds);
        parameters.put("kills", kills);
        parameters.put("heap", heap.value());
        run.output().print(new BenchResult("wallet", machine, parameters, figures));
        return 0;
    }

    /** The node whose wallet driver leads and has reconciled (waits up to a minute). */
    private static LiveCluster.Node walletLeader(LiveCluster c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (LiveCluster.Node n : c.nodes()) {
                if (!n.alive()) {
                    continue;
                }
                try {
                    JsonNode d = n.client().get("/v1/wallet", Duration.ofSeconds(5)).body().path("driver");
                    if (d.path("leader").asBoolean() && d.path("reconciled").asBoolean()) {
                        return n;
                    }
                } catch (IOException e) {
                    // not answering now
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no node's wallet driver leads after 60 s");
    }

    private static final AtomicInteger KEYS = new AtomicInteger();
    /** The first answer that was not a completed spend, for the figures. */
    private static final java.util.concurrent.atomic.AtomicReference<String> FIRST_ERROR =
            new java.util.concurrent.atomic.AtomicReference<>();

    /** One spend, waiting for it to end; its latency in ns, or -1 when it did not complete. */
    private static long spend(LiveCluster.Node at, int waitSeconds) {
        long t0 = System.nanoTime();
        try {
            NodeClient.Response r = at.client().post("/v1/wallet/spend", Map.of("idempotencyKey",
                    "bench-" + KEYS.incrementAndGet(), "to", AnvilChain.ADDRESS2, "valueWei", "1",
                    "waitSeconds", waitSeconds), Duration.ofSeconds(waitSeconds + 30));
            if (r.status() == 200 && r.body().path("state").asText().equals("COMPLETED")) {
                return System.nanoTime() - t0;
            }
            FIRST_ERROR.compareAndSet(null, r.status() + " " + r.body());
            return -1;
        } catch (IOException e) {
            FIRST_ERROR.compareAndSet(null, e.toString());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private Map<String, Object> sequential(LiveCluster.Node leader, BenchOptions.Progress progress) {
        long[] samples = new long[spends];
        int failed = 0;
        for (int i = 0; i < spends; i++) {
            samples[i] = spend(leader, 60);
            failed += samples[i] < 0 ? 1 : 0;
        }
        Map<String, Object> m = percentiles(samples);
        m.put("notCompleted", failed);
        progress.say("wallet: request to completion %s", m);
        return m;
    }

    private Map<String, Object> throughput(LiveCluster.Node leader, BenchOptions.Progress progress)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<List<Long>> perClient = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            List<Long> mine = new ArrayList<>();
            perClient.add(mine);
            threads.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < deadline) {
                    mine.add(spend(leader, 60));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsedS = (System.nanoTime() - start) / 1e9;
        long[] all = perClient.stream().flatMap(List::stream).mapToLong(Long::longValue).toArray();
        long completed = Arrays.stream(all).filter(v -> v >= 0).count();
        Map<String, Object> m = percentiles(all);
        m.put("clients", clients);
        m.put("completed", completed);
        m.put("notCompleted", all.length - completed);
        m.put("spendsPerSecond", Math.round(completed / elapsedS * 100) / 100.0);
        progress.say("wallet: throughput %s", m);
        return m;
    }

    private Map<String, Object> leaderKills(LiveCluster c, BenchOptions.Progress progress) throws Exception {
        long[] samples = new long[kills];
        for (int k = 0; k < kills; k++) {
            LiveCluster.Node leader = walletLeader(c);
            String key = "bench-kill-" + k;
            NodeClient.Response r = leader.client().post("/v1/wallet/spend", Map.of("idempotencyKey", key,
                    "to", AnvilChain.ADDRESS2, "valueWei", "1", "waitSeconds", 0), Duration.ofSeconds(30));
            long id = r.body().path("id").asLong();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < until && !state(leader, id).matches("PREPARED|INCLUDED|COMPLETED")) {
                Thread.sleep(5);
            }
            long t0 = System.nanoTime();
            c.kill9(leader.index());
            samples[k] = -1;
            long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            outer:
            while (System.nanoTime() < bound) {
                for (LiveCluster.Node n : c.nodes()) {
                    if (n.alive() && state(n, id).equals("COMPLETED")) {
                        samples[k] = System.nanoTime() - t0;
                        break outer;
                    }
                }
                Thread.sleep(20);
            }
            progress.say("wallet: kill %d: %s ms", k, samples[k] < 0 ? "not completed" : samples[k] / 1_000_000);
            c.restart(leader.index());
        }
        Map<String, Object> m = percentiles(samples);
        m.put("kills", kills);
        m.put("notCompleted", Arrays.stream(samples).filter(v -> v < 0).count());
        return m;
    }

    private static String state(LiveCluster.Node n, long id) {
        try {
            return n.client().get("/v1/wallet/spend?id=" + id, Duration.ofSeconds(2)).body().path("state")
                    .asText("");
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static Map<String, Object> percentiles(long[] samples) {
        long[] s = Arrays.stream(samples).filter(v -> v >= 0).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("samples", s.length);
        m.put("p50Ms", s.length == 0 ? null : ms(s[Math.min(s.length - 1, (int) (s.length * 0.50))]));
        m.put("p99Ms", s.length == 0 ? null : ms(s[Math.min(s.length - 1, (int) (s.length * 0.99))]));
        m.put("maxMs", s.length == 0 ? null : ms(s[s.length - 1]));
        return m;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
