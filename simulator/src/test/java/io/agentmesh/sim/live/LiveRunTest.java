package io.agentmesh.sim.live;

import io.agentmesh.node.consensus.ConsensusEvents.ClaimApplied;
import io.agentmesh.node.consensus.ConsensusEvents.RoleChanged;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;
import io.agentmesh.sim.check.ConsensusRecords.OutcomeSeen;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.IntentsAtMostOnceChecker;
import io.agentmesh.sim.check.IntentsPerformedChecker;
import io.agentmesh.sim.check.OneLeaderPerTermChecker;
import io.agentmesh.sim.check.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short live run on real processes: three nodes, partitions and crashes, every checker passes. Seed 6 kills each
 * of the three nodes once (and cuts links three times), so whoever leads first is killed or deposed: the run sees a
 * failover.
 *
 * <p>Then, on what that run gathered, a bug in each consensus property is planted where the harness found it (a
 * second node claiming a term's leadership, a performed line copied to another node, a line written before its node
 * applied the claim, an outcome changed on one node): the real translation and the simulator's checkers catch each.
 */
class LiveRunTest {

    @Test
    void threeNodesUnderPartitionsAndCrashesPassEveryCheckAndPlantedConsensusBugsAreCaught(@TempDir Path dir)
            throws Exception {
        StringWriter log = new StringWriter();
        LiveConfig config = LiveConfig.of(3, 0, 6, 20_000, EnumSet.of(LiveFault.PARTITION, LiveFault.CRASH))
                .withDir(dir.resolve("nodes"), true);
        LiveResult r = LiveRun.run(config, new PrintWriter(log, true));
        StringWriter printed = new StringWriter();
        LiveCommand.print(r, new PrintWriter(printed, true));
        String context = log + "\n" + printed;
        assertTrue(r.passed(), context);
        assertEquals(LiveRun.checkers(1, 1).size(), r.verdicts().size());
        assertTrue(r.verdicts().stream().allMatch(Verdict::passed), context);
        // The run did what it says: faults happened, writes and intents were acknowledged and performed.
        assertTrue(((Number) r.figures().get("acknowledged")).longValue() > 100, context);
        assertTrue(((Number) r.figures().get("intentsAcknowledged")).longValue() > 10, context);
        assertTrue(((Number) r.figures().get("performedLines")).longValue() > 10, context);
        assertTrue(((Number) r.figures().get("partitions")).intValue()
                + ((Number) r.figures().get("kills")).intValue() + ((Number) r.figures().get("sigterms")).intValue()
                >= 3, context);
        assertTrue(((Number) r.figures().get("termsWithLeader")).intValue() >= 2, "a failover: " + context);
        assertTrue(!r.history().heals().isEmpty(), context);
        // The consensus checkers decided from the nodes' own records, not from samples.
        assertTrue(r.history().records(ConsensusRecords.AppliedClaim.class).size() > 10, context);
        assertTrue(r.history().records(ConsensusRecords.Action.class).size() > 10, context);

        Path html = LiveReport.write(r, dir.resolve("out"));
        String page = Files.readString(html);
        assertTrue(page.contains("<h2>Leader</h2>") && page.contains("<svg") && page.contains("PASS"));
        String json = Files.readString(dir.resolve("out").resolve("live-6.json"));
        assertTrue(json.contains("\"mode\" : \"live\"") && json.contains("\"terms\""));
        assertTrue(json.contains("\"checkersLeftOut\"") && json.contains("no-seq-reuse"), "left out by name");
        assertEquals(0, LiveCluster.runningChildren(), "no child process may outlive the run");

        plantedConsensusBugsAreCaught(r);
    }

