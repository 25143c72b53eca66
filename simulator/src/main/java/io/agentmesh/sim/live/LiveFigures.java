package io.agentmesh.sim.live;

import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;
import io.agentmesh.sim.check.History;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The figures of a live run, in display order, from its History and what its parts counted; and percentiles. */
public final class LiveFigures {
    private LiveFigures() {
    }

    static Map<String, Object> of(History h, FaultSchedule schedule, Map<String, Integer> faultCounts,
                                  List<Long> writeLatencies, List<LivePoller.Round> rounds, double wallSeconds) {
        Map<String, Object> f = new LinkedHashMap<>();
        List<History.Write> writes = h.writes().stream().filter(w -> w.kind().equals("memory")).toList();
        long acked = writes.stream().filter(History.Write::acknowledged).count();
        List<LiveRecords.IntentRequest> intents = h.records(LiveRecords.IntentRequest.class);
        long intentsAcked = intents.stream().filter(LiveRecords.IntentRequest::acknowledged).count();
        Map<String, String> statusByIntent = new TreeMap<>();
        for (IntentsFinal x : h.records(IntentsFinal.class)) {
            x.outcomes().forEach((id, o) -> {
                if (o.status() != null) {
                    statusByIntent.putIfAbsent(id, o.status());
                }
            });
        }
        f.put("wallSeconds", Math.round(wallSeconds * 10) / 10.0);
        f.put("writes", writes.size());
        f.put("acknowledged", acked);
        f.put("failedWrites", writes.size() - acked);
        List<Long> lat = new ArrayList<>(writeLatencies);
        Collections.sort(lat);
        f.put("writeAckP50Ms", percentile(lat, 0.50));
        f.put("writeAckP99Ms", percentile(lat, 0.99));
        f.put("readChecks", h.reads().size());
        f.put("intents", intents.size());
        f.put("intentsAcknowledged", intentsAcked);
        f.put("intentsSucceeded", statusByIntent.values().stream().filter("succeeded"::equals).count());
        f.put("intentsOtherOutcome", statusByIntent.values().stream().filter(s -> !s.equals("succeeded")).count());
        f.put("performedLines", h.records(LiveRecords.Performed.class).size());
        f.put("faultEpisodes", schedule.episodes().size());
        for (String k : List.of("partitions", "kills", "sigterms", "relayKills", "delays")) {
            f.put(k, faultCounts.getOrDefault(k, 0));
        }
        Map<Long, String> leaders = leaderByTerm(h.records(LiveRecords.StatusSample.class));
        f.put("termsWithLeader", leaders.size());
        f.put("maxTerm", leaders.keySet().stream().mapToLong(Long::longValue).max().orElse(-1));
        f.put("leaderlessMs", leaderlessMs(rounds, h.finalHealMs()));
        long maxLag = 0;
        for (History.LagSample s : h.lagSamples()) {
            for (long v : s.lag()) {
                maxLag = Math.max(maxLag, v);
            }
        }
        f.put("maxLagChanges", maxLag);
        f.put("statusSamples", h.records(LiveRecords.StatusSample.class).size());
        f.put("convergenceMs", h.convergedMs() < 0 ? -1 : h.convergedMs() - h.finalHealMs());
        f.put("maxCatchUpMs", h.heals().stream().mapToLong(History.Heal::catchUpMs).max().orElse(-1));
        f.put("problems", h.problems().size());
        return f;
    }

    /** The leader of each term as the status samples named it (first name seen wins). */
    static Map<Long, String> leaderByTerm(List<LiveRecords.StatusSample> samples) {
        Map<Long, String> out = new TreeMap<>();
        for (LiveRecords.StatusSample s : samples) {
            if (!s.up()) {
                continue;
            }
            if (s.isLeader()) {
                out.putIfAbsent(s.term(), s.node());
            } else if (s.leader() != null && !s.leader().isEmpty()) {
                out.putIfAbsent(s.term(), s.leader());
            }
        }
        return out;
    }

    /** Time (between status rounds, up to the final heal) during which no answering node said it led. */
    private static long leaderlessMs(List<LivePoller.Round> rounds, long finalHealMs) {
        long total = 0;
        for (int i = 0; i + 1 < rounds.size(); i++) {
            LivePoller.Round r = rounds.get(i);
            if (r.atMs() > finalHealMs && finalHealMs >= 0) {
                break;
            }
            if (r.samples().stream().noneMatch(LiveRecords.StatusSample::isLeader)) {
                total += rounds.get(i + 1).atMs() - r.atMs();
            }
        }
        return total;
    }

    public static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
