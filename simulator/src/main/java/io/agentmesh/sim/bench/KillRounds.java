package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.sim.live.NodeClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The kill rounds of {@code bench failover}. Each round finds the leader every node agrees on, kills it with
 * kill -9, submits a job intent at a random survivor that holds state (never a witness) right after, and measures
 * from the kill to (a) the first survivor's status (a witness's too) naming another leader, (b) the new leader's
 * performed.jsonl line for that intent (its wall-clock time: same machine, same clock) and (c) the outcome answered
 * by that survivor. Then it restarts the killed node, waits until every node follows one leader again, and lets the
 * cluster settle before the next round.
 */
final class KillRounds {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration AGREE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final long POLL_MS = 10;
    private static final int LOG_LINES = 60;

    /** The rounds done, and why the rest were not (null when all were). */
    record Result(List<FailoverFigures.KillRound> rounds, String abortedBecause,
                  Map<String, List<String>> logsAtAbort) {
    }

    private final LiveCluster c;
    private final Random rnd;
    private final Optional<WriteLoad> writes;
    private final long settleMs;
    private final BenchOptions.Progress progress;

    KillRounds(LiveCluster c, Random rnd, Optional<WriteLoad> writes, long settleMs, BenchOptions.Progress progress) {
        this.c = c;
        this.rnd = rnd;
        this.writes = writes;
        this.settleMs = settleMs;
        this.progress = progress;
    }

    Result run(int kills) throws InterruptedException {
        List<FailoverFigures.KillRound> rounds = new ArrayList<>();
        // Kills done of the total on stderr (a bar on a terminal), whether or not --verbose prints each round.
        try (io.agentmesh.node.cli.Progress done = io.agentmesh.node.cli.Progress.start(
                "failover " + c.nodes().size() + " nodes", kills, "kills")) {
            for (int k = 1; k <= kills; k++) {
                NodeLogs marks = NodeLogs.mark(c.nodes());
                try {
                    rounds.add(round(k));
                    done.set(k);
                } catch (IOException | IllegalStateException e) {
                    // The cluster did not come back together (restart or agreement): later rounds would measure that.
                    progress.say("  %d nodes: stopping the kill rounds after round %d: %s", c.nodes().size(), k,
                            e.getMessage());
                    return new Result(rounds, e.getMessage(), marks.since(LOG_LINES));
                }
            }
        }
        return new Result(rounds, null, Map.of());
    }

    private FailoverFigures.KillRound round(int k) throws IOException, InterruptedException {
        int size = c.nodes().size();
        ClusterLeader leader = ClusterLeader.awaitAgreed(c, AGREE_TIMEOUT);
        List<LiveCluster.Node> survivors = c.nodes().stream().filter(n -> n.index() != leader.index()).toList();
        // The intent goes to a survivor that holds state: a witness refuses it (409).
        List<LiveCluster.Node> servers = survivors.stream().filter(LiveCluster.Node::holdsState).toList();
        LiveCluster.Node survivor = servers.get(rnd.nextInt(servers.size()));
        LiveCluster.Node killed = c.node(leader.index());
        NodeLogs marks = NodeLogs.mark(c.nodes());
        writes.ifPresent(w -> w.pause(leader.index()));
        long killWall = System.currentTimeMillis();
        long killNanos = System.nanoTime();
        FailoverFigures.KillRound r;
        try (StatusWatch named = StatusWatch.start(survivors, killNanos, POLL_MS,
                cons -> ClusterLeader.namesLeaderOtherThan(cons, leader.id()))) {
            killed.process().orElseThrow().destroyForcibly();
            Long performedMs = null;
            Long visibleMs = null;
            String performer = null;
            Long newTerm = null;
            String status = null;
            String error = null;
            try {
                String id = submit(survivor, k);
                Outcome o = awaitPerformed(survivor, id, leader.index(), killNanos);
                visibleMs = (o.visibleNanos() - killNanos) / 1_000_000;
                status = o.status();
                performer = o.performer();
                newTerm = o.term();
                if (o.performedWallMillis() >= 0) {
                    performedMs = o.performedWallMillis() - killWall;
                }
            } catch (IOException | IllegalStateException e) {
                error = e.getMessage();
            }
            Optional<StatusWatch.Seen> seen = named.await(killNanos + ROUND_TIMEOUT.toNanos());
            r = new FailoverFigures.KillRound(k, killed.name(), leader.term(),
                    seen.map(StatusWatch.Seen::afterMs).orElse(null), seen.map(StatusWatch.Seen::node).orElse(null),
                    performer, newTerm, performedMs, visibleMs, status, error, null, null);
        }
        if (r.slow()) {
            r = r.withLogs(marks.since(LOG_LINES));
        }
        progress.say("  %d nodes round %3d: killed %s (term %d); new leader named after %s ms by %s; %s %s"
                        + " (load %.1f)%s", size, k, killed.name(), leader.term(), r.newLeaderNamedAfterMs(),
                r.namedBy(),
                r.newLeader() == null ? "-" : r.newLeader() + " term " + r.newTerm(),
                r.performedAfterMs() != null ? "performed after " + r.performedAfterMs() + " ms"
                        : "NOT performed (" + r.outcome() + ")", LoadAverage.now().oneMinute(),
                r.error() == null ? "" : "; error: " + r.error());
        c.kill9(leader.index()); // waits for the exit
        long launched = System.nanoTime();
        c.restart(leader.index());
        r = r.withRestartReadyMs((System.nanoTime() - launched) / 1_000_000);
        writes.ifPresent(w -> w.resume(leader.index()));
        try {
            ClusterLeader.awaitAgreed(c, AGREE_TIMEOUT);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("after restarting " + killed.name() + ": " + e.getMessage());
        }
        Thread.sleep(settleMs);
        return r;
    }

