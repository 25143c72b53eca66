package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.consensus.ConsensusEvents;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.ConsensusRecords.Action;
import io.agentmesh.sim.check.ConsensusRecords.AppliedClaim;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;
import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.ConsensusRecords.ObservationGap;
import io.agentmesh.sim.check.ConsensusRecords.OutcomeSeen;
import io.agentmesh.sim.check.History;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The end of a live run: waits for convergence, then gathers every node's final state, every performed.jsonl line,
 * the ERROR lines of the logs and each node's last consensus events, and turns them into History records. The
 * consensus part is kept as {@link LiveEvidence} and translated by {@link #translate}, the one place where live
 * observations become the {@link ConsensusRecords} the simulator's checkers read.
 */
final class LiveCollector {
    private static final long CONVERGENCE_POLL_MS = 200;

    private final LiveConfig config;
    private final LiveCluster cluster;
    private final LiveProgress progress;
    private final Map<String, String> nameById;
    private final List<ConsensusReader> consensus;
    private final long t0WallMillis;

    LiveCollector(LiveConfig config, LiveCluster cluster, LiveProgress progress, Map<String, String> nameById,
                  List<ConsensusReader> consensus, long t0WallMillis) {
        this.config = config;
        this.cluster = cluster;
        this.progress = progress;
        this.nameById = nameById;
        this.consensus = List.copyOf(consensus);
        this.t0WallMillis = t0WallMillis;
    }

    // ------------------------------------------------------------------------------------------ convergence

    /**
     * Waits until every node holds the same changes and the same state, with an outcome for every intent its state
     * lists and for every acknowledged one; returns that run time, or -1 when the bound passed first.
     */
    long awaitConvergence(LiveRecorder clock, long finalHealMs, Set<String> acknowledgedIntents)
            throws InterruptedException {
        long deadline = finalHealMs + config.convergenceBoundMs();
        while (true) {
            long at = clock.now();
            if (converged(acknowledgedIntents)) {
                progress.say("converged " + (at - finalHealMs) + " ms after the final heal");
                return at;
            }
            if (clock.now() > deadline) {
                progress.say("NOT converged within " + config.convergenceBoundMs() + " ms of the final heal");
                return -1;
            }
            Thread.sleep(CONVERGENCE_POLL_MS);
        }
    }

    /** Over the nodes that hold state: a witness has no changes, no state and no outcomes to agree on. */
    private boolean converged(Set<String> intents) throws InterruptedException {
        List<Map<String, Long>> vectors = new ArrayList<>();
        for (LiveCluster.Node nd : cluster.stateNodes()) {
            try {
                NodeClient.Response r = nd.client().get("/v1/status", LivePoller.POLL_TIMEOUT);
                if (!r.ok()) {
                    return false;
                }
                Map<String, Long> v = new TreeMap<>();
                r.body().path("vector").fields().forEachRemaining(e -> v.put(e.getKey(), e.getValue().asLong()));
                vectors.add(v);
            } catch (IOException e) {
                return false;
            }
        }
        if (vectors.stream().distinct().count() != 1) {
            return false;
        }
        String digest = null;
        for (LiveCluster.Node nd : cluster.stateNodes()) {
            try {
                NodeClient.Response r = nd.client().get("/v1/state", LiveWorkload.WRITE_TIMEOUT);
                if (!r.ok()) {
                    return false;
                }
                String d = digest(r.body());
                if (digest != null && !digest.equals(d)) {
                    return false;
                }
                digest = d;
                Set<String> outcomes = new HashSet<>();
                r.body().path("outcomes").forEach(o -> outcomes.add(o.path("intentId").asText()));
                Set<String> wanted = new HashSet<>(intents);
                r.body().path("intents").forEach(i -> wanted.add(i.path("id").asText()));
                if (!outcomes.containsAll(wanted)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    static String digest(JsonNode state) {
        try {
            byte[] bytes = NodeClient.JSON.writeValueAsBytes(state);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ gathering

    /**
     * Each node's final state into {@code h}, and what it holds about intents into the returned list. A node that
     * does not answer is recorded as down. A witness holds no agent state, so only its voters are recorded (as in
     * the simulator).
     */
    List<IntentsFinal> collectFinals(History h) throws InterruptedException {
        List<IntentsFinal> intents = new ArrayList<>();
        for (LiveCluster.Node nd : cluster.nodes()) {
            if (!nd.holdsState()) {
                try {
                    NodeClient.Response st = nd.client().get("/v1/status", LivePoller.POLL_TIMEOUT);
                    if (st.ok()) {
                        membersFinal(h, nd, st.body());
                    }
                } catch (IOException e) {
                    // a witness that does not answer has no voters to compare; the liveness checks saw it down
                }
                continue;
            }
            try {
                NodeClient.Response st = nd.client().get("/v1/status", LivePoller.POLL_TIMEOUT);
                NodeClient.Response state = nd.client().get("/v1/state", LiveWorkload.WRITE_TIMEOUT);
                if (!st.ok() || !state.ok()) {
                    throw new IOException("HTTP " + st.status() + "/" + state.status());
                }
                Map<String, Long> vector = new TreeMap<>();
                st.body().path("vector").fields().forEachRemaining(e -> vector.put(e.getKey(), e.getValue().asLong()));
                JsonNode s = state.body();
                Set<String> memory = new HashSet<>();
                s.path("memory").forEach(m -> memory.add(m.path("id").asText()));
                Set<String> tasks = new HashSet<>();
                s.path("tasks").forEach(t -> tasks.add(t.path("id").asText()));
                h.nodeFinal(new History.NodeFinal(nd.name(), true, List.of(), digest(s), vector, memory, tasks,
                        s.path("notes").asText(""), 0, st.body().path("replication").path("rejected").asLong()));
                intents.add(intentsFinal(nd.name(), s));
                membersFinal(h, nd, st.body());
            } catch (IOException e) {
                h.nodeFinal(new History.NodeFinal(nd.name(), false, List.of(), null, Map.of(), Set.of(), Set.of(), null,
                        0, 0));
                intents.add(new IntentsFinal(nd.name(), false, Set.of(), Map.of()));
            }
        }
        // Every node of a live cluster is a voter, witnesses included (LiveConfig allows up to seven), none is removed.
        h.record(ConsensusRecords.ExpectedVoters.class, new ConsensusRecords.ExpectedVoters(
                cluster.nodes().stream().map(LiveCluster.Node::name).sorted().toList()));
        return intents;
    }

    private void membersFinal(History h, LiveCluster.Node nd, JsonNode status) {
        JsonNode c = status.path("consensus");
        List<String> voters = new ArrayList<>();
        c.path("voters").forEach(v -> voters.add(nameById.getOrDefault(v.asText(), v.asText())));
        h.record(ConsensusRecords.MembersFinal.class, new ConsensusRecords.MembersFinal(nd.name(), true,
                c.path("role").asText("none").toUpperCase(java.util.Locale.ROOT), voters));
    }

    private IntentsFinal intentsFinal(String node, JsonNode state) {
        Set<String> ids = new TreeSet<>();
        state.path("intents").forEach(i -> ids.add(i.path("id").asText()));
        Map<String, OutcomeSeen> outcomes = new TreeMap<>();
        for (JsonNode o : state.path("outcomes")) {
            String by = o.path("performedBy").asText(null);
            outcomes.put(o.path("intentId").asText(), new OutcomeSeen(o.path("status").asText(null),
                    by == null ? null : nameById.getOrDefault(by, by), o.path("term").asLong(), o.path("index").asLong()));
        }
        return new IntentsFinal(node, true, ids, outcomes);
    }

    /** Every node's performed.jsonl; an unreadable line is a problem in {@code h}. */
    List<LiveRecords.Performed> collectPerformed(History h, long atMs) throws IOException {
        List<LiveRecords.Performed> all = new ArrayList<>();
        for (LiveCluster.Node nd : cluster.nodes()) {
            Path f = nd.performedFile();
            if (!Files.exists(f)) {
                continue;
            }
            for (LiveRecords.Performed p : readPerformed(f, nameById)) {
                if (p.intent() == null) {
                    h.problem(new History.Problem(atMs, nd.name(), "performed-line", "unreadable line in " + f + ": "
                            + p.payload()));
                } else {
                    all.add(p);
                }
            }
        }
        return all;
    }

    /**
     * The lines of a performed.jsonl; node ids become names through {@code names} when known. An unreadable line
     * comes back with a null intent and the text as payload.
     */
    static List<LiveRecords.Performed> readPerformed(Path file, Map<String, String> names) throws IOException {
        List<LiveRecords.Performed> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode j = NodeClient.JSON.readTree(line);
                String node = j.path("node").asText();
                out.add(new LiveRecords.Performed(j.path("intent").asText(), names.getOrDefault(node, node),
                        j.path("term").asLong(), j.path("index").asLong(), j.path("timeMillis").asLong(),
                        j.path("payload").asText(), file.toString()));
            } catch (IOException e) {
                out.add(new LiveRecords.Performed(null, null, -1, -1, -1, line, file.toString()));
            }
        }
        return out;
    }

    /**
     * The last reading of every running node's consensus events. Call once nothing is performed any more and after
     * the performed lines were read, so every line has its node's events up to and past it. Events a node dropped
     * unread are problems in {@code h}.
     */
    Map<String, List<LiveEvidence.Incarnation>> collectConsensus(History h) throws InterruptedException {
        Map<String, List<LiveEvidence.Incarnation>> out = new TreeMap<>();
        for (LiveCluster.Node nd : cluster.nodes()) {
            ConsensusReader reader = consensus.get(nd.index());
            reader.readToTheEnd();
            out.put(nd.name(), reader.incarnations());
            reader.problems().forEach(h::problem);
        }
        return out;
    }

    /** ERROR lines in the nodes' logs are problems: an honest node under these faults should not log one. */
    void scanLogs(History h, long nowMs) {
        LocalTime start = LocalTime.ofInstant(Instant.ofEpochMilli(t0WallMillis),
                ZoneId.systemDefault());
        for (LiveCluster.Node nd : cluster.nodes()) {
            try {
                if (!Files.exists(nd.log())) {
                    continue;
                }
                for (String line : Files.readAllLines(nd.log(), StandardCharsets.UTF_8)) {
                    if (line.length() > 13 && line.startsWith("ERROR", 13)) {
                        long at;
                        try {
                            at = Math.floorMod(Duration.between(start, LocalTime.parse(line.substring(0, 12)))
                                    .toMillis(), 86_400_000L);
                        } catch (RuntimeException e) {
                            at = nowMs;
                        }
                        h.problem(new History.Problem(at, nd.name(), "log-error", line.substring(19)));
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // an unreadable log is not the nodes' fault
            }
        }
    }

    /**
     * Catch-up after each heal, from the status rounds: the first round in which every answering node of
     * {@code stateNodes} held it all (a witness holds nothing to catch up on).
     */
    static void computeHeals(History h, List<LivePoller.Round> rounds, List<Long> faultStarts,
                             List<LiveFaultDriver.HealMark> healMarks, Set<String> stateNodes) {
        List<Long> starts = faultStarts.stream().sorted().toList();
        List<LiveFaultDriver.HealMark> marks = new ArrayList<>(healMarks);
        marks.sort(Comparator.comparingLong(LiveFaultDriver.HealMark::atMs));
        for (LiveFaultDriver.HealMark m : marks) {
            long catchUp = -1;
            long nextFault = starts.stream().filter(s -> s > m.atMs()).findFirst().orElse(Long.MAX_VALUE);
            Map<String, Long> target = null;
            for (LivePoller.Round r : rounds) {
                if (r.atMs() < m.atMs()) {
                    continue;
                }
                if (r.atMs() > nextFault) {
                    break;
                }
                if (target == null) {
                    target = LivePoller.union(r.samples(), stateNodes);
                }
                boolean all = true;
                for (LiveRecords.StatusSample s : r.samples()) {
                    if (s.up() && stateNodes.contains(s.node()) && LivePoller.behind(s.vector(), target) > 0) {
                        all = false;
                        break;
                    }
                }
                if (all) {
                    catchUp = r.atMs() - m.atMs();
                    break;
                }
            }
            h.heal(new History.Heal(m.atMs(), m.description(), catchUp));
        }
    }

    // ------------------------------------------------------------------------------------------ reach

    /**
     * How long an unanswered status round may have left a node unobserved: a round reads its consensus events, then
     * its status, each within {@link LivePoller#POLL_TIMEOUT}.
     */
    static final long UNANSWERED_SPAN_MS = 2 * LivePoller.POLL_TIMEOUT.toMillis();

    /**
     * What the status samples in {@code h} say about nodes out of reach, beside the fault schedule, as
     * {@link ConsensusRecords.OutOfReach} records (read by the intents-performed checker: a deposed holder out of
     * reach may not have reported, whatever the cause, a partition or a machine under load):
     * <ul>
     *   <li>a node whose status went unanswered in consecutive rounds, from the first of them until
     *       {@link #UNANSWERED_SPAN_MS} after the last (its process was down, starved or stalled);</li>
     *   <li>a peer that a node's status showed without a live link, from that node's previous answered round (when
     *       the link went down between the two is unknown) until the answer.</li>
     * </ul>
     */
    static void outOfReach(History h) {
        Map<String, List<LiveRecords.StatusSample>> byNode = new TreeMap<>();
        for (LiveRecords.StatusSample s : h.records(LiveRecords.StatusSample.class)) {
            byNode.computeIfAbsent(s.node(), n -> new ArrayList<>()).add(s);
        }
        byNode.values().forEach(l -> l.sort(Comparator.comparingLong(LiveRecords.StatusSample::atMs)));
        for (List<LiveRecords.StatusSample> samples : byNode.values()) {
            long from = -1;
            long last = -1;
            for (LiveRecords.StatusSample s : samples) {
                if (!s.up()) {
                    from = from < 0 ? s.atMs() : from;
                    last = s.atMs();
                } else if (from >= 0) {
                    unanswered(h, s.node(), from, last);
                    from = -1;
                }
            }
            if (from >= 0) {
                unanswered(h, samples.getFirst().node(), from, last);
            }
        }
        for (LiveRecords.LinksDown l : h.records(LiveRecords.LinksDown.class)) {
            long since = 0;
            for (LiveRecords.StatusSample s : byNode.getOrDefault(l.node(), List.of())) {
                if (s.atMs() >= l.roundAtMs()) {
                    break;
                }
                if (s.up()) {
                    since = s.atMs();
                }
            }
            for (String peer : l.down()) {
                h.record(ConsensusRecords.OutOfReach.class, new ConsensusRecords.OutOfReach(since, l.answeredAtMs(),
                        peer, l.node(), l.node() + "'s status showed its link to " + peer + " down (round of "
                        + l.roundAtMs() + " ms, answered at " + l.answeredAtMs() + " ms)"));
            }
        }
    }

    private static void unanswered(History h, String node, long fromMs, long lastMs) {
        h.record(ConsensusRecords.OutOfReach.class, new ConsensusRecords.OutOfReach(fromMs,
                lastMs + UNANSWERED_SPAN_MS, node, null, node + "'s status went unanswered in the rounds from "
                + fromMs + " ms to " + lastMs + " ms"));
    }

    // ------------------------------------------------------------------------------------------ translation

    /** One thing that happened on one node, on that node's clock. */
    private sealed interface Item permits Role, Claim, Line {
    }

    private record Role(ConsensusEvents.RoleChanged e) implements Item {
    }

    private record Claim(ConsensusEvents.ClaimApplied e) implements Item {
    }

    private record Line(LiveRecords.Performed p) implements Item {
    }

    /**
     * Turns what a live run gathered into the simulator's consensus vocabulary in {@code h}: each node's role
     * changes become {@link LeaderObservation}s, the claims its journal applied {@link AppliedClaim}s, each performed
     * line an {@link Action} ("perform": the line is the job's effect), each node's final state an
     * {@link IntentsFinal}.
     *
     * <p>Only one node's records are ever ordered against each other, on that node's clock: the nodes one after the
     * other, each node's processes in order, within a process its events in their own sequence and its performed
     * lines placed among them by time. A claim is recorded there as its holder applied it; as other nodes applied it
     * only after every node's records, where it proves the claim was committed but orders before nothing. Times have
     * millisecond resolution; in a tie the line is placed right after its own claim and its node's election to the
     * claim's term, when those fall in the same millisecond, else before the events of that millisecond.
     *
     * <p>A process that stopped before its last moments could be read leaves an {@link ObservationGap} over the lines
     * it wrote after the last reading (see {@link LiveEvidence.Incarnation#observedUntilMillis()}).
     */
    static void translate(LiveEvidence ev, History h) {
        long[] order = {0};
        List<AppliedClaim> elsewhere = new ArrayList<>();
        Set<String> elsewhereSeen = new HashSet<>();
        for (String node : ev.nodes()) {
            List<LiveEvidence.Incarnation> incs = ev.incarnations().getOrDefault(node, List.of());
            List<LiveRecords.Performed> lines = ev.performed().stream().filter(p -> node.equals(p.node()))
                    .sorted(Comparator.comparingLong(LiveRecords.Performed::timeMillis)).toList();
            if (incs.isEmpty()) {
                // Never read: every line is unobserved.
                incs = List.of(new LiveEvidence.Incarnation(Long.MIN_VALUE, Long.MIN_VALUE, false, List.of(),
                        List.of()));
            }
            for (int k = 0; k < incs.size(); k++) {
                LiveEvidence.Incarnation inc = incs.get(k);
                long from = k == 0 ? Long.MIN_VALUE : inc.startedMillis();
                long to = k + 1 < incs.size() ? incs.get(k + 1).startedMillis() : Long.MAX_VALUE;
                List<LiveRecords.Performed> mine = lines.stream().filter(p -> p.timeMillis() >= from
                        && p.timeMillis() < to).toList();
                List<Item> events = new ArrayList<>();
                for (ConsensusEvents.RoleChanged r : inc.roles()) {
                    events.add(new Role(r));
                }
                for (ConsensusEvents.ClaimApplied c : inc.claims()) {
                    if (node.equals(ev.nameOf(c.holder()))) {
                        events.add(new Claim(c));
                    } else if (elsewhereSeen.add(node + "\u0000" + c.intentId() + "\u0000" + c.term() + "\u0000"
                            + c.index())) {
                        elsewhere.add(new AppliedClaim(-1, runMs(ev, c.atMillis()), node, c.intentId(),
                                ev.nameOf(c.holder()), c.term(), c.index()));
                    }
                }
                events.sort(Comparator.comparingLong(LiveCollector::seq));
                List<LiveRecords.Performed> seen = mine.stream().filter(p -> inc.complete()
                        || p.timeMillis() < inc.observedUntilMillis()).toList();
                List<LiveRecords.Performed> unseen = mine.stream().filter(p -> !seen.contains(p)).toList();
                for (Item item : merge(events, seen, ev)) {
                    record(item, node, order[0]++, ev, h);
                }
                if (!unseen.isEmpty()) {
                    long gapFrom = order[0] - 1;
                    for (LiveRecords.Performed p : unseen) {
                        record(new Line(p), node, order[0]++, ev, h);
                    }
                    h.record(ObservationGap.class, new ObservationGap(node, gapFrom, order[0],
                            node + "'s process stopped before the harness read its last moments ("
                                    + unseen.size() + " performed lines after the last reading)"));
                }
            }
        }
        for (AppliedClaim c : elsewhere) {
            h.record(AppliedClaim.class, new AppliedClaim(order[0]++, c.atMs(), c.seenOn(), c.intentId(), c.holder(),
                    c.term(), c.index()));
        }
        for (IntentsFinal f : ev.finals()) {
            h.record(IntentsFinal.class, f);
        }
        if (ev.intentsSettledMs() >= 0) {
            h.record(ConsensusRecords.IntentsSettled.class, new ConsensusRecords.IntentsSettled(ev.intentsSettledMs()));
        }
    }

    private static long seq(Item item) {
        return switch (item) {
            case Role r -> r.e().seq();
            case Claim c -> c.e().seq();
            case Line l -> Long.MAX_VALUE;
        };
    }

    private static long millis(Item item) {
        return switch (item) {
            case Role r -> r.e().atMillis();
            case Claim c -> c.e().atMillis();
            case Line l -> l.p().timeMillis();
        };
    }

    /** Places each line (in time order) among the events (in sequence order) of one process; see translate. */
    private static List<Item> merge(List<Item> events, List<LiveRecords.Performed> lines, LiveEvidence ev) {
        List<List<Item>> after = new ArrayList<>(); // after.get(i): lines placed right before events.get(i)
        for (int i = 0; i <= events.size(); i++) {
            after.add(new ArrayList<>());
        }
        for (LiveRecords.Performed p : lines) {
            long t = p.timeMillis();
            int firstSame = events.size();
            for (int i = 0; i < events.size(); i++) {
                if (millis(events.get(i)) >= t) {
                    firstSame = i;
                    break;
                }
            }
            int pos = firstSame;
            for (int i = firstSame; i < events.size() && millis(events.get(i)) == t; i++) {
                Item e = events.get(i);
                boolean own = e instanceof Claim c && c.e().intentId().equals(p.intent()) && c.e().term() == p.term()
                        && c.e().index() == p.index();
                boolean elected = e instanceof Role r && r.e().role().equals(ConsensusRecords.LEADER)
                        && r.e().term() == p.term();
                if (own || elected) {
                    pos = i + 1;
                }
            }
            after.get(pos).add(new Line(p));
        }
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            out.addAll(after.get(i));
            out.add(events.get(i));
        }
        out.addAll(after.get(events.size()));
        return out;
    }

    private static void record(Item item, String node, long order, LiveEvidence ev, History h) {
        switch (item) {
            case Role r -> h.record(LeaderObservation.class, new LeaderObservation(order, runMs(ev, r.e().atMillis()),
                    node, r.e().role(), r.e().term(), ev.nameOf(r.e().leader())));
            case Claim c -> h.record(AppliedClaim.class, new AppliedClaim(order, runMs(ev, c.e().atMillis()), node,
                    c.e().intentId(), node, c.e().term(), c.e().index()));
            case Line l -> h.record(Action.class, new Action(order, runMs(ev, l.p().timeMillis()), node,
                    l.p().intent(), Action.PERFORM, l.p().term(), l.p().index()));
        }
    }

    /** A node's clock reading as run time, for people only. */
    private static long runMs(LiveEvidence ev, long nodeMillis) {
        return nodeMillis == Long.MIN_VALUE ? -1 : nodeMillis - ev.t0WallMillis();
    }
}
