package io.agentmesh.sim.live;

import io.agentmesh.node.consensus.ConsensusEvents.ClaimApplied;
import io.agentmesh.node.consensus.ConsensusEvents.RoleChanged;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.sim.check.Checker;
import io.agentmesh.sim.check.Checkers;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;
import io.agentmesh.sim.check.ConsensusRecords.OutcomeSeen;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.IntentsAtMostOnceChecker;
import io.agentmesh.sim.check.IntentsPerformedChecker;
import io.agentmesh.sim.check.NoSeqReuseChecker;
import io.agentmesh.sim.check.OneLeaderPerTermChecker;
import io.agentmesh.sim.check.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live side of the shared checkers, without processes: what a live run gathers (each node's consensus events on
 * its own clock, the performed.jsonl lines, the final states) is translated into the simulator's records, and the
 * simulator's checkers decide. A sound run passes; each planted problem fails the checker that owns it. Also the
 * live-only {@link LeaderLivenessChecker} on hand-made samples.
 */
class LiveCheckersTest {
    private static final ActorId ACTOR = ActorId.fromHex("00112233445566778899aabbccddeeff");
    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final long T0 = 1_700_000_000_000L;

    /**
     * n1 leads term 2 from 100 ms (its clock), applies its claim on intent-1 at 300 ms and performs it at 301 ms;
     * n2 and n3 follow and apply the claim a little later. Every node ends with the same outcome.
     */
    private static LiveEvidence sound() {
        return evidence(new ArrayList<>(List.of(line("intent-1", "n1", 301))), Map.of());
    }

    private static LiveRecords.Performed line(String intent, String node, long atMs) {
        return new LiveRecords.Performed(intent, node, 2, 5, T0 + atMs, "{\"run\":1,\"seq\":1}",
                node + "/state/performed.jsonl");
    }

    private static LiveEvidence evidence(List<LiveRecords.Performed> lines, Map<String, OutcomeSeen> changed) {
        Map<String, List<LiveEvidence.Incarnation>> incs = new LinkedHashMap<>();
        incs.put("n1", List.of(new LiveEvidence.Incarnation(T0, T0 + 2_000, true,
                List.of(new RoleChanged(1, T0 + 10, "FOLLOWER", 1, null), new RoleChanged(2, T0 + 100, "LEADER", 2,
                        "n1")),
                List.of(new ClaimApplied(3, T0 + 300, "intent-1", "n1", 2, 5)))));
        for (String n : List.of("n2", "n3")) {
            incs.put(n, List.of(new LiveEvidence.Incarnation(T0, T0 + 2_000, true,
                    List.of(new RoleChanged(1, T0 + 110, "FOLLOWER", 2, "n1")),
                    List.of(new ClaimApplied(2, T0 + 320, "intent-1", "n1", 2, 5)))));
        }
        List<IntentsFinal> finals = new ArrayList<>();
        for (String n : NODES) {
            OutcomeSeen o = changed.getOrDefault(n, new OutcomeSeen("succeeded", "n1", 2, 5));
            finals.add(new IntentsFinal(n, true, Set.of("intent-1"), Map.of("intent-1", o)));
        }
        return new LiveEvidence(NODES, T0, Map.of(), incs, lines, finals, 2_300);
    }

    /** A History as a live run leaves it, with the consensus records translated from {@code ev}. */
    static History translated(LiveEvidence ev, List<History.Write> intentRequests, long finalHealMs, long endMs) {
        History h = new History(ev.nodes());
        for (History.Write w : intentRequests) {
            h.writeInvoked(w.id(), w.node(), w.kind(), w.key(), w.invokedMs());
            if (w.acknowledged()) {
                h.writeAcknowledged(w.id(), w.ackedMs(), ActorId.fromHex(w.actor()), w.seq());
            }
        }
        h.finalHeal(finalHealMs);
        h.ended(endMs);
        LiveCollector.translate(ev, h);
        return h;
    }

    /**
     * {@link #translated(LiveEvidence, List, long, long)} with what the harness of {@code run} recorded beside the
     * consensus evidence (node events, faults, reachability, status samples and the links they showed down), from
     * which the same code as in the run derives the nodes seen out of reach: re-translated, a run's evidence decides
     * as the run did.
     */
    static History translated(LiveEvidence ev, History run) {
        List<History.Write> requests = run.writes().stream().filter(w -> w.kind().equals("intent")).toList();
        History h = translated(ev, requests, run.finalHealMs(), run.endMs());
        run.nodeEvents().forEach(e -> h.nodeEvent(e.atMs(), e.node(), e.kind(), e.detail()));
        run.faults().forEach(h::fault);
        run.reachability().forEach(h::reachability);
        run.records(LiveRecords.StatusSample.class).forEach(x -> h.record(LiveRecords.StatusSample.class, x));
        run.records(LiveRecords.LinksDown.class).forEach(x -> h.record(LiveRecords.LinksDown.class, x));
        LiveCollector.outOfReach(h);
        return h;
    }

