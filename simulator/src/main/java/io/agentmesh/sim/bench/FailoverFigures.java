package io.agentmesh.sim.bench;

import io.agentmesh.sim.live.LiveFigures;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What {@code bench failover} makes of its rounds: one record per kill round and per step-down round, as measured,
 * and the per-size summaries (percentiles, and the rounds that missed a bound) built from them alone, so the JSON's
 * shape and counting rules are checked without starting a process.
 */
final class FailoverFigures {
    /** A new leader must be named within this long of a kill; rounds slower than this are counted and explained. */
    static final long LEADER_BOUND_MS = 2000;
    /** The goal for kill to the next action performed (docs/benchmarks.md, issue 5). */
    static final long ACTION_GOAL_MS = 1000;

    private FailoverFigures() {
    }

    /**
     * One kill -9 of the leader. A null time was not observed (within the round's 30 s).
     *
     * @param newLeaderNamedAfterMs kill to the first answer of a surviving node naming a leader other than the
     *                              killed one
     * @param performedAfterMs      kill to the new leader's performed.jsonl line for the intent submitted after it
     * @param visibleAfterMs        kill to the intent's outcome answered by the survivor it was submitted to
     * @param outcome               the outcome's status, null when none was seen
     * @param error                 why the round failed, null when it did not
     * @param restartReadyMs        the killed node's restart, launch to ready (its state loaded and serving), null
     *                              when it did not get ready
     * @param logs                  node log lines after the kill, kept only for a slow or failed round
     */
    record KillRound(int round, String killed, long term, Long newLeaderNamedAfterMs, String namedBy,
                     String newLeader, Long newTerm, Long performedAfterMs, Long visibleAfterMs, String outcome,
                     String error, Long restartReadyMs, Map<String, List<String>> logs) {

        /** Whether no surviving node named a new leader within {@link #LEADER_BOUND_MS} of the kill. */
        boolean withoutLeaderAfterBound() {
            return newLeaderNamedAfterMs == null || newLeaderNamedAfterMs > LEADER_BOUND_MS;
        }

        /** Whether the round deserves its logs: no leader within the bound, no action within the goal, or an error. */
        boolean slow() {
            return withoutLeaderAfterBound() || error != null || performedAfterMs == null
                    || performedAfterMs > ACTION_GOAL_MS;
        }

        KillRound withLogs(Map<String, List<String>> l) {
            return new KillRound(round, killed, term, newLeaderNamedAfterMs, namedBy, newLeader, newTerm,
                    performedAfterMs, visibleAfterMs, outcome, error, restartReadyMs, l);
        }

        KillRound withRestartReadyMs(long ms) {
            return new KillRound(round, killed, term, newLeaderNamedAfterMs, namedBy, newLeader, newTerm,
                    performedAfterMs, visibleAfterMs, outcome, error, ms, logs);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", round);
            m.put("killed", killed);
            m.put("term", term);
            m.put("newLeaderNamedAfterMs", newLeaderNamedAfterMs);
            m.put("namedBy", namedBy);
            m.put("newLeader", newLeader);
            m.put("newTerm", newTerm);
            m.put("performedAfterMs", performedAfterMs);
            m.put("outcomeVisibleAfterMs", visibleAfterMs);
            m.put("outcome", outcome);
            if (error != null) {
                m.put("error", error);
            }
            m.put("restartReadyMs", restartReadyMs);
            if (logs != null && !logs.isEmpty()) {
                m.put("logs", logs);
            }
            return m;
        }
    }

