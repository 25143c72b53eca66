package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.llm.config.Timeouts;
import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.sim.live.NodeHeap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The LLM gateway on a loopback mesh of real {@code node run} processes whose llm.json names two fake providers
 * ({@link LoopbackLlm}, in this process) for one model, p1 first. Three measurements, in this order:
 * <ol>
 *   <li>overhead: the same calls straight to p1 and through the leader's {@code /llm/openai/v1/chat/completions},
 *       interleaved (latency of a JSON answer; time to the first token of a stream);</li>
 *   <li>calls/s through the journal: C clients calling the leader in a loop for D seconds (every call is an open,
 *       an attempt start, an attempt end and a close in the Raft call ledger);</li>
 *   <li>failover: one client calls in a loop; at a random moment p1 refuses connections or goes silent, and the
 *       time from that moment to the first call answered by p2 is one sample. p1 then recovers, and the next outage
 *       starts once the gateway sends calls to p1 again.</li>
 * </ol>
 * The llm.json sets nothing but the providers and the model: every timeout, cooldown and circuit setting is the
 * shipped default, since that is what a user gets.
 */
@Command(name = "llm", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark the LLM gateway: overhead against calling the provider directly, calls/s through"
                + " the call ledger, and the time from a provider outage to calls succeeding on the next provider.")
public final class LlmBenchmark implements Callable<Integer> {
    static final String MODEL = "bench-model";
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(15);
    private static final long RECOVERY_TIMEOUT_MS = 120_000;
    private static final int MAX_RECORDED_CALLS = 1_000_000;

    @Option(names = "--nodes", defaultValue = "3", description = "Node processes (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--calls", defaultValue = "200", description = "Overhead: timed calls of each kind (direct and"
            + " through the gateway, JSON and streamed) (default ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--warmup", defaultValue = "30", description = "Overhead: untimed calls of each kind first"
            + " (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--clients", defaultValue = "1,8,24", split = ",", description = "Calls/s: concurrent clients,"
            + " one measurement per value (default ${DEFAULT-VALUE}; the gateway takes at most 32 calls at once).")
    int[] clients;

    @Option(names = "--seconds", defaultValue = "10", description = "Calls/s: seconds per client count (default"
            + " ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--refuse-outages", defaultValue = "10", description = "Failover: outages in which p1 refuses"
            + " connections, for JSON calls and again for streamed calls (default ${DEFAULT-VALUE}).")
    int refuseOutages;

    @Option(names = "--silent-outages", defaultValue = "2", description = "Failover: outages in which p1 accepts"
            + " requests and never answers, for JSON calls and again for streamed calls (default ${DEFAULT-VALUE}).")
    int silentOutages;

    @Option(names = "--outage-bound-s", defaultValue = "45", description = "Failover: an outage ends unmeasured"
            + " (counted as over the bound) when no call succeeded on p2 within this many seconds (default"
            + " ${DEFAULT-VALUE}).")
    int outageBoundS;

    @Mixin
    NodeHeap heap;

    @Mixin
    BenchOptions.SeededRun run;