    private static History translated(LiveEvidence ev) {
        History requests = new History(NODES);
        requests.writeInvoked("i1", "n2", "intent", "intent-1", 200);
        requests.writeAcknowledged("i1", 210, ACTOR, 0);
        return translated(ev, requests.writes(), 2_000, 3_000);
    }

    /** The shared consensus checkers, by name. */
    static Map<String, Verdict> consensusVerdicts(History h) {
        Map<String, Verdict> out = new LinkedHashMap<>();
        for (Verdict v : Checkers.run(List.of(new OneLeaderPerTermChecker(), new IntentsAtMostOnceChecker(),
                new IntentsPerformedChecker(5_000)), h)) {
            out.put(v.checker(), v);
        }
        return out;
    }

    /** Only {@code failing} of the consensus checkers fails; returns its verdict. */
    static Verdict onlyFails(History h, String failing) {
        Map<String, Verdict> v = consensusVerdicts(h);
        assertFalse(v.get(failing).passed(), failing + " should fail: " + v.get(failing));
        v.values().stream().filter(x -> !x.checker().equals(failing))
                .forEach(x -> assertTrue(x.passed(), "only " + failing + " should fail, also: " + x));
        return v.get(failing);
    }

    @Test
    void aSoundLiveRunTranslatesIntoRecordsThatPassTheSimulatorsCheckers() {
        History h = translated(sound());
        consensusVerdicts(h).values().forEach(v -> assertTrue(v.passed(), v.toString()));
        // The node's own records, in its own order: elected, claim applied, then the line.
        List<ConsensusRecords.Action> actions = h.records(ConsensusRecords.Action.class);
        assertEquals(1, actions.size());
        assertEquals(301, actions.getFirst().atMs());
        ConsensusRecords.AppliedClaim own = h.records(ConsensusRecords.AppliedClaim.class).getFirst();
        assertEquals("n1", own.seenOn());
        assertTrue(own.order() < actions.getFirst().order());
    }

    @Test
    void aJobPerformedBeforeItsNodeAppliedTheClaimIsCaught() {
        Verdict v = onlyFails(translated(evidence(List.of(line("intent-1", "n1", 299)), Map.of())),
                IntentsAtMostOnceChecker.NAME);
        assertTrue(v.violations().getFirst().contains("its claim committed only at 300 ms"), v::toString);
    }

    @Test
    void aLineInTheSameMillisecondAsItsClaimCountsAsAfterIt() {
        History h = translated(evidence(List.of(line("intent-1", "n1", 300)), Map.of()));
        consensusVerdicts(h).values().forEach(v -> assertTrue(v.passed(), v.toString()));
    }

    @Test
    void aJobPerformedTwiceOrByANodeWithoutAClaimIsCaught() {
        Verdict twice = onlyFails(translated(evidence(List.of(line("intent-1", "n1", 301), line("intent-1", "n1",
                450)), Map.of())), IntentsAtMostOnceChecker.NAME);
        assertTrue(twice.summary().contains("performed more than once"), twice.summary());

        Verdict elsewhere = onlyFails(translated(evidence(List.of(line("intent-1", "n1", 301), line("intent-1", "n3",
                400)), Map.of())), IntentsAtMostOnceChecker.NAME);
        assertTrue(elsewhere.violations().stream().anyMatch(x -> x.startsWith("n3 called perform on intent-1")
                && x.contains("without a committed claim")), elsewhere::toString);
        assertTrue(elsewhere.violations().stream().anyMatch(x -> x.contains("while it was FOLLOWER of term 2")),
                elsewhere::toString);
    }

