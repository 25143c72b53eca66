package io.agentmesh.sim.live;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.sim.check.AcknowledgedWritesChecker;
import io.agentmesh.sim.check.Checker;
import io.agentmesh.sim.check.Checkers;
import io.agentmesh.sim.check.ConvergenceChecker;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live checkers on fabricated histories: a sound one passes every check, and each planted problem makes the
 * checker that owns it fail, so none of them can pass silently.
 */
class LiveCheckersTest {
    private static final ActorId ACTOR = ActorId.fromHex("00112233445566778899aabbccddeeff");
    private static final List<String> NODES = List.of("n1", "n2", "n3");

    /** What to plant in an otherwise sound history. */
    private record Plant(Set<String> missingEntryOn, List<LiveRecords.Performed> extraLines,
                         List<LiveRecords.StatusSample> extraSamples, String noOutcomeOn, String otherDigestOn,
                         boolean dropLine) {
        static Plant none() {
            return new Plant(Set.of(), List.of(), List.of(), null, null, false);
        }
    }

    private static LiveRecords.StatusSample sample(long at, String node, String role, String leader, long term) {
        return new LiveRecords.StatusSample(at, node, true, role, leader, term, 10, Map.of(ACTOR.hex(), 10L), 0, 1, 0,
                0, 0);
    }

