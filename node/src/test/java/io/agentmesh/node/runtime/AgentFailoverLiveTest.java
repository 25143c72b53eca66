package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11's live test: three real {@code node run} processes, each with a workspace, the same small shell agent and
 * the same exec command in {@code <home>/exec.json}. The node running the agent is killed with -9 again and again (and
 * restarted): 20 kills by default, {@code -Dagentmesh.agentKills=N} runs another number. It checks the three promises
 * from what the agent and the exec command wrote, with one clock, to files outside the mesh:
 * <ol>
 *   <li>never two agent instances at once: a new instance starts after every kill, elsewhere and under a new fence,
 *       and every instance's last line comes before the next one's first (the start bound leaves no overlap with
 *       healthy node threads, docs/agents.md);</li>
 *   <li>no majority-acknowledged workspace line lost: every few beats the agent appends {@code line <fence> <n>} to
 *       the workspace file {@value #LINES} through its node's API with {@code durability=majority}, and records
 *       {@code acked} only after the 200; at the end every acknowledged line is in that file on every node's disk and
 *       in every node's API;</li>
 *   <li>each exec action performed once: with each line it requests an exec intent (fenced, its own key
 *       {@code <fence>-<n>}, {@code durability=majority}) of a command that appends {@code performed <key> ...} to a
 *       file, and records {@code requested} after the 201; at the end every requested key has the same outcome on
 *       every node, {@code succeeded} ones were performed exactly once (by the node the outcome names),
 *       {@code uncertain} ones (a kill cut their run) at most once, none refused as a superseded run's (a
 *       majority-acknowledged request is carried into the next run), no intent and no key anywhere twice, and every
 *       run read its intent's arguments on stdin. Each intent keeps the fence of the instance that requested
 *       it.</li>
 * </ol>
 * {@code bench agent} measures the same kills' downtime over 30 rounds (docs/benchmarks.md). When a check fails, the
 * run's files (node logs, events, workspaces) are copied to {@code target/agent-failover-evidence-<time>}.
 */
class AgentFailoverLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** The overlap the start bound allows between two instances when no node thread pauses: none. */
    static final long OVERLAP_BOUND_MS = 0;
    /** The workspace file the agent appends its acknowledged lines to. */
    static final String LINES = "lines.txt";
    /** The exec command each node defines. */
    static final String COMMAND = "mark";
    /** What the exec command writes for the key when its stdin held none. */
    static final String NO_KEY = "no-key-on-stdin";
    /** How long the agent's writes must have stopped before the final checks. */
    private static final long QUIET_MS = 3_000;

    /**
     * One line of the agents' file: {@code <kind> <node> <ms> <fence> [more]}. Kinds: start, beat, stop (nothing
     * more), acked (the line number), requested (the exec key and the intent id).
     */
    record Event(String kind, String node, long ms, String fence, List<String> more) {
        static Event parse(String line) {
            String[] p = line.trim().split(" ");
            int expected = switch (p[0]) {
                case "start", "beat", "stop" -> 4;
                case "acked" -> 5;
                case "requested" -> 6;
                default -> throw new IllegalArgumentException("unknown event in line '" + line + "'");
            };
            if (p.length != expected) {
                throw new IllegalArgumentException("malformed line '" + line + "'");
            }
            return new Event(p[0], p[1], Long.parseLong(p[2]), p[3], List.of(p).subList(4, p.length));
        }
    }

    /** An agent instance as the file shows it: its first and last line. */
    record Instance(String fence, String node, long startMs, long lastMs, boolean stopped) {
    }

    /** A line of the performed file: {@code performed <key> <node> <intent id> <claim fence>}. */
    record Performed(String key, String node, String intentId, String claim) {
        static Performed parse(String line) {
            String[] p = line.trim().split(" ");
            if (p.length != 5 || !p[0].equals("performed")) {
                throw new IllegalArgumentException("malformed performed line '" + line + "'");
            }
            return new Performed(p[1], p[2], p[3], p[4]);
        }
    }

    /**
     * The agent: arguments are the events file, the quiet file (no more writes once it exists) and a directory for
     * its temporary copy of {@value #LINES}. It beats every 50 ms; every fourth beat it appends a line (GET the file,
     * PUT it back with the line added, majority durability) and requests an exec action.
     */
    static final String AGENT = String.join("\n",
            "events=\"$1\"; quiet=\"$2\"; tmp=\"$3/lines.$$\"",
            "n=\"$AGENTMESH_NODE_ID\"; f=\"$AGENTMESH_FENCE\"; api=\"$AGENTMESH_API\"",
            "file=\"$api/v1/workspace/file?path=" + LINES + "\"",
            "echo \"start $n $(date +%s%3N) $f\" >> \"$events\"",
            "trap 'echo \"stop $n $(date +%s%3N) $f\" >> \"$events\"; exit 0' TERM",
            "i=0; k=0",
            "while :; do",
            "  echo \"beat $n $(date +%s%3N) $f\" >> \"$events\"",
            "  i=$((i + 1))",
            "  if [ $((i % 4)) -eq 0 ] && [ ! -e \"$quiet\" ]; then",
            "    k=$((k + 1))",
            "    rm -f \"$tmp\"",
            "    code=$(curl -s -m 15 -o \"$tmp\" -w '%{http_code}' \"$file\")",
            "    if [ \"$code\" = 404 ]; then : > \"$tmp\"; fi",
            "    if [ \"$code\" = 200 ] || [ \"$code\" = 404 ]; then",
            "      echo \"line $f $k\" >> \"$tmp\"",
            "      code=$(curl -s -m 15 -o /dev/null -w '%{http_code}' -X PUT --data-binary \"@$tmp\""
                    + " \"$file&durability=majority\")",
            "      if [ \"$code\" = 200 ]; then echo \"acked $n $(date +%s%3N) $f $k\" >> \"$events\"; fi",
            "    fi",
            "    key=\"$f-$k\"",
            "    out=$(curl -s -m 15 -w ' %{http_code}' -H \"Agentmesh-Fence: $f\""
                    + " -H 'Content-Type: application/json' -X POST \"$api/v1/intents?durability=majority\""
                    + " -d \"{\\\"kind\\\":\\\"exec\\\",\\\"payload\\\":{\\\"command\\\":\\\"" + COMMAND
                    + "\\\",\\\"args\\\":{\\\"key\\\":\\\"$key\\\"}}}\")",
            "    case \"$out\" in *' 201')",
            "      id=$(printf '%s' \"$out\" | sed -n 's/.*\"id\":\"\\([^\"]*\\)\".*/\\1/p')",
            "      echo \"requested $n $(date +%s%3N) $f $key ${id:-none}\" >> \"$events\";;",
            "    esac",
            "  fi",
            "  sleep 0.05",
            "done",
            "");

    /** The exec command: appends {@code performed <key> <node> <intent id> <claim fence>} to the file in $1. */
    static final String MARK = String.join("\n",
            "args=$(cat)",
            "key=$(printf '%s\\n' \"$args\" | sed -n 's/.*\"key\":\"\\([^\"]*\\)\".*/\\1/p')",
            "echo \"performed ${key:-" + NO_KEY + "} $AGENTMESH_NODE_ID $AGENTMESH_IDEMPOTENCY_KEY"
                    + " $AGENTMESH_FENCE\" >> \"$1\"",
            "");

    @Test
    void killingTheLeadersNodeRepeatedlyLosesNoAcknowledgedLinePerformsEachExecOnceAndNeverRunsTwoInstances(
            @TempDir Path dir) throws Exception {
        try {
            run(dir);
        } catch (Exception | AssertionError e) {
            try {
                e.addSuppressed(new AssertionError("the run's files are kept in " + keepEvidence(dir)));
            } catch (IOException copy) {
                e.addSuppressed(copy);
            }
            throw e;
        }
    }

    private void run(Path dir) throws Exception {
        int kills = Integer.getInteger("agentmesh.agentKills", 20);
        Path events = dir.resolve("events");
        Path performed = dir.resolve("performed");
        Path quiet = dir.resolve("quiet");
        Path tmp = Files.createDirectories(dir.resolve("agent-tmp"));
        Path script = dir.resolve("agent.sh");
        Files.writeString(script, AGENT);
        Path mark = dir.resolve("mark.sh");
        Files.writeString(mark, MARK);
        List<String> agentCommand = List.of("--", "sh", script.toString(), events.toString(), quiet.toString(),
                tmp.toString());

        Map<CliAgent.Member, NodeProcess> running = new LinkedHashMap<>();
        List<Long> downtimesMs = new ArrayList<>();
        List<Long> killsMs = new ArrayList<>();
        Set<String> stopReasons = new LinkedHashSet<>();
        try (CliAgent agent = new CliAgent(dir, "a")) {
            List<CliAgent.Member> members = List.of(agent.founder, agent.enroll("b", "voter"),
                    agent.enroll("c", "voter"));
            for (CliAgent.Member m : members) {
                JSON.writeValue(m.home().resolve("exec.json").toFile(), Map.of("commands", Map.of(COMMAND,
                        Map.of("argv", List.of("/bin/sh", mark.toString(), performed.toString()),
                                "timeoutMs", 10_000, "mode", "at-most-once"))));
                Files.createDirectories(workspace(dir, m));
            }
            for (CliAgent.Member m : members) {
                running.put(m, start(agent, dir, m, members, agentCommand));
            }
            await().atMost(WAIT).until(() -> instances(events).size() == 1);
            for (int k = 0; k < kills; k++) {
                CliAgent.Member victim = awaitRunner(running);
                running.forEach((m, p) -> stopReasons.add(m.name() + ": " + status(p).path("agentProcess")
                        .path("lastStopReason").asText("-")));
                int before = instances(events).size();
                long killedAt = System.currentTimeMillis();
                running.remove(victim).kill9();
                killsMs.add(killedAt);
                awaitUntil("a new instance after kill " + (k + 1) + " of " + victim.name(),
                        () -> instances(events).size() > before, running);
                Instance next = instances(events).get(before);
                downtimesMs.add(next.startMs() - killedAt);
                assertTrue(!next.node().equals(victim.id()), "the new instance runs elsewhere");
                // Back to three nodes, the restarted one following with the leader's log.
                NodeProcess restarted = start(agent, dir, victim, members, agentCommand);
                running.put(victim, restarted);
                awaitUntil("the restarted node " + victim.name() + " follows", () -> {
                    JsonNode c = status(restarted).path("consensus");
                    return c.path("role").asText().equals("follower") && c.path("leader").isTextual();
                }, running);
            }

            // Quiet: the agent stops writing (it keeps beating), all three nodes up, one of them running it.
            Files.writeString(quiet, "");
            long[] seen = {-1, 0};
            awaitUntil("the agent's writes stop for " + QUIET_MS + " ms", () -> {
                long writes = events(events).stream().filter(e -> !e.more().isEmpty()).count();
                long now = System.currentTimeMillis();
                if (writes != seen[0]) {
                    seen[0] = writes;
                    seen[1] = now;
                }
                return now - seen[1] >= QUIET_MS;
            }, running);
            awaitRunner(running);

            List<Instance> all = instances(events);
            System.out.println("agent failover: " + kills + " kills of the agent's node; kill -9 to the new instance's"
                    + " start (ms): " + downtimesMs + "; instances (" + all.size() + "): " + all
                    + "; stop reasons seen: " + stopReasons);
            checkInstances(all, kills, downtimesMs);
            checkLines(dir, events, members, running);
            checkExec(events, performed, killsMs, running);
        }
    }

    /** Promise 1: an instance per kill, each with its own fence, never two at once. */
    private static void checkInstances(List<Instance> all, int kills, List<Long> downtimesMs) {
        // At least one per kill plus the first; an election under CPU load may move the agent once more.
        assertTrue(all.size() >= kills + 1, "one instance per kill, plus the first: " + all);
        for (int i = 0; i + 1 < all.size(); i++) {
            Instance old = all.get(i);
            Instance next = all.get(i + 1);
            assertTrue(old.lastMs() <= next.startMs() + OVERLAP_BOUND_MS, "instance " + old + " wrote "
                    + (old.lastMs() - next.startMs()) + " ms after " + next + " started");
            assertTrue(next.fence().compareTo(old.fence()) != 0, "every run has its own fence");
        }
        for (long d : downtimesMs) {
            assertTrue(d > 0 && d < 20_000, "downtime " + d + " ms");
        }
    }

    /** Promise 2: every majority-acknowledged line on every node's disk and in every node's API. */
    private static void checkLines(Path dir, Path events, List<CliAgent.Member> members,
                                   Map<CliAgent.Member, NodeProcess> running) throws IOException, InterruptedException {
        List<String> acked = new ArrayList<>();
        Map<String, Event> ackOf = new LinkedHashMap<>();
        for (Event e : events(events)) {
            if (e.kind().equals("acked")) {
                String line = "line " + e.fence() + " " + e.more().get(0);
                acked.add(line);
                ackOf.put(line, e);
            }
        }
        assertTrue(!acked.isEmpty(), "the agent had lines acknowledged");
        Map<String, List<String>> missing = new TreeMap<>();
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                missing.clear();
                for (CliAgent.Member m : members) {
                    Set<String> disk = Set.copyOf(diskLines(dir, m));
                    Set<String> api = Set.copyOf(apiLines(running.get(m)));
                    for (String line : acked) {
                        if (!disk.contains(line)) {
                            missing.computeIfAbsent(m.name() + " disk", x -> new ArrayList<>()).add(line);
                        }
                        if (!api.contains(line)) {
                            missing.computeIfAbsent(m.name() + " api", x -> new ArrayList<>()).add(line);
                        }
                    }
                }
                return missing.isEmpty();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder b = new StringBuilder("majority-acknowledged workspace lines missing after " + WAIT
                    + " (of " + acked.size() + " acknowledged):");
            missing.forEach((where, lines) -> {
                b.append("\n  ").append(where).append(": ").append(lines.size()).append(" missing, e.g.");
                lines.stream().limit(10).forEach(l -> b.append("\n    ").append(l).append(" (acked ")
                        .append(ackOf.get(l)).append(")"));
            });
            throw new AssertionError(b.toString(), e);
        }
        // After the quiet period every copy is the same text (a lost line aside, a divergence is a bug too).
        awaitUntil("every node's " + LINES + " the same, on disk and in the API", () -> {
            String first = String.join("\n", apiLines(running.get(members.get(0))));
            for (CliAgent.Member m : members) {
                if (!String.join("\n", apiLines(running.get(m))).equals(first)
                        || !String.join("\n", diskLines(dir, m)).equals(first)) {
                    return false;
                }
            }
            return true;
        }, running);
        List<String> file = apiLines(running.get(members.get(0)));
        long duplicates = file.size() - Set.copyOf(file).size();
        System.out.println("agent failover: workspace lines acknowledged by a majority: " + acked.size()
                + ", all on every node's disk and API; lines in the file: " + file.size() + " (" + duplicates
                + " duplicated, " + (Set.copyOf(file).size() - acked.size()) + " written but not acknowledged)");
    }

    /** Promise 3: each requested exec key performed once, outcomes agreeing, each intent naming its fence. */
    private static void checkExec(Path events, Path performedFile, List<Long> killsMs,
                                  Map<CliAgent.Member, NodeProcess> running) throws IOException, InterruptedException {
        List<Event> requested = events(events).stream().filter(e -> e.kind().equals("requested")).toList();
        assertTrue(!requested.isEmpty(), "the agent requested exec actions");
        for (Event r : requested) {
            assertTrue(!r.more().get(1).equals("none"), "the 201 answer named the intent: " + r);
        }
        // Every node holds the same outcome for every requested intent.
        Map<String, JsonNode> outcomes = new TreeMap<>();
        awaitUntil("every requested intent has one outcome on every node", () -> {
            outcomes.clear();
            for (NodeProcess p : running.values()) {
                Map<String, JsonNode> here = new TreeMap<>();
                JSON.readTree(p.get("/v1/state").body()).path("outcomes")
                        .forEach(o -> here.put(o.path("intentId").asText(), o));
                for (Event r : requested) {
                    String id = r.more().get(1);
                    JsonNode o = here.get(id);
                    if (o == null) {
                        return false;
                    }
                    JsonNode before = outcomes.putIfAbsent(id, o);
                    if (before != null && !before.path("status").equals(o.path("status"))) {
                        return false;
                    }
                }
            }
            return true;
        }, running);
        List<Performed> performed = new ArrayList<>();
        if (Files.exists(performedFile)) {
            for (String line : Files.readAllLines(performedFile)) {
                if (!line.isBlank()) {
                    performed.add(Performed.parse(line));
                }
            }
        }
        // A run is counted by the intent id its environment carried; the key it read from stdin must match.
        Map<String, String> keyOfIntent = new TreeMap<>();
        requested.forEach(r -> keyOfIntent.put(r.more().get(1), r.more().get(0)));
        Map<String, List<Performed>> byIntent = new TreeMap<>();
        Map<String, List<Performed>> byKey = new TreeMap<>();
        List<String> withoutArgs = new ArrayList<>();
        for (Performed p : performed) {
            byIntent.computeIfAbsent(p.intentId(), x -> new ArrayList<>()).add(p);
            String key = keyOfIntent.getOrDefault(p.intentId(), p.key());
            byKey.computeIfAbsent(key, x -> new ArrayList<>()).add(p);
            if (!p.key().equals(key) || p.key().equals(NO_KEY)) {
                withoutArgs.add(p + " (intent requested as " + keyOfIntent.get(p.intentId()) + ", outcome "
                        + statusOf(outcomes.get(p.intentId())) + ")");
            }
        }
        byIntent.forEach((id, runs) -> assertEquals(1, runs.size(), "exec intent " + id + " performed "
                + runs.size() + " times: " + runs));
        byKey.forEach((key, runs) -> assertEquals(1, runs.size(), "exec key " + key + " performed "
                + runs.size() + " times: " + runs));

        Map<String, Integer> statuses = new TreeMap<>();
        int cutByKill = 0;
        int uncertainRan = 0;
        for (Event r : requested) {
            String key = r.more().get(0);
            String id = r.more().get(1);
            JsonNode outcome = outcomes.get(id);
            String status = statusOf(outcome);
            statuses.merge(status, 1, Integer::sum);
            List<Performed> runs = byIntent.getOrDefault(id, List.of());
            switch (status) {
                case "succeeded" -> {
                    assertEquals(1, runs.size(), "succeeded exec " + key + " (intent " + id + ") performed "
                            + runs.size() + " times; outcome " + outcome);
                    String node = JSON.readTree(outcome.path("result").asText()).path("node").asText();
                    assertEquals(runs.get(0).node(), node, "the outcome of " + key + " names the node that ran it");
                }
                case "uncertain" -> {
                    // Allowed only where a kill cut the run: one came between the request and the outcome.
                    long completed = outcome.path("completedMillis").asLong();
                    boolean killed = killsMs.stream().anyMatch(k -> k >= r.ms() - 1_000 && k <= completed);
                    assertTrue(killed, "exec " + key + " uncertain though no kill came between its request at "
                            + r.ms() + " and its outcome at " + completed + ": " + outcome);
                    cutByKill++;
                    uncertainRan += runs.size();
                }
                default -> throw new AssertionError("exec " + key + " (intent " + id + ") ended " + status
                        + ", performed " + runs.size() + " times: " + outcome);
            }
        }
        // Each intent keeps the fence of the instance that requested it, in every node's API.
        for (NodeProcess p : running.values()) {
            for (Event r : requested) {
                HttpResponse<String> got = p.get("/v1/intents/" + r.more().get(1));
                assertEquals(200, got.statusCode(), got.body());
                JsonNode intent = JSON.readTree(got.body()).path("intent");
                assertEquals(r.fence(), intent.path("fence").asText(null), "the fence of intent " + intent);
            }
        }
        long unrecorded = byIntent.keySet().stream().filter(id -> !keyOfIntent.containsKey(id)).count();
        System.out.println("agent failover: exec actions requested: " + requested.size() + ", outcomes " + statuses
                + " (uncertain: cut by a kill, " + cutByKill + ", of which " + uncertainRan + " ran); performed: "
                + performed.size()
                + " runs, no intent and no key twice; performed though the agent died before recording the request: "
                + unrecorded + "; every intent names its instance's fence; runs without their arguments: "
                + withoutArgs.size() + " " + withoutArgs);
        assertEquals(List.of(), withoutArgs, "exec commands that ran without the intent's arguments on stdin (an"
                + " empty stdin: the node died after starting the command and before writing its stdin)");
    }

    private static String statusOf(JsonNode outcome) {
        return outcome == null ? "none" : outcome.path("status").asText();
    }

    /** The member whose node runs the agent now. */
    private static CliAgent.Member awaitRunner(Map<CliAgent.Member, NodeProcess> running) {
        CliAgent.Member[] found = new CliAgent.Member[1];
        awaitUntil("a node runs the agent", () -> {
            for (Map.Entry<CliAgent.Member, NodeProcess> e : running.entrySet()) {
                if (status(e.getValue()).path("agentProcess").path("state").asText("").equals("running")) {
                    found[0] = e.getKey();
                    return true;
                }
            }
            return false;
        }, running);
        return found[0];
    }

    /** The events written so far (a partly written last line is left for the next read). */
    static List<Event> events(Path events) throws IOException {
        if (!Files.exists(events)) {
            return List.of();
        }
        String text = Files.readString(events);
        int end = text.lastIndexOf('\n');
        List<Event> out = new ArrayList<>();
        if (end < 0) {
            return out;
        }
        for (String line : text.substring(0, end).split("\n")) {
            if (!line.isBlank()) {
                out.add(Event.parse(line));
            }
        }
        return out;
    }

    /** Instances in start order, from the events: every line an instance wrote counts as its activity. */
    static List<Instance> instances(Path events) throws IOException {
        Map<String, Instance> byFence = new LinkedHashMap<>();
        for (Event e : events(events)) {
            Instance i = byFence.get(e.fence());
            if (i == null) {
                if (!e.kind().equals("start")) {
                    throw new AssertionError("instance " + e.fence() + " wrote " + e + " before its start line");
                }
                byFence.put(e.fence(), new Instance(e.fence(), e.node(), e.ms(), e.ms(), false));
            } else {
                byFence.put(e.fence(), new Instance(i.fence(), i.node(), i.startMs(), Math.max(i.lastMs(), e.ms()),
                        i.stopped() || e.kind().equals("stop")));
            }
        }
        List<Instance> out = new ArrayList<>(byFence.values());
        out.sort(Comparator.comparingLong(Instance::startMs));
        return out;
    }

    private static Path workspace(Path dir, CliAgent.Member m) {
        return dir.resolve(m.name() + "-workspace");
    }

    private static List<String> diskLines(Path dir, CliAgent.Member m) throws IOException {
        try {
            return Files.readString(workspace(dir, m).resolve(LINES)).lines().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    private static List<String> apiLines(NodeProcess p) throws IOException, InterruptedException {
        HttpResponse<String> r = p.get("/v1/workspace/file?path=" + LINES);
        return r.statusCode() == 200 ? r.body().lines().toList() : List.of();
    }

    private static NodeProcess start(CliAgent agent, Path dir, CliAgent.Member m, List<CliAgent.Member> members,
                                     List<String> agentCommand) throws IOException {
        List<String> extra = new ArrayList<>(List.of("--workspace", workspace(dir, m).toString()));
        extra.addAll(agentCommand);
        return agent.start(m, extra, members.stream().filter(p -> !p.equals(m)).toArray(CliAgent.Member[]::new));
    }

    private static JsonNode status(NodeProcess p) {
        try {
            return JSON.readTree(p.get("/v1/status").body());
        } catch (IOException | InterruptedException e) {
            return JSON.createObjectNode();
        }
    }

    private static void awaitUntil(String what, Callable<Boolean> condition,
                                   Map<CliAgent.Member, NodeProcess> running) {
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(condition);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder b = new StringBuilder("timed out waiting until " + what + "; status:");
            running.forEach((m, p) -> b.append("\n  ").append(m.name()).append(": consensus ")
                    .append(status(p).path("consensus")).append(" agent ").append(status(p).path("agentProcess")));
            throw new AssertionError(b.toString(), e);
        }
    }

    /** Copies the run's files (logs, events, workspaces, homes) where they outlive the temporary directory. */
    private static Path keepEvidence(Path dir) throws IOException {
        Path to = Path.of("target", "agent-failover-evidence-" + System.currentTimeMillis()).toAbsolutePath();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(dir.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(f)) {
                    try {
                        Files.copy(f, target);
                    } catch (IOException e) {
                        // a file that vanished while copying (a node's temporary file): the rest still helps
                    }
                }
            }
        }
        return to;
    }
}