    @Test
    void aDuplicateLineInARealPerformedFileIsCaught(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("performed.jsonl");
        String line = "{\"intent\":\"intent-1\",\"node\":\"node1xyz\",\"term\":2,\"index\":5,\"timeMillis\":"
                + (T0 + 301) + ",\"payload\":\"{\\\"run\\\":1,\\\"seq\\\":1}\"}\n";
        Files.writeString(file, line + line + "not json\n");
        List<LiveRecords.Performed> lines = LiveCollector.readPerformed(file, Map.of("node1xyz", "n1"));
        assertEquals(3, lines.size());
        assertEquals("n1", lines.getFirst().node());
        assertEquals(null, lines.get(2).intent(), "an unreadable line comes back without an intent");
        onlyFails(translated(evidence(lines.subList(0, 2), Map.of())), IntentsAtMostOnceChecker.NAME);
    }

    @Test
    void twoLeadersInOneTermAreCaught() {
        LiveEvidence ev = sound();
        Map<String, List<LiveEvidence.Incarnation>> incs = new LinkedHashMap<>(ev.incarnations());
        LiveEvidence.Incarnation n3 = incs.get("n3").getFirst();
        List<RoleChanged> roles = new ArrayList<>(n3.roles());
        roles.add(new RoleChanged(9, T0 + 900, "LEADER", 2, "n3"));
        incs.put("n3", List.of(new LiveEvidence.Incarnation(n3.startedMillis(), n3.observedUntilMillis(), true, roles,
                n3.claims())));
        Verdict v = onlyFails(translated(new LiveEvidence(ev.nodes(), T0, ev.namesById(), incs, ev.performed(),
                ev.finals(), ev.intentsSettledMs())), OneLeaderPerTermChecker.NAME);
        assertTrue(v.violations().getFirst().startsWith("term 2: n1 (from 100 ms), n3 (from 900 ms)"), v::toString);
    }

