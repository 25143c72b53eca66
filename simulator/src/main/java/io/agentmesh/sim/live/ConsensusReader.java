package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.consensus.ConsensusEvents;
import io.agentmesh.sim.check.History;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one node's consensus events (GET /v1/consensus/events) as the run goes, so that what a process saw is kept
 * even after it is killed: the poller reads every round, and the fault driver once more just before it stops the
 * process. Each process of the node becomes one {@link LiveEvidence.Incarnation}. Thread-safe (the poller and the
 * fault driver both read); the lock is this node's alone.
 */
final class ConsensusReader {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final LiveCluster.Node node;
    private final LiveRecorder clock;
    private final List<History.Problem> problems = new ArrayList<>();
    private final Map<Long, Process> processes = new LinkedHashMap<>(); // by startedMillis, in order of discovery

    private static final class Process {
        final long startedMillis;
        long observedUntilMillis = Long.MIN_VALUE;
        long lastSeq;
        boolean complete;
        final List<ConsensusEvents.RoleChanged> roles = new ArrayList<>();
        final List<ConsensusEvents.ClaimApplied> claims = new ArrayList<>();

        Process(long startedMillis) {
            this.startedMillis = startedMillis;
        }
    }

    ConsensusReader(LiveCluster.Node node, LiveRecorder clock) {
        this.node = node;
        this.clock = clock;
    }

    /** Reads what is new; returns false when the node did not answer. */
    synchronized boolean read() throws InterruptedException {
        return read(false);
    }

    /**
     * The last reading of a run, once nothing more is performed: what the node's current process saw is then complete.
     */
    synchronized boolean readToTheEnd() throws InterruptedException {
        return read(true);
    }

    private boolean read(boolean last) throws InterruptedException {
        if (!node.alive()) {
            return false;
        }
        Process current = processes.isEmpty() ? null : processes.values().stream().reduce((a, b) -> b).orElseThrow();
        long after = current == null ? 0 : current.lastSeq;
        try {
            JsonNode page = get(after);
            if (page == null) {
                return false;
            }
            long started = page.path("startedMillis").asLong();
            if (current == null || current.startedMillis != started) {
                // A new process: its numbering starts again.
                current = processes.computeIfAbsent(started, Process::new);
                if (current.lastSeq != after) {
                    page = get(current.lastSeq);
                    if (page == null || page.path("startedMillis").asLong() != started) {
                        return false;
                    }
                }
            }
            long first = page.path("firstSeq").asLong();
            if (first > current.lastSeq + 1) {
                problems.add(new History.Problem(clock.now(), node.name(), "consensus-events-lost", (first
                        - current.lastSeq - 1) + " consensus events were dropped by the node before the harness read"
                        + " them"));
            }
            for (JsonNode r : page.path("roles")) {
                current.roles.add(new ConsensusEvents.RoleChanged(r.path("seq").asLong(), r.path("atMillis").asLong(),
                        r.path("role").asText(), r.path("term").asLong(), r.path("leader").asText(null)));
            }
            for (JsonNode c : page.path("claims")) {
                current.claims.add(new ConsensusEvents.ClaimApplied(c.path("seq").asLong(),
                        c.path("atMillis").asLong(), c.path("intentId").asText(), c.path("holder").asText(),
                        c.path("term").asLong(), c.path("index").asLong()));
            }
            current.lastSeq = Math.max(current.lastSeq, page.path("nextSeq").asLong() - 1);
            current.observedUntilMillis = page.path("nowMillis").asLong();
            current.complete |= last;
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private JsonNode get(long after) throws IOException, InterruptedException {
        NodeClient.Response r = node.client().get("/v1/consensus/events?after=" + after, TIMEOUT);
        return r.ok() ? r.body() : null;
    }

    /** Events the node dropped before they were read (its buffer is bounded): each is a problem of the run. */
    synchronized List<History.Problem> problems() {
        return List.copyOf(problems);
    }

    /** Every process seen so far, oldest first. */
    synchronized List<LiveEvidence.Incarnation> incarnations() {
        List<LiveEvidence.Incarnation> out = new ArrayList<>();
        for (Process p : processes.values()) {
            out.add(new LiveEvidence.Incarnation(p.startedMillis, p.observedUntilMillis, p.complete, p.roles,
                    p.claims));
        }
        out.sort(Comparator.comparingLong(LiveEvidence.Incarnation::startedMillis));
        return out;
    }
}