    private static History history(Plant p) {
        History h = new History(NODES);
        for (String n : NODES) {
            h.nodeEvent(0, n, History.NodeEventKind.START, "started");
        }
        h.writeInvoked("w1", "n1", "memory", "entry-1", 100);
        h.writeAcknowledged("w1", 110, ACTOR, 0);
        h.read("n1", 200, "entry-1", true);
        h.record(LiveRecords.IntentRequest.class, new LiveRecords.IntentRequest(1, "n2", 300, 310, "intent-1", null));
        h.record(LiveRecords.StatusSample.class, sample(250, "n1", "leader", "n1", 2));
        h.record(LiveRecords.StatusSample.class, sample(250, "n2", "follower", "n1", 2));
        h.record(LiveRecords.StatusSample.class, sample(250, "n3", "follower", "n1", 2));
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(), Set.of()));
        for (String n : NODES) {
            h.record(LiveRecords.StatusSample.class, sample(1_500, n, n.equals("n1") ? "leader" : "follower", "n1", 2));
        }
        p.extraSamples().forEach(s -> h.record(LiveRecords.StatusSample.class, s));
        if (!p.dropLine()) {
            h.record(LiveRecords.Performed.class, new LiveRecords.Performed("intent-1", "n1", 2, 5, 1_000,
                    "{\"run\":1,\"seq\":1}", "n1/state/performed.jsonl"));
        }
        p.extraLines().forEach(l -> h.record(LiveRecords.Performed.class, l));
        h.finalHeal(2_000);
        h.converged(2_300);
        for (String n : NODES) {
            Set<String> memory = p.missingEntryOn().contains(n) ? Set.of() : Set.of("entry-1");
            String digest = n.equals(p.otherDigestOn()) ? "other" : "same";
            h.nodeFinal(new History.NodeFinal(n, true, List.of(), digest, Map.of(ACTOR.hex(), 10L), memory, Set.of(),
                    "", 0, 0));
            if (!n.equals(p.noOutcomeOn())) {
                h.record(LiveRecords.IntentFinal.class, new LiveRecords.IntentFinal("intent-1", n, "succeeded", "n1",
                        2, 5));
            } else {
                h.record(LiveRecords.IntentFinal.class, new LiveRecords.IntentFinal("intent-1", n, null, null, -1, -1));
            }
        }
        h.ended(3_000);
        return h;
    }

    private static Map<String, Verdict> verdicts(History h) {
        Map<String, Verdict> out = new java.util.LinkedHashMap<>();
        for (Verdict v : Checkers.run(LiveRun.checkers(5_000, 1_000), h)) {
            out.put(v.checker(), v);
        }
        return out;
    }

    /** Only {@code failing} fails. */
    private static void onlyFails(History h, String failing, Consumer<Verdict> more) {
        Map<String, Verdict> v = verdicts(h);
        assertFalse(v.get(failing).passed(), failing + " should fail: " + v.get(failing));
        List<String> others = new ArrayList<>();
        v.values().stream().filter(x -> !x.passed() && !x.checker().equals(failing)).forEach(x -> others.add(x.toString()));
        assertTrue(others.isEmpty(), "only " + failing + " should fail, also: " + others);
        more.accept(v.get(failing));
    }

    @Test
    void aSoundHistoryPassesEveryCheck() {
        Map<String, Verdict> v = verdicts(history(Plant.none()));
        v.values().forEach(x -> assertTrue(x.passed(), x.toString()));
        assertEquals(9, v.size());
        assertTrue(v.get(LeaderLivenessChecker.NAME).summary().contains("2 status rounds with a connected majority"),
                v.get(LeaderLivenessChecker.NAME).summary());
    }

    @Test
    void anAcknowledgedWriteMissingOnOneNodeIsCaught() {
        onlyFails(history(new Plant(Set.of("n2"), List.of(), List.of(), null, null, false)),
                AcknowledgedWritesChecker.NAME, v -> assertTrue(v.violations().getFirst().contains("missing on n2"),
                        v.violations().toString()));
    }

    @Test
    void aJobPerformedTwiceIsCaught() {
        LiveRecords.Performed again = new LiveRecords.Performed("intent-1", "n1", 2, 5, 1_200, "{\"run\":1,\"seq\":1}",
                "n1/state/performed.jsonl");
        onlyFails(history(new Plant(Set.of(), List.of(again), List.of(), null, null, false)),
                IntentsAtMostOnceChecker.NAME, v -> assertTrue(v.summary().contains("more than once"), v.summary()));
    }

    @Test
    void aDuplicateLineInARealPerformedFileIsCaught(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("performed.jsonl");
        String line = "{\"intent\":\"intent-1\",\"node\":\"node1xyz\",\"term\":2,\"index\":5,\"timeMillis\":1,"
                + "\"payload\":\"{\\\"run\\\":1,\\\"seq\\\":1}\"}\n";
        Files.writeString(file, line + line);
        List<LiveRecords.Performed> lines = LiveRun.readPerformed(file, Map.of("node1xyz", "n1"));
        assertEquals(2, lines.size());
        assertEquals("n1", lines.getFirst().node());
        assertEquals(1, IntentsAtMostOnceChecker.seqOf(lines.getFirst().payload()));
        History h = history(new Plant(Set.of(), List.of(lines.get(1)), List.of(), null, null, false));
        assertFalse(new IntentsAtMostOnceChecker().check(h).passed());
    }

    @Test
    void aJobPerformedByANodeThatDidNotLeadItsTermIsCaught() {
        LiveRecords.Performed byFollower = new LiveRecords.Performed("intent-2", "n3", 2, 7, 1_300,
                "{\"run\":1,\"seq\":1}", "n3/state/performed.jsonl");
        onlyFails(history(new Plant(Set.of(), List.of(byFollower), List.of(), null, null, false)),
                IntentsAtMostOnceChecker.NAME, v -> assertTrue(v.violations().toString().contains("whose leader was n1"),
                        v.violations().toString()));
    }

    @Test
    void aJobNobodyRequestedIsCaught() {
        LiveRecords.Performed stray = new LiveRecords.Performed("intent-x", "n1", 2, 9, 1_300, "{\"run\":1,\"seq\":99}",
                "n1/state/performed.jsonl");
        onlyFails(history(new Plant(Set.of(), List.of(stray), List.of(), null, null, false)),
                IntentsAtMostOnceChecker.NAME, v -> assertTrue(v.violations().toString().contains("never requested")));
    }

    @Test
    void aSucceededOutcomeWithoutItsSideEffectIsCaught() {
        onlyFails(history(new Plant(Set.of(), List.of(), List.of(), null, null, true)),
                IntentsAtMostOnceChecker.NAME, v -> assertTrue(v.violations().toString().contains("no node's performed")));
    }

    @Test
    void twoLeadersInOneTermAreCaught() {
        onlyFails(history(new Plant(Set.of(), List.of(), List.of(sample(500, "n3", "leader", "n3", 2)), null, null,
                false)), OneLeaderPerTermChecker.NAME, v -> assertTrue(v.violations().getFirst().contains("[n1, n3]"),
                v.violations().toString()));
    }

    @Test
    void aConnectedMajorityWithoutALeaderIsCaught() {
        List<LiveRecords.StatusSample> leaderless = new ArrayList<>();
        for (String n : NODES) {
            leaderless.add(sample(2_500, n, "follower", null, 2));
        }
        onlyFails(history(new Plant(Set.of(), List.of(), leaderless, null, null, false)), LeaderLivenessChecker.NAME,
                v -> assertTrue(v.violations().getFirst().contains("no leader from 2500 ms"), v.violations().toString()));
    }

    @Test
    void aMajorityCutApartNeedsNoLeader() {
        History h = new History(NODES);
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(), Set.of()));
        // n1 isolated and n3 down: no majority of three is up and connected; no leader is fine.
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(100, Set.of("n1", "n2"), Set.of("n1-n2",
                "n1-n3"), Set.of()));
        for (long t = 2_000; t <= 4_000; t += 250) {
            h.record(LiveRecords.StatusSample.class, sample(t, "n1", "follower", null, 3));
            h.record(LiveRecords.StatusSample.class, sample(t, "n2", "candidate", null, 3));
        }
        assertTrue(new LeaderLivenessChecker(1_000).check(h).passed());
        // Once n3 is back and connected to n2, {n2, n3} is a majority and must elect within the bound.
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(4_100, Set.copyOf(NODES), Set.of("n1-n2",
                "n1-n3"), Set.of()));
        for (long t = 4_250; t <= 6_000; t += 250) {
            h.record(LiveRecords.StatusSample.class, sample(t, "n2", "candidate", null, 3));
        }
        Verdict v = new LeaderLivenessChecker(1_000).check(h);
        assertFalse(v.passed());
        assertTrue(v.summary().contains("{n2,n3}") && v.summary().contains("5250 ms"), v.summary());
    }

    @Test
    void theClockStartsWhenTheLeaderIsCutOffAndARelayedLeaderCounts() {
        History h = new History(NODES);
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(), Set.of()));
        for (long t = 250; t <= 5_000; t += 250) {
            h.record(LiveRecords.StatusSample.class, sample(t, "n1", "leader", "n1", 2));
        }
        // n1 (the leader) is cut off at 5.1 s; {n2, n3} has been connected since 0 but only lost its leader then.
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(5_100, Set.copyOf(NODES), Set.of("n1-n2",
                "n1-n3"), Set.of()));
        h.record(LiveRecords.StatusSample.class, sample(5_250, "n1", "leader", "n1", 2)); // stale, in a minority
        h.record(LiveRecords.StatusSample.class, sample(5_250, "n2", "candidate", null, 2));
        h.record(LiveRecords.StatusSample.class, sample(5_750, "n3", "leader", "n3", 3));
        assertTrue(new LeaderLivenessChecker(1_000).check(h).passed(), new LeaderLivenessChecker(1_000).check(h)
                .toString());
        // Only the direct paths of n1 cut: relays may carry them, so n1 leading counts.
        History r = new History(NODES);
        r.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(),
                Set.of("n1-n2", "n1-n3")));
        for (long t = 250; t <= 5_000; t += 250) {
            r.record(LiveRecords.StatusSample.class, sample(t, "n1", "leader", "n1", 2));
        }
        assertTrue(new LeaderLivenessChecker(1_000).check(r).passed());
        // Without any leader it fails.
        History none = new History(NODES);
        none.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(), Set.of()));
        for (long t = 250; t <= 5_000; t += 250) {
            none.record(LiveRecords.StatusSample.class, sample(t, "n1", "leader", "n1", 2));
        }
        none.record(LiveRecords.Topology.class, new LiveRecords.Topology(5_100, Set.copyOf(NODES), Set.of("n1-n2",
                "n1-n3"), Set.of()));
        for (long t = 5_250; t <= 7_000; t += 250) {
            none.record(LiveRecords.StatusSample.class, sample(t, "n1", "leader", "n1", 2));
            none.record(LiveRecords.StatusSample.class, sample(t, "n2", "follower", "n1", 2));
        }
        Verdict v = new LeaderLivenessChecker(1_000).check(none);
        assertFalse(v.passed());
        assertTrue(v.summary().contains("no leader from 6000 ms to 7000 ms"), v.summary());
    }

    @Test
    void anIntentWithoutOutcomeAfterTheHealIsCaught() {
        onlyFails(history(new Plant(Set.of(), List.of(), List.of(), "n3", null, false)),
                IntentsPerformedChecker.NAME, v -> assertTrue(v.violations().getFirst().contains("no outcome on n3")));
    }

    @Test
    void divergedStateIsCaught() {
        onlyFails(history(new Plant(Set.of(), List.of(), List.of(), null, "n2", false)), ConvergenceChecker.NAME,
                v -> assertTrue(v.summary().contains("different AgentState"), v.summary()));
    }

    @Test
    void checkersThatSawNothingFail() {
        History empty = new History(NODES);
        empty.finalHeal(0);
        empty.ended(1);
        for (Checker c : List.of(new OneLeaderPerTermChecker(), new IntentsPerformedChecker(),
                new LeaderLivenessChecker(1_000))) {
            assertFalse(c.check(empty).passed(), c.name() + " passed on an empty history");
        }
    }
}