    @Test
    void nodesThatDisagreeOnAnOutcomeAreCaught() {
        Verdict v = onlyFails(translated(evidence(List.of(line("intent-1", "n1", 301)),
                Map.of("n2", new OutcomeSeen("failed", "n1", 2, 5)))), IntentsPerformedChecker.NAME);
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("different outcomes on different nodes")),
                v::toString);
    }

    @Test
    void aSucceededOutcomeWithoutItsSideEffectIsCaught() {
        Verdict v = onlyFails(translated(evidence(List.of(), Map.of())), IntentsPerformedChecker.NAME);
        assertTrue(v.violations().getFirst().contains("never saw performed"), v::toString);
    }

    @Test
    void aLineWrittenAfterTheLastReadingOfAStoppedProcessIsCheckedForAClaimOnly() {
        LiveEvidence ev = sound();
        Map<String, List<LiveEvidence.Incarnation>> incs = new LinkedHashMap<>(ev.incarnations());
        // n1 was last read at 250 ms, then killed: its claim (applied at 300 ms) and its line were never read from
        // it. The followers' journals show the claim committed.
        incs.put("n1", List.of(new LiveEvidence.Incarnation(T0, T0 + 250, false, List.of(new RoleChanged(1, T0 + 10,
                "FOLLOWER", 1, null), new RoleChanged(2, T0 + 100, "LEADER", 2, "n1")), List.of())));
        LiveEvidence stopped = new LiveEvidence(ev.nodes(), T0, ev.namesById(), incs, ev.performed(), ev.finals(),
                ev.intentsSettledMs());
        Verdict v = consensusVerdicts(translated(stopped)).get(IntentsAtMostOnceChecker.NAME);
        assertTrue(v.passed(), v::toString);
        assertTrue(v.summary().contains("1 calls made while their node was not observed were checked for a committed"
                + " claim only"), v.summary());

        // Without a committed claim anywhere, a line in the gap still fails.
        Map<String, List<LiveEvidence.Incarnation>> none = new LinkedHashMap<>(incs);
        for (String n : List.of("n2", "n3")) {
            LiveEvidence.Incarnation i = none.get(n).getFirst();
            none.put(n, List.of(new LiveEvidence.Incarnation(i.startedMillis(), i.observedUntilMillis(), true,
                    i.roles(), List.of())));
        }
        Verdict unclaimed = consensusVerdicts(translated(new LiveEvidence(ev.nodes(), T0, ev.namesById(), none,
                ev.performed(), ev.finals(), ev.intentsSettledMs()))).get(IntentsAtMostOnceChecker.NAME);
        assertFalse(unclaimed.passed());
        assertTrue(unclaimed.violations().getFirst().contains("without a committed claim"), unclaimed::toString);
    }

    // ------------------------------------------------------------------------------ a deposed holder's result

    /**
     * n1 leads term 2, applies its claim (2, 5) on intent-1 at 300 ms and performs it at 301 ms, then is deposed at
     * 1 s: n2 leads term 3 and takes the claim over at 3 s (claim (3, 9)), and intent-1 ends {@code uncertain} under
     * it on every node. {@code harness} adds what the harness saw meanwhile (node events, cuts, status samples).
     */
    private static History deposedHolder(java.util.function.Consumer<History> harness) {
        Map<String, List<LiveEvidence.Incarnation>> incs = new LinkedHashMap<>();
        incs.put("n1", List.of(new LiveEvidence.Incarnation(T0, T0 + 5_000, true,
                List.of(new RoleChanged(1, T0 + 10, "FOLLOWER", 1, null), new RoleChanged(2, T0 + 100, "LEADER", 2,
                        "n1"), new RoleChanged(4, T0 + 1_000, "FOLLOWER", 3, "n2")),
                List.of(new ClaimApplied(3, T0 + 300, "intent-1", "n1", 2, 5)))));
        incs.put("n2", List.of(new LiveEvidence.Incarnation(T0, T0 + 5_000, true,
                List.of(new RoleChanged(1, T0 + 110, "FOLLOWER", 2, "n1"), new RoleChanged(3, T0 + 1_000, "LEADER",
                        3, "n2")),
                List.of(new ClaimApplied(2, T0 + 320, "intent-1", "n1", 2, 5),
                        new ClaimApplied(4, T0 + 3_000, "intent-1", "n2", 3, 9)))));
        incs.put("n3", List.of(new LiveEvidence.Incarnation(T0, T0 + 5_000, true,
                List.of(new RoleChanged(1, T0 + 110, "FOLLOWER", 2, "n1"), new RoleChanged(3, T0 + 1_010,
                        "FOLLOWER", 3, "n2")),
                List.of(new ClaimApplied(2, T0 + 320, "intent-1", "n1", 2, 5),
                        new ClaimApplied(4, T0 + 3_010, "intent-1", "n2", 3, 9)))));
        List<IntentsFinal> finals = new ArrayList<>();
        for (String n : NODES) {
            finals.add(new IntentsFinal(n, true, Set.of("intent-1"), Map.of("intent-1", new OutcomeSeen("uncertain",
                    "n2", 3, 9))));
        }
        LiveEvidence ev = new LiveEvidence(NODES, T0, Map.of(), incs, List.of(line("intent-1", "n1", 301)), finals,
                4_300);
        History run = new History(NODES);
        run.writeInvoked("i1", "n2", "intent", "intent-1", 200);
        run.writeAcknowledged("i1", 210, ACTOR, 0);
        run.finalHeal(4_000);
        run.ended(5_000);
        for (String n : NODES) {
            run.nodeEvent(0, n, History.NodeEventKind.START, "started");
        }
        harness.accept(run);
        return translated(ev, run);
    }

    /** Status rounds every 250 ms to 5 s, every node answering, except {@code unanswered} at {@code silentMs}. */
    private static void rounds(History h, String unanswered, long silentMs) {
        for (long t = 0; t <= 5_000; t += 250) {
            for (String n : NODES) {
                boolean up = !(n.equals(unanswered) && t == silentMs);
                h.record(LiveRecords.StatusSample.class, up ? sample(t, n, "follower", "n2", 3)
                        : new LiveRecords.StatusSample(t, n, false, null, null, -1, -1, Map.of(), 0, 0, 0, 0, 0, -1));
            }
        }
    }

    private static Verdict performed(History h) {
        return consensusVerdicts(h).get(IntentsPerformedChecker.NAME);
    }

    @Test
    void aDeposedHolderThatStayedUpAndInReachUntilTheTakeOverLostItsResult() {
        Verdict v = onlyFails(deposedHolder(h -> rounds(h, null, -1)), IntentsPerformedChecker.NAME);
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("intent-1 ended uncertain under (3, 9) by n2,"
                + " but n1 performed it under (2, 5) at 301 ms and stayed up and in reach until [n2] took its claim"
                + " over at 3000 ms")), v::toString);
        // Faults after the take-over excuse nothing: the new leader had decided.
        assertFalse(performed(deposedHolder(h -> h.nodeEvent(3_500, "n1", History.NodeEventKind.CRASH, "kill -9")))
                .passed());
        assertFalse(performed(deposedHolder(h -> h.reachability(new History.Reachability(3_200, "n1", 2))))
                .passed());
        assertFalse(performed(deposedHolder(h -> rounds(h, "n1", 4_000))).passed(), "unanswered after the take-over");
        // A crash before the call, of an earlier process: the one that performed was started after it.
        assertFalse(performed(deposedHolder(h -> {
            h.nodeEvent(100, "n1", History.NodeEventKind.CRASH, "kill -9");
            h.nodeEvent(250, "n1", History.NodeEventKind.RESTART, "ready");
        })).passed());
        // A link down as a node that did not take the claim over saw it says nothing about the new leader's view.
        assertFalse(performed(deposedHolder(h -> h.record(LiveRecords.LinksDown.class, new LiveRecords.LinksDown(
                2_750, 2_760, "n3", Set.of("n1"))))).passed());
    }

    @Test
    void aDeposedHolderKilledCutOffOrUnresponsiveBeforeTheTakeOverMayEndUncertain() {
        Verdict killed = performed(deposedHolder(h -> h.nodeEvent(500, "n1", History.NodeEventKind.CRASH,
                "kill -9")));
        assertTrue(killed.passed(), killed::toString);
        // The harness records a kill just before it sends it: the process may still write its line in between.
        Verdict killedAsItActed = performed(deposedHolder(h -> {
            h.nodeEvent(290, "n1", History.NodeEventKind.CRASH, "kill -9");
            h.nodeEvent(2_000, "n1", History.NodeEventKind.RESTART, "ready");
        }));
        assertTrue(killedAsItActed.passed(), killedAsItActed::toString);
        Verdict cut = performed(deposedHolder(h -> {
            h.reachability(new History.Reachability(400, "n1", 2));
            h.reachability(new History.Reachability(3_500, "n1", 0));
        }));
        assertTrue(cut.passed(), cut::toString);
        // A machine under load: n1's status went unanswered (its process starved), no fault in the schedule.
        Verdict starved = performed(deposedHolder(h -> rounds(h, "n1", 1_500)));
        assertTrue(starved.passed(), starved::toString);
        // The new leader's own status showed its link to n1 down: its failure detector gave up on n1.
        Verdict given = performed(deposedHolder(h -> {
            rounds(h, null, -1);
            h.record(LiveRecords.LinksDown.class, new LiveRecords.LinksDown(2_750, 2_760, "n2", Set.of("n1")));
        }));
        assertTrue(given.passed(), given::toString);
        // Only just after the take-over, in the first round after it: when the link went down is not known.
        Verdict justAfter = performed(deposedHolder(h -> {
            rounds(h, null, -1);
            h.record(LiveRecords.LinksDown.class, new LiveRecords.LinksDown(3_250, 3_270, "n2", Set.of("n1")));
        }));
        assertTrue(justAfter.passed(), justAfter::toString);
        Verdict later = performed(deposedHolder(h -> {
            rounds(h, null, -1);
            h.record(LiveRecords.LinksDown.class, new LiveRecords.LinksDown(3_500, 3_510, "n2", Set.of("n1")));
        }));
        assertFalse(later.passed(), "a round that answered after the take-over showed the link up: " + later);
    }

    @Test
    void theLiveListIsTheSimulatorsLessWhatLiveDataCannotSupportByNamePlusLeaderLiveness() {
        List<String> live = LiveRun.checkers(1_000, 1_000).stream().map(Checker::name).toList();
        List<String> simulated = Checkers.standard(1_000, true).stream().map(Checker::name).toList();
        assertFalse(live.contains(NoSeqReuseChecker.NAME));
        assertEquals(List.of(NoSeqReuseChecker.NAME), LiveRun.LEFT_OUT.stream().map(Checkers.LeftOut::checker)
                .toList());
        List<String> expected = new ArrayList<>(simulated);
        expected.remove(NoSeqReuseChecker.NAME);
        expected.add(LeaderLivenessChecker.NAME);
        assertEquals(expected, live);
    }

    // ------------------------------------------------------------------------------ leader liveness (live only)

    private static LiveRecords.StatusSample sample(long at, String node, String role, String leader, long term) {
        return new LiveRecords.StatusSample(at, node, true, role, leader, term, 10, Map.of(ACTOR.hex(), 10L), 0, 1, 0,
                0, 0, -1);
    }

    @Test
    void aConnectedMajorityWithoutALeaderIsCaught() {
        History h = new History(NODES);
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(), Set.of()));
        for (String n : NODES) {
            h.record(LiveRecords.StatusSample.class, sample(250, n, n.equals("n1") ? "leader" : "follower", "n1", 2));
            h.record(LiveRecords.StatusSample.class, sample(1_500, n, n.equals("n1") ? "leader" : "follower", "n1",
                    2));
        }
        assertTrue(new LeaderLivenessChecker(1_000).check(h).passed());
        for (String n : NODES) {
            h.record(LiveRecords.StatusSample.class, sample(2_500, n, "follower", null, 2));
        }
        Verdict v = new LeaderLivenessChecker(1_000).check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("no leader from 2500 ms"), v.violations().toString());
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
    void aServerAndAWitnessNeedToElectOnlyOnceTheServerHoldsTheWitnessLog() {
        History h = new History(NODES);
        h.record(ConsensusRecords.Witnesses.class, new ConsensusRecords.Witnesses(List.of("n3")));
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(), Set.of()));
        h.record(LiveRecords.StatusSample.class, applied(250, "n1", "leader", "n1", 7));
        // n1 dies; n2 (restarted) has applied 5, the witness 7: the witness refuses n2 its vote until n1 is back.
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(300, Set.of("n2", "n3"), Set.of(), Set.of()));
        for (long t = 500; t <= 3_000; t += 250) {
            h.record(LiveRecords.StatusSample.class, applied(t, "n2", "follower", null, 5));
            h.record(LiveRecords.StatusSample.class, applied(t, "n3", "follower", null, 7));
        }
        Verdict excused = new LeaderLivenessChecker(1_000).check(h);
        assertTrue(excused.passed(), excused.toString());
        assertTrue(excused.summary().contains("rounds past the bound excused"), excused.summary());
        // Once n2 holds what the witness holds, the clock runs: 1 s later without a leader is a violation.
        for (long t = 3_250; t <= 4_500; t += 250) {
            h.record(LiveRecords.StatusSample.class, applied(t, "n2", "follower", null, 7));
            h.record(LiveRecords.StatusSample.class, applied(t, "n3", "follower", null, 7));
        }
        Verdict v = new LeaderLivenessChecker(1_000).check(h);
        assertFalse(v.passed(), v.toString());
        assertTrue(v.violations().getFirst().contains("no leader from 4250 ms") && v.summary().contains("{n2,n3}"),
                v.violations().toString());
    }

    private static LiveRecords.StatusSample applied(long at, String node, String role, String leader, long index) {
        return new LiveRecords.StatusSample(at, node, true, role, leader, 2, 10, Map.of(ACTOR.hex(), 10L), 0, 1, 0,
                0, 0, index);
    }

    /** Every node up from 0 with {@code directCuts} in force, and n1 seen leading every 250 ms up to 5 s. */
    private static History n1LeadsForFiveSeconds(Set<String> directCuts) {
        History h = new History(NODES);
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(0, Set.copyOf(NODES), Set.of(), directCuts));
        for (long t = 250; t <= 5_000; t += 250) {
            h.record(LiveRecords.StatusSample.class, sample(t, "n1", "leader", "n1", 2));
        }
        return h;
    }

    @Test
    void theClockStartsWhenTheLeaderIsCutOffAndARelayedLeaderCounts() {
        History h = n1LeadsForFiveSeconds(Set.of());
        // n1 (the leader) is cut off at 5.1 s; {n2, n3} has been connected since 0 but only lost its leader then.
        h.record(LiveRecords.Topology.class, new LiveRecords.Topology(5_100, Set.copyOf(NODES), Set.of("n1-n2",
                "n1-n3"), Set.of()));
        h.record(LiveRecords.StatusSample.class, sample(5_250, "n1", "leader", "n1", 2)); // stale, in a minority
        h.record(LiveRecords.StatusSample.class, sample(5_250, "n2", "candidate", null, 2));
        h.record(LiveRecords.StatusSample.class, sample(5_750, "n3", "leader", "n3", 3));
        assertTrue(new LeaderLivenessChecker(1_000).check(h).passed(), new LeaderLivenessChecker(1_000).check(h)
                .toString());
        // Only the direct paths of n1 cut: relays may carry them, so n1 leading counts.
        History r = n1LeadsForFiveSeconds(Set.of("n1-n2", "n1-n3"));
        assertTrue(new LeaderLivenessChecker(1_000).check(r).passed());
        // Without any leader it fails.
        History none = n1LeadsForFiveSeconds(Set.of());
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
    void checkersThatSawNothingFail() {
        History empty = new History(NODES);
        empty.finalHeal(0);
        empty.ended(1);
        for (Checker c : List.of(new OneLeaderPerTermChecker(), new IntentsPerformedChecker(1_000),
                new LeaderLivenessChecker(1_000))) {
            assertFalse(c.check(empty).passed(), c.name() + " passed on an empty history");
        }
    }
}