    @Mixin
    BenchOptions.Verbose verbose;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || calls < 1 || warmup < 0 || seconds < 1 || refuseOutages < 0 || silentOutages < 0
                || outageBoundS < 1 || clients.length == 0 || Arrays.stream(clients).anyMatch(n -> n < 1 || n > 32)) {
            throw new IllegalArgumentException("--nodes >= 1, --calls >= 1, --warmup >= 0, --seconds >= 1, outages"
                    + " >= 0, --outage-bound-s >= 1, every --clients value 1..32");
        }
        BenchResult.Machine machine = BenchResult.Machine.probe();
        BenchOptions.Progress progress = verbose.progress();
        Path base = run.scratch().create("llm");
        Map<String, Object> figures = new LinkedHashMap<>();
        Random random = new Random(run.seed());
        try (LoopbackLlm p1 = LoopbackLlm.start("p1"); LoopbackLlm p2 = LoopbackLlm.start("p2");
             ChatClient client = new ChatClient()) {
            LiveCluster.Options options = LiveCluster.Options.of(nodes, 0)
                    .withJvmArgs(List.of(heap.jvmOption(), "-XX:+UseSerialGC"))
                    .withLlmConfig(llmJson(p1, p2)).withDir(base.resolve("cluster"), !run.scratch().temporary());
            progress.say("llm: starting %d nodes, providers p1 %s and p2 %s", nodes, p1.baseUrl(), p2.baseUrl());
            try (LiveCluster c = LiveCluster.start(options); LoadWatch load = LoadWatch.start()) {
                ClusterLeader leader = ClusterLeader.awaitAgreed(c, Duration.ofSeconds(60));
                LiveCluster.Node node = c.node(leader.index());
                String gateway = "http://127.0.0.1:" + node.httpPort() + "/llm/openai/v1";
                progress.say("llm: leader %s, gateway %s", node.name(), gateway);
                figures.put("loadAverageAfterStart", LoadAverage.now().asList());
                figures.put("overhead", overhead(client, p1.baseUrl(), gateway, progress));
                Map<String, Object> throughput = new LinkedHashMap<>();
                for (int n : clients) {
                    throughput.put("clients" + n, throughput(client, gateway, node, n, progress));
                }
                figures.put("throughput", throughput);
                Map<String, Object> failover = new LinkedHashMap<>();
                for (LoopbackLlm.Outage kind : LoopbackLlm.Outage.values()) {
                    int count = kind == LoopbackLlm.Outage.SILENT ? silentOutages : refuseOutages;
                    for (boolean stream : new boolean[]{false, true}) {
                        if (count > 0) {
                            String label = kind.name().toLowerCase(Locale.ROOT)
                                    + (stream ? "Streaming" : "Json");
                            failover.put(label, failover(client, gateway, p1, kind, stream, count, random, progress));
                        }
                    }
                }
                figures.put("failover", failover);
                figures.put("providerRequests", Map.of("p1", p1.requests(), "p2", p2.requests()));
                figures.put("leaderAtEnd", ClusterLeader.awaitAgreed(c, Duration.ofSeconds(30)).id()
                        .equals(leader.id()) ? "unchanged" : "changed");
                figures.put("loadAverageMaxDuringRun", load.max());
                figures.put("loadAverageAtEnd", LoadAverage.now().asList());
            }
        } finally {
            run.scratch().cleanUp(base);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("nodes", nodes);
        parameters.put("providers", "p1, p2: loopback fake OpenAI chat completions servers in the benchmark process,"
                + " answering at once (3 chunks when streamed); llm.json names both for one model, p1 first");
        parameters.put("llmJson", "providers and the model only: timeouts, routing, circuit and cooldowns at their"
                + " defaults");
        Timeouts t = Timeouts.DEFAULTS;
        parameters.put("defaultTimeoutsMs", Map.of("connectMs", t.connectMs(), "firstTokenMs", t.firstTokenMs(),
                "streamIdleMs", t.streamIdleMs(), "totalMs", t.totalMs()));
        parameters.put("calls", calls);
        parameters.put("warmup", warmup);
        parameters.put("clients", Arrays.stream(clients).boxed().toList());
        parameters.put("seconds", seconds);
        parameters.put("refuseOutages", refuseOutages);
        parameters.put("silentOutages", silentOutages);
        parameters.put("outageBoundS", outageBoundS);
        parameters.put("heap", heap.value());
        parameters.put("seed", run.seed());
        run.output().print(new BenchResult("llm", machine, parameters, figures));
        return 0;
    }

    static String llmJson(LoopbackLlm p1, LoopbackLlm p2) {
        String model = "[{\"name\": \"" + MODEL + "\", \"contextTokens\": 100000, \"maxOutputTokens\": 1000,"
                + " \"price\": {\"inputPerMTok\": 1, \"outputPerMTok\": 2}}]";
        return "{\"providers\": [\n"
                + "  {\"id\": \"p1\", \"kind\": \"openai-compatible\", \"baseUrl\": \"" + p1.baseUrl()
                + "\", \"noKey\": true, \"models\": " + model + "},\n"
                + "  {\"id\": \"p2\", \"kind\": \"openai-compatible\", \"baseUrl\": \"" + p2.baseUrl()
                + "\", \"noKey\": true, \"models\": " + model + "}]}\n";
    }

    // ------------------------------------------------------------------------------------------ overhead

    private Map<String, Object> overhead(ChatClient client, String direct, String gateway,
                                         BenchOptions.Progress progress) {
        long[][] samples = new long[4][calls];
        int[] errors = new int[4];
        String[] firstError = new String[4];
        String[] urls = {direct, gateway, direct, gateway};
        for (int i = -warmup; i < calls; i++) {
            // Interleaved, so both sides see the same machine at the same moments.
            for (int k = 0; k < 4; k++) {
                boolean stream = k >= 2;
                ChatClient.Call call = client.call(urls[k], MODEL, stream, Duration.ofSeconds(60));
                if (i < 0) {
                    continue;
                }
                if (!call.ok() || call.timeToFirstTokenNanos() < 0) {
                    errors[k]++;
                    firstError[k] = firstError[k] == null ? call.error() : firstError[k];
                    samples[k][i] = -1;
                } else {
                    samples[k][i] = stream ? call.timeToFirstTokenNanos() : call.latencyNanos();
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("json", pair(samples[0], samples[1], errors[0], errors[1], firstError[0], firstError[1]));
        out.put("streamFirstToken", pair(samples[2], samples[3], errors[2], errors[3], firstError[2], firstError[3]));
        progress.say("llm: overhead %s", out);
        return out;
    }

    private static Map<String, Object> pair(long[] direct, long[] gateway, int directErrors, int gatewayErrors,
                                            String directError, String gatewayError) {
        long[] d = sorted(direct);
        long[] g = sorted(gateway);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("directP50Ms", ms(pct(d, 0.50)));
        m.put("directP99Ms", ms(pct(d, 0.99)));
        m.put("gatewayP50Ms", ms(pct(g, 0.50)));
        m.put("gatewayP99Ms", ms(pct(g, 0.99)));
        m.put("addedP50Ms", d.length == 0 || g.length == 0 ? null : ms(pct(g, 0.50) - pct(d, 0.50)));
        m.put("addedP99Ms", d.length == 0 || g.length == 0 ? null : ms(pct(g, 0.99) - pct(d, 0.99)));
        m.put("gatewayMaxMs", g.length == 0 ? null : ms(g[g.length - 1]));
        m.put("directErrors", directErrors);
        m.put("gatewayErrors", gatewayErrors);
        if (directError != null || gatewayError != null) {
            m.put("firstError", directError != null ? "direct: " + directError : "gateway: " + gatewayError);
        }
        return m;
    }

    // ------------------------------------------------------------------------------------------ calls/s

    private Map<String, Object> throughput(ChatClient client, String gateway, LiveCluster.Node leader, int n,
                                           BenchOptions.Progress progress) throws InterruptedException {
        long appliedBefore = appliedIndex(leader);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<List<ChatClient.Call>> perClient = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            List<ChatClient.Call> mine = new ArrayList<>();
            perClient.add(mine);
            threads.add(Thread.ofVirtual().name("llm-client-" + i).start(() -> {
                while (System.nanoTime() < deadline && mine.size() < MAX_RECORDED_CALLS) {
                    mine.add(client.call(gateway, MODEL, false, Duration.ofSeconds(60)));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsedS = (System.nanoTime() - start) / 1e9;
        long appliedAfter = appliedIndex(leader);
        List<Long> latencies = new ArrayList<>();
        int errors = 0;
        String firstError = null;
        for (List<ChatClient.Call> mine : perClient) {
            for (ChatClient.Call call : mine) {
                if (call.ok()) {
                    latencies.add(call.latencyNanos());
                } else {
                    errors++;
                    firstError = firstError == null ? call.error() : firstError;
                }
            }
        }
        long[] sorted = sorted(latencies.stream().mapToLong(Long::longValue).toArray());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clients", n);
        m.put("seconds", Math.round(elapsedS * 100) / 100.0);
        m.put("callsAnswered", sorted.length);
        m.put("errors", errors);
        m.put("callsPerSecond", Math.round(sorted.length / elapsedS * 10) / 10.0);
        m.put("p50Ms", ms(pct(sorted, 0.50)));
        m.put("p99Ms", ms(pct(sorted, 0.99)));
        m.put("maxMs", sorted.length == 0 ? null : ms(sorted[sorted.length - 1]));
        m.put("raftEntriesPerCall", appliedBefore < 0 || appliedAfter < 0 || sorted.length == 0 ? null
                : Math.round((appliedAfter - appliedBefore) * 100.0 / (sorted.length + errors)) / 100.0);
        if (firstError != null) {
            m.put("firstError", firstError);
        }
        progress.say("llm: %d clients %s", n, m);
        return m;
    }

    private static long appliedIndex(LiveCluster.Node n) {
        JsonNode consensus = ClusterLeader.consensus(n, Duration.ofSeconds(5));
        return consensus == null ? -1 : consensus.path("appliedIndex").asLong(-1);
    }

    // ------------------------------------------------------------------------------------------ failover

    /** Every call one looping client made, in the order they ended. */
    private static final class CallLog {
        private final List<ChatClient.Call> calls = new ArrayList<>();

        synchronized void add(ChatClient.Call call) {
            if (calls.size() < MAX_RECORDED_CALLS) {
                calls.add(call);
            }
        }

        synchronized int size() {
            return calls.size();
        }

        synchronized List<ChatClient.Call> from(int index) {
            return List.copyOf(calls.subList(Math.min(index, calls.size()), calls.size()));
        }

        /** The first call at or after {@code index} that {@code wanted} accepts, waiting up to {@code timeoutMs}. */
        ChatClient.Call await(int index, Predicate<ChatClient.Call> wanted, long timeoutMs) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            int seen = index;
            while (true) {
                List<ChatClient.Call> fresh = from(seen);
                for (ChatClient.Call call : fresh) {
                    if (wanted.test(call)) {
                        return call;
                    }
                }
                seen += fresh.size();
                if (System.nanoTime() > deadline) {
                    return null;
                }
                Thread.sleep(1);
            }
        }
    }

    private Map<String, Object> failover(ChatClient client, String gateway, LoopbackLlm p1, LoopbackLlm.Outage kind,
                                         boolean stream, int count, Random random, BenchOptions.Progress progress)
            throws Exception {
        CallLog log = new CallLog();
        AtomicBoolean stop = new AtomicBoolean();
        Thread caller = Thread.ofVirtual().name("llm-failover-client").start(() -> {
            while (!stop.get()) {
                log.add(client.call(gateway, MODEL, stream, CALL_TIMEOUT));
            }
        });
        List<Long> samples = new ArrayList<>();
        int overBound = 0;
        int failedCalls = 0;
        List<String> failures = new ArrayList<>();
        List<Long> recoveryMs = new ArrayList<>();
        String label = kind + (stream ? " streamed" : " JSON");
        try {
            long restored = System.nanoTime();
            for (int k = 0; k < count; k++) {
                final long since = restored;
                ChatClient.Call back = log.await(0, c -> c.startNanos() >= since && c.answeredBy("p1"),
                        RECOVERY_TIMEOUT_MS);
                if (back == null) {
                    throw new IllegalStateException("after outage " + k + " (" + label + ") no call was answered by"
                            + " p1 again within " + RECOVERY_TIMEOUT_MS + " ms");
                }
                if (k > 0) {
                    recoveryMs.add(TimeUnit.NANOSECONDS.toMillis(back.endNanos() - restored));
                }
                Thread.sleep(300 + random.nextInt(1200));
                int index = log.size();
                long t0 = System.nanoTime();
                p1.fail(kind);
                ChatClient.Call first = log.await(index, c -> c.endNanos() > t0 && c.answeredBy("p2"),
                        TimeUnit.SECONDS.toMillis(outageBoundS));
                long t1 = System.nanoTime();
                if (first == null) {
                    overBound++;
                } else {
                    samples.add(first.endNanos() - t0);
                }
                for (ChatClient.Call c : log.from(index)) {
                    if (c.endNanos() > t0 && c.endNanos() <= t1 && !c.ok()) {
                        failedCalls++;
                        if (failures.size() < 3) {
                            failures.add(c.error());
                        }
                    }
                }
                p1.recover();
                restored = System.nanoTime();
                progress.say("llm: %s outage %d: %s", label, k + 1, first == null ? "no call answered by p2 within "
                        + outageBoundS + " s" : String.format(Locale.ROOT, "answered by p2 after %.1f ms",
                        (first.endNanos() - t0) / 1e6));
            }
            // the last outage's recovery, so the next scenario starts from a healthy p1
            final long since = restored;
            ChatClient.Call back = log.await(0, c -> c.startNanos() >= since && c.answeredBy("p1"), RECOVERY_TIMEOUT_MS);
            if (back != null) {
                recoveryMs.add(TimeUnit.NANOSECONDS.toMillis(back.endNanos() - restored));
            }
        } finally {
            stop.set(true);
            p1.recover();
            caller.join(Duration.ofSeconds(60));
        }
        long[] sorted = sorted(samples.stream().mapToLong(Long::longValue).toArray());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("outages", count);
        m.put("measured", sorted.length);
        m.put("overBound", overBound);
        m.put("p50Ms", ms(pct(sorted, 0.50)));
        m.put("p99Ms", ms(pct(sorted, 0.99)));
        m.put("maxMs", sorted.length == 0 ? null : ms(sorted[sorted.length - 1]));
        m.put("samplesMs", Arrays.stream(sorted).mapToObj(LlmBenchmark::ms).toList());
        m.put("failedCallsDuringOutages", failedCalls);
        if (!failures.isEmpty()) {
            m.put("failures", failures);
        }
        m.put("p1BackAfterRecoveryMs", recoveryMs);
        return m;
    }

    // ------------------------------------------------------------------------------------------ figures

    private static long[] sorted(long[] samples) {
        long[] s = Arrays.stream(samples).filter(v -> v >= 0).toArray();
        Arrays.sort(s);
        return s;
    }

    private static long pct(long[] sorted, double q) {
        return sorted.length == 0 ? Long.MIN_VALUE : sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))];
    }

    private static Double ms(long nanos) {
        return nanos == Long.MIN_VALUE ? null : Math.round(nanos / 1e4) / 100.0;
    }
}