    /**
     * One cut of the leader from every other node (each side blocks the other through its fault-injection API).
     *
     * @param cutTookMs                  how long applying the blocks took (all in parallel); the times below run from
     *                                   before the first block, so they include it
     * @param stepDownAfterMs            cut to the cut-off leader's first status whose role is not leader
     * @param newLeaderAfterMs           cut to the first status of a majority-side node naming another leader
     * @param logs                       node log lines after the cut, kept only for a slow round
     */
    record StepDownRound(int round, String leader, long term, long cutTookMs, Long stepDownAfterMs,
                         Long newLeaderAfterMs, String newLeader, Long newTerm, Map<String, List<String>> logs) {

        /** How long both believed they lead: the old one stepped down after the new one was named. */
        Long bothLeadMs() {
            if (stepDownAfterMs == null || newLeaderAfterMs == null) {
                return null;
            }
            return Math.max(0, stepDownAfterMs - newLeaderAfterMs);
        }

        boolean slow() {
            return stepDownAfterMs == null || newLeaderAfterMs == null || newLeaderAfterMs > LEADER_BOUND_MS
                    || stepDownAfterMs > ACTION_GOAL_MS;
        }

        StepDownRound withLogs(Map<String, List<String>> l) {
            return new StepDownRound(round, leader, term, cutTookMs, stepDownAfterMs, newLeaderAfterMs, newLeader,
                    newTerm, l);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", round);
            m.put("leader", leader);
            m.put("term", term);
            m.put("cutTookMs", cutTookMs);
            m.put("stepDownAfterMs", stepDownAfterMs);
            m.put("newLeaderAfterMs", newLeaderAfterMs);
            m.put("bothLeadMs", bothLeadMs());
            m.put("newLeader", newLeader);
            m.put("newTerm", newTerm);
            if (logs != null && !logs.isEmpty()) {
                m.put("logs", logs);
            }
            return m;
        }
    }

    /** The per-size summary of the kill rounds, then the rounds themselves. */
    static Map<String, Object> kills(List<KillRound> rounds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kills", rounds.size());
        m.put("failedRounds", rounds.stream().filter(r -> r.error() != null).count());
        m.put("outcomeWithoutPerformance", rounds.stream()
                .filter(r -> r.error() == null && r.performedAfterMs() == null).count());
        m.put("roundsWithoutLeaderAfter2s", rounds.stream().filter(KillRound::withoutLeaderAfterBound).count());
        m.put("roundsOverOneSecondToAction", rounds.stream()
                .filter(r -> r.performedAfterMs() == null || r.performedAfterMs() > ACTION_GOAL_MS).count());
        m.put("newLeaderNamedAfterKillMs", stats(values(rounds, KillRound::newLeaderNamedAfterMs)));
        m.put("performedAfterKillMs", stats(values(rounds, KillRound::performedAfterMs)));
        m.put("outcomeVisibleAfterKillMs", stats(values(rounds, KillRound::visibleAfterMs)));
        // Restart time grows with the history a node replays; a long one starves the voters on a shared machine.
        m.put("killedNodeRestartReadyMs", stats(values(rounds, KillRound::restartReadyMs)));
        m.put("rounds", rounds.stream().map(KillRound::toJson).toList());
        return m;
    }

    /** The per-size summary of the step-down rounds, then the rounds themselves. */
    static Map<String, Object> stepDowns(List<StepDownRound> rounds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cuts", rounds.size());
        m.put("roundsWithoutStepDown", rounds.stream().filter(r -> r.stepDownAfterMs() == null).count());
        m.put("roundsWithoutLeaderAfter2s", rounds.stream()
                .filter(r -> r.newLeaderAfterMs() == null || r.newLeaderAfterMs() > LEADER_BOUND_MS).count());
        m.put("oldLeaderStepsDownAfterCutMs", stats(values(rounds, StepDownRound::stepDownAfterMs)));
        m.put("majorityNamesNewLeaderAfterCutMs", stats(values(rounds, StepDownRound::newLeaderAfterMs)));
        m.put("bothLeadMs", stats(values(rounds, StepDownRound::bothLeadMs)));
        m.put("cutTookMs", stats(rounds.stream().map(StepDownRound::cutTookMs).toList()));
        m.put("rounds", rounds.stream().map(StepDownRound::toJson).toList());
        return m;
    }

    private static <R> List<Long> values(List<R> rounds, Function<R, Long> field) {
        return rounds.stream().map(field).filter(Objects::nonNull).toList();
    }

    /** n, min, p50, p90, p99, max and mean; -1 for each when there is no value. */
    static Map<String, Object> stats(List<Long> values) {
        List<Long> s = new ArrayList<>(values);
        Collections.sort(s);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", s.size());
        m.put("min", s.isEmpty() ? -1 : s.getFirst());
        m.put("p50", LiveFigures.percentile(s, 0.50));
        m.put("p90", LiveFigures.percentile(s, 0.90));
        m.put("p99", LiveFigures.percentile(s, 0.99));
        m.put("max", s.isEmpty() ? -1 : s.getLast());
        m.put("mean", s.isEmpty() ? -1 : Math.round(s.stream().mapToLong(Long::longValue).average().orElse(0)));
        return m;
    }
}
