package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Set;
import java.util.TreeSet;

/**
 * What the witness of {@code bench failover --witness} did through the rounds, read once they are over: whether a
 * round named it the new leader or the performer, how many jobs it wrote to its performed.jsonl, which roles its own
 * consensus events show, and whether it still refuses state requests and holds no change. A witness must never
 * campaign, lead or perform (docs/consensus.md, "The witness"); each breach is listed under {@code violations}, so a
 * run that breaks the rule says so in its JSON instead of measuring a failover through the witness.
 */
final class WitnessWatch {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** Roles a witness must never show in its consensus events: MicroRaft's candidate and leader. */
    private static final Set<String> CAMPAIGNING = Set.of("CANDIDATE", "LEADER");

    private WitnessWatch() {
    }

    /** The witness block of one cluster size's JSON. */
    static Map<String, Object> figures(LiveCluster.Node witness, List<FailoverFigures.KillRound> kills,
                                       List<FailoverFigures.StepDownRound> cuts) throws InterruptedException {
        if (witness.holdsState()) {
            throw new IllegalArgumentException(witness.name() + " is not a witness");
        }
        String name = witness.name();
        List<String> violations = new ArrayList<>();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", name);
        long performedOnWitness = kills.stream().filter(r -> name.equals(r.newLeader())).count();
        long namedLeader = cuts.stream().filter(r -> name.equals(r.newLeader())).count();
        m.put("killRoundsPerformedByWitness", performedOnWitness);
        m.put("cutRoundsWitnessNamedLeader", namedLeader);
        if (performedOnWitness > 0) {
            violations.add(performedOnWitness + " kill rounds had their intent performed by the witness");
        }
        if (namedLeader > 0) {
            violations.add(namedLeader + " cut rounds ended with the witness named leader");
        }
        long lines = performedLines(witness.performedFile());
        m.put("performedLines", lines);
        if (lines != 0) {
            violations.add(lines < 0 ? "the witness's performed.jsonl is unreadable"
                    : "the witness's performed.jsonl has " + lines + " lines");
        }
        try {
            NodeClient.Response st = witness.client().get("/v1/status", TIMEOUT);
            NodeClient.Response state = witness.client().get("/v1/state", TIMEOUT);
            NodeClient.Response events = witness.client().get("/v1/consensus/events?after=0", TIMEOUT);
            m.put("certificateRole", st.body().path("role").asText());
            m.put("changes", st.body().path("changes").asLong());
            m.put("stateRequestStatus", state.status());
            if (st.body().path("changes").asLong() != 0) {
                violations.add("the witness holds " + st.body().path("changes").asLong() + " changes");
            }
            if (state.status() != 409) {
                violations.add("GET /v1/state at the witness answered " + state.status() + ", not 409");
            }
            roles(events.body(), m, violations);
        } catch (IOException e) {
            m.put("unanswered", e.toString());
            violations.add("the witness did not answer after the rounds: " + e.getMessage());
        }
        m.put("violations", violations);
        return m;
    }

    /** The roles the witness's current process went through, from its own bounded consensus events. */
    private static void roles(JsonNode page, Map<String, Object> m, List<String> violations) {
        Set<String> seen = new TreeSet<>();
        List<String> campaigned = new ArrayList<>();
        for (JsonNode r : page.path("roles")) {
            String role = r.path("role").asText();
            seen.add(role);
            if (CAMPAIGNING.contains(role)) {
                campaigned.add(role.toLowerCase(java.util.Locale.ROOT) + " in term " + r.path("term").asLong());
            }
        }
        long firstSeq = page.path("firstSeq").asLong(1);
        m.put("roleChanges", page.path("roles").size());
        m.put("rolesSeen", List.copyOf(seen));
        m.put("claimsApplied", page.path("claims").size());
        m.put("eventsDroppedBeforeRead", firstSeq > 1);
        if (!campaigned.isEmpty()) {
            violations.add("the witness was " + String.join(", ", campaigned));
        }
        if (firstSeq > 1) {
            violations.add("the witness dropped its first " + (firstSeq - 1) + " consensus events before they were"
                    + " read, so its roles are only partly known");
        }
    }

    private static long performedLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).count() : 0;
        } catch (IOException e) {
            return -1;
        }
    }
}