    /** performedWallMillis -1: the outcome says the job was not run (e.g. reconciled as uncertain). */
    private record Outcome(long performedWallMillis, long visibleNanos, String performer, long term, String status) {
    }

    private String submit(LiveCluster.Node node, long seq) throws IOException, InterruptedException {
        NodeClient.Response r = node.client().post("/v1/intents", Map.of("kind", "job", "payload",
                Map.of("bench", "failover", "seq", seq)), REQUEST_TIMEOUT);
        if (r.status() != 201) {
            throw new IOException("intent refused by " + node.name() + ": HTTP " + r.status() + " " + r.body());
        }
        return r.body().get("id").asText();
    }

    /**
     * Watches every surviving node's performed.jsonl for {@code id} and the survivor's API for its outcome; returns
     * when both are seen, or 3 s after an outcome other than "succeeded" with no line (then the job was not run: a
     * reconciled claim).
     */
    private Outcome awaitPerformed(LiveCluster.Node survivor, String id, int killed, long killNanos)
            throws IOException, InterruptedException {
        long deadline = killNanos + ROUND_TIMEOUT.toNanos();
        long performedWall = -1;
        String performer = null;
        long term = -1;
        long visible = -1;
        JsonNode outcome = null;
        Map<Integer, Long> sizes = new LinkedHashMap<>();
        long lastApi = 0;
        while (System.nanoTime() < deadline) {
            if (performedWall < 0) {
                for (LiveCluster.Node n : c.nodes()) {
                    if (n.index() == killed) {
                        continue;
                    }
                    Path f = n.performedFile();
                    long len = Files.exists(f) ? Files.size(f) : 0;
                    if (len == 0 || len == sizes.getOrDefault(n.index(), -1L)) {
                        continue;
                    }
                    sizes.put(n.index(), len);
                    Optional<String> line = Files.readAllLines(f, StandardCharsets.UTF_8).reversed().stream()
                            .filter(l -> l.contains(id)).findFirst();
                    if (line.isPresent()) {
                        JsonNode j = JSON.readTree(line.get());
                        performedWall = j.path("timeMillis").asLong();
                        performer = n.name();
                        term = j.path("term").asLong();
                    }
                }
            }
            long now = System.nanoTime();
            if (visible < 0 && now - lastApi >= POLL_MS * 1_000_000L) {
                lastApi = now;
                try {
                    NodeClient.Response r = survivor.client().get("/v1/intents/" + id, REQUEST_TIMEOUT);
                    if (r.ok() && r.body().hasNonNull("outcome")) {
                        visible = System.nanoTime();
                        outcome = r.body().get("outcome");
                    }
                } catch (IOException e) {
                    // a busy survivor may time out one poll; the round's deadline decides
                }
            }
            if (performedWall >= 0 && visible >= 0) {
                return new Outcome(performedWall, visible, performer, term, outcome.path("status").asText());
            }
            if (visible >= 0 && !"succeeded".equals(outcome.path("status").asText())
                    && System.nanoTime() - visible > 3_000_000_000L) {
                String by = outcome.path("performedBy").asText();
                return new Outcome(-1, visible, c.byId(by).map(LiveCluster.Node::name).orElse(by),
                        outcome.path("term").asLong(), outcome.path("status").asText());
            }
            Thread.sleep(2);
        }
        JsonNode st = ClusterLeader.consensus(survivor, REQUEST_TIMEOUT);
        throw new IllegalStateException("intent " + id + " not performed and visible within "
                + ROUND_TIMEOUT.toSeconds() + " s of the kill (line found: " + (performedWall >= 0) + ", outcome: "
                + outcome + "); " + survivor.name() + " consensus: " + (st == null ? "no answer" : st));
    }
}