    private static void plantedConsensusBugsAreCaught(LiveResult r) {
        LiveEvidence ev = r.evidence();
        // Untouched, the re-translated evidence passes: the plants below are what fails.
        LiveCheckersTest.consensusVerdicts(retranslate(r, ev)).values()
                .forEach(v -> assertTrue(v.passed(), v.toString()));

        // A line performed (the job done) and its claim as the same process of the node that did it applied it first.
        LiveRecords.Performed found = null;
        ClaimApplied foundClaim = null;
        for (LiveRecords.Performed p : ev.performed()) {
            for (LiveEvidence.Incarnation inc : ev.incarnations().get(p.node())) {
                for (ClaimApplied c : inc.claims()) {
                    if (found == null && c.intentId().equals(p.intent()) && c.term() == p.term()
                            && c.index() == p.index() && inc.startedMillis() < c.atMillis()
                            && c.atMillis() <= p.timeMillis() && p.timeMillis() < inc.observedUntilMillis()) {
                        found = p;
                        foundClaim = c;
                    }
                }
            }
        }
        assertTrue(found != null, "some performed line has its own node's claim");
        LiveRecords.Performed line = found;
        ClaimApplied claim = foundClaim;
        String other = ev.nodes().stream().filter(n -> !n.equals(line.node())).findFirst().orElseThrow();

        // 1. A second leader for a term: another node says it led the term of that line.
        Map<String, List<LiveEvidence.Incarnation>> incs = new TreeMap<>(ev.incarnations());
        List<LiveEvidence.Incarnation> otherIncs = new ArrayList<>(incs.get(other));
        LiveEvidence.Incarnation last = otherIncs.removeLast();
        List<RoleChanged> roles = new ArrayList<>(last.roles());
        roles.add(new RoleChanged(Long.MAX_VALUE, last.observedUntilMillis() - 1, "LEADER", line.term(),
                idOf(ev, other)));
        otherIncs.add(new LiveEvidence.Incarnation(last.startedMillis(), last.observedUntilMillis(), last.complete(),
                roles, last.claims()));
        incs.put(other, otherIncs);
        LiveCheckersTest.onlyFails(retranslate(r, with(ev, incs, ev.performed(), ev.finals())),
                OneLeaderPerTermChecker.NAME);

        // 2. The line duplicated on another node.
        List<LiveRecords.Performed> copied = new ArrayList<>(ev.performed());
        copied.add(new LiveRecords.Performed(line.intent(), other, line.term(), line.index(), line.timeMillis(),
                line.payload(), line.file()));
        Verdict twice = LiveCheckersTest.onlyFails(retranslate(r, with(ev, ev.incarnations(), copied, ev.finals())),
                IntentsAtMostOnceChecker.NAME);
        assertTrue(twice.summary().contains("performed more than once"), twice::toString);

        // 3. The line written before its node applied the claim.
        List<LiveRecords.Performed> early = new ArrayList<>(ev.performed());
        early.set(early.indexOf(line), new LiveRecords.Performed(line.intent(), line.node(), line.term(),
                line.index(), claim.atMillis() - 1, line.payload(), line.file()));
        Verdict uncommitted = LiveCheckersTest.onlyFails(retranslate(r, with(ev, ev.incarnations(), early,
                ev.finals())), IntentsAtMostOnceChecker.NAME);
        assertTrue(uncommitted.violations().stream().anyMatch(v -> v.contains("without a committed claim")),
                uncommitted::toString);

        // 4. One node shows another outcome for the line's intent.
        List<IntentsFinal> finals = new ArrayList<>();
        for (IntentsFinal f : ev.finals()) {
            if (f.node().equals(other) && f.outcomes().containsKey(line.intent())) {
                Map<String, OutcomeSeen> outcomes = new LinkedHashMap<>(f.outcomes());
                OutcomeSeen o = outcomes.get(line.intent());
                outcomes.put(line.intent(), new OutcomeSeen("failed", o.performedBy(), o.term(), o.index()));
                f = new IntentsFinal(f.node(), f.up(), f.intents(), outcomes);
            }
            finals.add(f);
        }
        Verdict disagree = LiveCheckersTest.onlyFails(retranslate(r, with(ev, ev.incarnations(), ev.performed(),
                finals)), IntentsPerformedChecker.NAME);
        assertTrue(disagree.violations().stream().anyMatch(v -> v.contains("different outcomes on different nodes")),
                disagree::toString);
    }

    /**
     * The evidence translated again, with what the harness recorded beside it (faults, node events, status samples),
     * so a holder the run saw killed, cut off or out of reach is judged as the run judged it.
     */
    private static History retranslate(LiveResult r, LiveEvidence ev) {
        return LiveCheckersTest.translated(ev, r.history());
    }

    private static LiveEvidence with(LiveEvidence ev, Map<String, List<LiveEvidence.Incarnation>> incarnations,
                                     List<LiveRecords.Performed> performed, List<IntentsFinal> finals) {
        return new LiveEvidence(ev.nodes(), ev.t0WallMillis(), ev.namesById(), incarnations, performed, finals,
                ev.intentsSettledMs());
    }

    private static String idOf(LiveEvidence ev, String name) {
        return ev.namesById().entrySet().stream().filter(e -> e.getValue().equals(name)).findFirst().orElseThrow()
                .getKey();
    }
}
