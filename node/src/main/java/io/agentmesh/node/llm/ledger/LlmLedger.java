package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.cost.NanoUsd;
import io.agentmesh.node.llm.ledger.LedgerOp.AttemptEnd;
import io.agentmesh.node.llm.ledger.LedgerOp.AttemptStart;
import io.agentmesh.node.llm.ledger.LedgerOp.CallStatus;
import io.agentmesh.node.llm.ledger.LedgerOp.Close;
import io.agentmesh.node.llm.ledger.LedgerOp.Open;
import io.agentmesh.node.llm.ledger.LedgerOp.Settle;
import io.agentmesh.node.llm.ledger.LedgerResult.Reason;
import io.agentmesh.node.llm.ledger.LedgerResult.Rejected;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The LLM call ledger: the part of the Raft state machine that applies {@link LedgerOp}s (docs/llm.md, "The
 * journal"). Every call the gateway makes is an entry here: opened, each attempt started (its worst case reserved
 * against the budgets) before it is sent, each attempt ended with what it cost, then closed; a call whose leader died
 * is settled by the next one, its unended attempts charged their reservation as in doubt.
 *
 * <p>Rules, applied identically on every member because they depend only on the log (and the times and budgets the
 * operations carry):
 * <ul>
 *   <li>{@link Open}: granted unless the call id is known (open, or closed and still kept); the token is
 *       (term, commit index). At most {@link #MAX_OPEN_CALLS} calls are open at once.</li>
 *   <li>{@link AttemptStart}: only with the call's token, the next attempt number, and room in every hard budget of
 *       the operation that covers the target. A budget's room: over its period (the UTC day or month of
 *       {@code startedMillis}), charged + in doubt of the rows it covers, plus the worst cases of the open attempts
 *       it covers that started in that period, plus this worst case, must be at most its limit. Soft budgets never
 *       refuse; the ones this attempt takes past their limit are listed in the result.</li>
 *   <li>{@link AttemptEnd}: only with the token, for a started attempt without an end, on the attempt's target. The
 *       charge is {@code chargedNanoUsd} when the usage is known; otherwise the reservation, in doubt, when the error
 *       is possibly billed, or nothing when it is surely free. It lands in the row of the attempt's start day and
 *       target, and the end is kept as a health fact (the newest {@link #ENDS_PER_TARGET} per target).</li>
 *   <li>{@link Close}: only with the token. An attempt still without an end is charged its reservation in doubt
 *       (its holder no longer knows its fate). The call counts as answered or failed on its last attempt's target and
 *       day.</li>
 *   <li>{@link Settle}: only for a call opened in an older term than the settling leader's and still open; every
 *       attempt without an end is charged its reservation in doubt and the call counts as in doubt.</li>
 * </ul>
 *
 * <p>Bounded: the newest {@link #RETAIN_CLOSED} closed calls are kept in full and older ones forgotten entirely
 * (unlike the action journal's tombstones): endpoint call ids are random, and an {@code llm} intent is performed once
 * by the action journal already, so a forgotten id is never opened twice in practice, and if it were, it would be a
 * new call. Spend rows are kept for the newest {@link #RETAIN_DAYS} days that have any, health facts for at most
 * {@link #MAX_HEALTH_TARGETS} targets.
 *
 * <p>Deterministic: sorted maps only, no clock, no randomness. Not thread-safe: MicroRaft calls it on the node thread,
 * and so must every reader. Domain refusals are {@link Rejected} results, never exceptions.
 */
public final class LlmLedger {
    public static final int RETAIN_CLOSED = 1_024;
    public static final int RETAIN_DAYS = 400;
    public static final int ENDS_PER_TARGET = 32;
    public static final int MAX_OPEN_CALLS = 4_096;
    public static final int MAX_HEALTH_TARGETS = 512;
    public static final int CALLS_PER_CHUNK = 32;
    public static final int ROWS_PER_CHUNK = 1_024;
    public static final int ENDS_PER_CHUNK = 256;
    /**
     * The most one attempt may reserve: $10,000, far above any model's worst case today. It keeps the sum of every
     * reservation (at most {@link #MAX_OPEN_CALLS} calls of {@link LedgerOp#MAX_ATTEMPTS} attempts) exact in a long.
     */
    public static final long MAX_WORST_CASE_NANO_USD = 10_000L * NanoUsd.PER_USD;
    static final long MILLIS_PER_DAY = 86_400_000L;

    private final TreeMap<String, LedgerCall> open = new TreeMap<>();
    private final TreeMap<String, LedgerCall> closed = new TreeMap<>();
    // Close index -> call id, oldest first: the order in which closed calls are forgotten.
    private final TreeMap<Long, String> closedByIndex = new TreeMap<>();
    private final TreeMap<Long, TreeMap<Target, SpendRow>> spend = new TreeMap<>();
    private final TreeMap<Target, ArrayDeque<AttemptEnd>> ends = new TreeMap<>();
    // The worst cases of every open attempt: always the sum over open calls of LedgerCall.reservedNanoUsd(), and
    // the same by the UTC day of each attempt's start and its target (what a budget's period covers). Exact: bounded
    // by MAX_WORST_CASE_NANO_USD per attempt.
    private long reservedNanoUsd;
    private final TreeMap<Long, TreeMap<Target, Long>> reservedByDay = new TreeMap<>();
    private long lastApplied;

    /** Applies one committed operation at {@code commitIndex}. */
    public LedgerResult apply(long commitIndex, LedgerOp op) {
        lastApplied = Math.max(lastApplied, commitIndex);
        LedgerResult result = switch (op) {
            case Open o -> open(commitIndex, o);
            case AttemptStart s -> start(s);
            case AttemptEnd e -> end(e);
            case Close c -> close(commitIndex, c);
            case Settle s -> settle(commitIndex, s);
        };
        assert reservedNanoUsd >= 0 : "reserved is never negative: " + reservedNanoUsd;
        assert reservedNanoUsd == recomputeReserved() : "reserved " + reservedNanoUsd + " drifted from the open calls'"
                + " " + recomputeReserved();
        assert reservedNanoUsd == reservedByDay.values().stream().flatMap(m -> m.values().stream())
                .mapToLong(Long::longValue).sum() : "reserved by day drifted from " + reservedNanoUsd;
        assert open.size() <= MAX_OPEN_CALLS && closed.size() <= RETAIN_CLOSED && spend.size() <= RETAIN_DAYS;
        return result;
    }

    private LedgerResult open(long index, Open o) {
        if (open.containsKey(o.callId()) || closed.containsKey(o.callId())) {
            return new Rejected(o.callId(), Reason.DUPLICATE_CALL, "call " + o.callId() + " is already in the ledger");
        }
        if (open.size() >= MAX_OPEN_CALLS) {
            return new Rejected(o.callId(), Reason.TOO_MANY_OPEN_CALLS, MAX_OPEN_CALLS + " calls are open already");
        }
        LedgerCall call = LedgerCall.opened(o.callId(), o.nodeId(),
                new io.agentmesh.node.actions.FencingToken(o.term(), index), o.origin(), o.openedMillis());
        open.put(call.callId(), call);
        return new LedgerResult.Opened(call.callId(), call.token());
    }

    private LedgerResult start(AttemptStart s) {
        LedgerCall call = open.get(s.callId());
        Optional<Rejected> refused = refuse(s.callId(), s.token(), call);
        if (refused.isPresent()) {
            return refused.get();
        }
        int next = call.attempts().size() + 1;
        if (s.attemptNumber() != next) {
            return new Rejected(s.callId(), Reason.WRONG_ATTEMPT, "the next attempt of call " + s.callId() + " is "
                    + next + ", not " + s.attemptNumber());
        }
        if (s.worstCaseNanoUsd() > MAX_WORST_CASE_NANO_USD) {
            return new Rejected(s.callId(), Reason.BUDGET_EXCEEDED, "the worst case " + NanoUsd.format(
                    s.worstCaseNanoUsd()) + " is above the ledger's ceiling of " + NanoUsd.format(
                    MAX_WORST_CASE_NANO_USD) + " for one attempt");
        }
        long day = Math.floorDiv(s.startedMillis(), MILLIS_PER_DAY);
        List<String> softExceeded = new ArrayList<>();
        for (Budget b : s.budgets()) {
            if (!b.covers(s.target())) {
                continue;
            }
            long[] period = b.period().epochDays(day);
            long spent = spentIn(b, period[0], period[1]);
            long reserved = reservedIn(b, period[0], period[1]);
            long total = saturatedAdd(saturatedAdd(spent, reserved), s.worstCaseNanoUsd());
            if (total <= b.limitNanoUsd()) {
                continue;
            }
            String figures = b.describe() + ": spent " + NanoUsd.format(spent) + ", reserved "
                    + NanoUsd.format(reserved) + ", asked " + NanoUsd.format(s.worstCaseNanoUsd());
            if (b.enforcement() == Budget.Enforcement.HARD) {
                return new Rejected(s.callId(), Reason.BUDGET_EXCEEDED, "budget " + figures);
            }
            softExceeded.add(figures);
        }
        List<LedgerAttempt> attempts = new ArrayList<>(call.attempts());
        attempts.add(LedgerAttempt.started(next, s.target(), s.worstCaseNanoUsd(), s.startedMillis()));
        open.put(call.callId(), call.withAttempts(attempts));
        reserve(day, s.target(), s.worstCaseNanoUsd());
        row(day, s.target(), r -> new SpendRow(r.epochDay(), r.target(), r.chargedNanoUsd(), r.inDoubtNanoUsd(),
                saturatedAdd(r.attempts(), 1), r.callsAnswered(), r.callsFailed(), r.callsInDoubt(), r.inputTokens(),
                r.cachedInputTokens(), r.cacheWriteTokens(), r.outputTokens()));
        return new LedgerResult.Started(call.callId(), next, softExceeded);
    }

    private LedgerResult end(AttemptEnd e) {
        LedgerCall call = open.get(e.callId());
        Optional<Rejected> refused = refuse(e.callId(), e.token(), call);
        if (refused.isPresent()) {
            return refused.get();
        }
        int n = e.attemptNumber();
        if (n > call.attempts().size() || call.attempts().get(n - 1).ended()) {
            return new Rejected(e.callId(), Reason.WRONG_ATTEMPT, "attempt " + n + " of call " + e.callId()
                    + (n > call.attempts().size() ? " was not started" : " has ended already"));
        }
        LedgerAttempt attempt = call.attempts().get(n - 1);
        if (!attempt.target().equals(e.target())) {
            return new Rejected(e.callId(), Reason.WRONG_ATTEMPT, "attempt " + n + " of call " + e.callId()
                    + " went to " + attempt.target() + ", not " + e.target());
        }
        long charged;
        long inDoubt;
        if (e.usageKnown()) {
            charged = e.chargedNanoUsd();
            inDoubt = 0;
        } else if (e.error().map(ErrorClass::possiblyBilled).orElse(true)) {
            charged = attempt.worstCaseNanoUsd();
            inDoubt = charged;
        } else {
            charged = 0;
            inDoubt = 0;
        }
        List<LedgerAttempt> attempts = new ArrayList<>(call.attempts());
        attempts.set(n - 1, attempt.end(e.error(), charged, inDoubt, e.endedMillis()));
        open.put(call.callId(), call.withAttempts(attempts));
        reserve(attempt.epochDay(), attempt.target(), -attempt.worstCaseNanoUsd());
        Usage u = e.usageKnown() ? e.usage() : Usage.NONE;
        charge(attempt, charged - inDoubt, inDoubt, u);
        ArrayDeque<AttemptEnd> facts = ends.computeIfAbsent(e.target(), t -> new ArrayDeque<>());
        facts.addLast(e);
        while (facts.size() > ENDS_PER_TARGET) {
            facts.removeFirst();
        }
        trimHealthTargets();
        return new LedgerResult.Ended(e.callId(), n, charged, inDoubt);
    }

    private LedgerResult close(long index, Close c) {
        LedgerCall call = open.get(c.callId());
        Optional<Rejected> refused = refuse(c.callId(), c.token(), call);
        if (refused.isPresent()) {
            return refused.get();
        }
        closeCall(index, call, c.status(), c.message(), c.closedMillis());
        return new LedgerResult.Closed(c.callId(), c.status());
    }

    private LedgerResult settle(long index, Settle s) {
        LedgerCall call = open.get(s.callId());
        if (call == null) {
            return closed.containsKey(s.callId())
                    ? new Rejected(s.callId(), Reason.CLOSED, "call " + s.callId() + " is closed")
                    : new Rejected(s.callId(), Reason.UNKNOWN_CALL, "call " + s.callId() + " is not in the ledger");
        }
        if (call.token().term() >= s.term()) {
            return new Rejected(s.callId(), Reason.HOLDER_CURRENT, "call " + s.callId() + " was opened in term "
                    + call.token().term() + "; a leader of term " + s.term() + " may not settle it");
        }
        int unended = (int) call.attempts().stream().filter(a -> !a.ended()).count();
        long inDoubt = call.reservedNanoUsd();
        closeCall(index, call, CallStatus.IN_DOUBT, "settled by " + s.nodeId() + " in term " + s.term()
                + ": its holder " + call.holder() + " was lost", s.settledMillis());
        return new LedgerResult.Settled(s.callId(), unended, inDoubt);
    }

    /** Charges every attempt still without an end its reservation in doubt, closes the call and counts it. */
    private void closeCall(long index, LedgerCall call, CallStatus status, String message, long atMillis) {
        List<LedgerAttempt> attempts = new ArrayList<>(call.attempts());
        for (int i = 0; i < attempts.size(); i++) {
            LedgerAttempt a = attempts.get(i);
            if (!a.ended()) {
                attempts.set(i, a.end(Optional.empty(), a.worstCaseNanoUsd(), a.worstCaseNanoUsd(), atMillis));
                reserve(a.epochDay(), a.target(), -a.worstCaseNanoUsd());
                charge(a, 0, a.worstCaseNanoUsd(), Usage.NONE);
            }
        }
        String why = message.length() > LedgerOp.MAX_MESSAGE_CHARS
                ? message.substring(0, LedgerOp.MAX_MESSAGE_CHARS) : message;
        LedgerCall done = call.closed(attempts, status, why, atMillis, index);
        open.remove(call.callId());
        closed.put(done.callId(), done);
        closedByIndex.put(index, done.callId());
        while (closedByIndex.size() > RETAIN_CLOSED) {
            closed.remove(closedByIndex.pollFirstEntry().getValue());
        }
        if (!attempts.isEmpty()) {
            LedgerAttempt last = attempts.getLast();
            row(last.epochDay(), last.target(), r -> new SpendRow(r.epochDay(), r.target(), r.chargedNanoUsd(),
                    r.inDoubtNanoUsd(), r.attempts(),
                    r.callsAnswered() + (status == CallStatus.ANSWERED ? 1 : 0),
                    r.callsFailed() + (status == CallStatus.FAILED ? 1 : 0),
                    r.callsInDoubt() + (status == CallStatus.IN_DOUBT ? 1 : 0), r.inputTokens(),
                    r.cachedInputTokens(), r.cacheWriteTokens(), r.outputTokens()));
        }
    }

    /** Adds (or, negative, releases) a reservation on the day and target of its attempt. */
    private void reserve(long day, Target target, long deltaNanoUsd) {
        reservedNanoUsd = Math.addExact(reservedNanoUsd, deltaNanoUsd);
        TreeMap<Target, Long> day0 = reservedByDay.computeIfAbsent(day, d -> new TreeMap<>());
        long now = Math.addExact(day0.getOrDefault(target, 0L), deltaNanoUsd);
        assert now >= 0 : "reserved on " + day + " for " + target + " is never negative: " + now;
        if (now == 0) {
            day0.remove(target);
            if (day0.isEmpty()) {
                reservedByDay.remove(day);
            }
        } else {
            day0.put(target, now);
        }
    }

    private void charge(LedgerAttempt a, long chargedNanoUsd, long inDoubtNanoUsd, Usage u) {
        row(a.epochDay(), a.target(), r -> new SpendRow(r.epochDay(), r.target(),
                saturatedAdd(r.chargedNanoUsd(), chargedNanoUsd), saturatedAdd(r.inDoubtNanoUsd(), inDoubtNanoUsd),
                r.attempts(), r.callsAnswered(), r.callsFailed(), r.callsInDoubt(),
                saturatedAdd(r.inputTokens(), u.inputTokens()),
                saturatedAdd(r.cachedInputTokens(), u.cachedInputTokens()),
                saturatedAdd(r.cacheWriteTokens(), u.cacheWriteTokens()),
                saturatedAdd(r.outputTokens(), u.outputTokens())));
    }

    /** Updates (creating if needed) the row of {@code (day, target)}, then drops the oldest days past retention. */
    private void row(long day, Target target, java.util.function.UnaryOperator<SpendRow> update) {
        TreeMap<Target, SpendRow> rows = spend.computeIfAbsent(day, d -> new TreeMap<>());
        rows.put(target, update.apply(rows.getOrDefault(target, SpendRow.empty(day, target))));
        while (spend.size() > RETAIN_DAYS) {
            spend.pollFirstEntry();
        }
    }

    /** Past {@link #MAX_HEALTH_TARGETS}, forgets the target whose newest end is the oldest. */
    private void trimHealthTargets() {
        while (ends.size() > MAX_HEALTH_TARGETS) {
            Target stalest = null;
            long stalestMillis = Long.MAX_VALUE;
            for (Map.Entry<Target, ArrayDeque<AttemptEnd>> e : ends.entrySet()) {
                long newest = e.getValue().getLast().endedMillis();
                if (newest < stalestMillis) {
                    stalest = e.getKey();
                    stalestMillis = newest;
                }
            }
            ends.remove(stalest);
        }
    }

    private Optional<Rejected> refuse(String callId, io.agentmesh.node.actions.FencingToken token, LedgerCall call) {
        if (call == null) {
            return Optional.of(closed.containsKey(callId)
                    ? new Rejected(callId, Reason.CLOSED, "call " + callId + " is closed")
                    : new Rejected(callId, Reason.UNKNOWN_CALL, "call " + callId + " is not in the ledger"));
        }
        if (!call.token().equals(token)) {
            return Optional.of(new Rejected(callId, Reason.NOT_HOLDER, "call " + callId + " is held with token "
                    + call.token() + ", not " + token));
        }
        return Optional.empty();
    }


    private long spentIn(Budget b, long fromDay, long toDay) {
        long sum = 0;
        for (TreeMap<Target, SpendRow> rows : spend.subMap(fromDay, true, toDay, true).values()) {
            for (SpendRow r : rows.values()) {
                if (b.covers(r.target())) {
                    sum = saturatedAdd(sum, r.spentNanoUsd());
                }
            }
        }
        return sum;
    }

    private long reservedIn(Budget b, long fromDay, long toDay) {
        long sum = 0;
        for (TreeMap<Target, Long> byTarget : reservedByDay.subMap(fromDay, true, toDay, true).values()) {
            for (Map.Entry<Target, Long> e : byTarget.entrySet()) {
                if (b.covers(e.getKey())) {
                    sum += e.getValue();
                }
            }
        }
        return sum;
    }

    private long recomputeReserved() {
        long sum = 0;
        for (LedgerCall c : open.values()) {
            sum = saturatedAdd(sum, c.reservedNanoUsd());
        }
        return sum;
    }

    /** a + b for non-negative amounts, stuck at Long.MAX_VALUE rather than wrapping. */
    static long saturatedAdd(long a, long b) {
        long s = a + b;
        return ((a ^ s) & (b ^ s)) < 0 ? Long.MAX_VALUE : s;
    }

    // ---- snapshots ----

    /** Emits the ledger as chunks, cut deterministically from its sorted state; at least one. */
    public void takeSnapshot(Consumer<LedgerSnapshotChunk> chunks) {
        List<LedgerCall> calls = new ArrayList<>(open.values());
        calls.addAll(closed.values());
        List<SpendRow> rows = spend();
        List<AttemptEnd> facts = new ArrayList<>();
        ends.values().forEach(facts::addAll);
        int emitted = 0;
        for (int i = 0; i < calls.size(); i += CALLS_PER_CHUNK) {
            chunks.accept(new LedgerSnapshotChunk(calls.subList(i, Math.min(calls.size(), i + CALLS_PER_CHUNK)),
                    List.of(), List.of()));
            emitted++;
        }
        for (int i = 0; i < rows.size(); i += ROWS_PER_CHUNK) {
            chunks.accept(new LedgerSnapshotChunk(List.of(), rows.subList(i, Math.min(rows.size(),
                    i + ROWS_PER_CHUNK)), List.of()));
            emitted++;
        }
        for (int i = 0; i < facts.size(); i += ENDS_PER_CHUNK) {
            chunks.accept(new LedgerSnapshotChunk(List.of(), List.of(), facts.subList(i, Math.min(facts.size(),
                    i + ENDS_PER_CHUNK))));
            emitted++;
        }
        if (emitted == 0) {
            chunks.accept(new LedgerSnapshotChunk(List.of(), List.of(), List.of()));
        }
    }

    /**
     * Checks a snapshot's chunks as {@link #installSnapshot} would, changing nothing.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public void checkSnapshot(long commitIndex, List<LedgerSnapshotChunk> chunks) {
        new LlmLedger().fill(commitIndex, chunks);
    }

    /**
     * Replaces the whole ledger with a snapshot's chunks (in any order), after checking all of them: a bad snapshot
     * leaves the ledger as it was.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public void installSnapshot(long commitIndex, List<LedgerSnapshotChunk> chunks) {
        LlmLedger fresh = new LlmLedger();
        fresh.fill(commitIndex, chunks);
        open.clear();
        open.putAll(fresh.open);
        closed.clear();
        closed.putAll(fresh.closed);
        closedByIndex.clear();
        closedByIndex.putAll(fresh.closedByIndex);
        spend.clear();
        spend.putAll(fresh.spend);
        ends.clear();
        ends.putAll(fresh.ends);
        reservedNanoUsd = fresh.reservedNanoUsd;
        reservedByDay.clear();
        reservedByDay.putAll(fresh.reservedByDay);
        lastApplied = commitIndex;
    }

    private void fill(long commitIndex, List<LedgerSnapshotChunk> chunks) {
        for (LedgerSnapshotChunk chunk : chunks) {
            for (LedgerCall c : chunk.calls()) {
                if (open.containsKey(c.callId()) || closed.containsKey(c.callId())) {
                    throw new IllegalArgumentException("a ledger snapshot lists call " + c.callId() + " twice");
                }
                if (c.token().index() > commitIndex || c.closedIndex() > commitIndex) {
                    throw new IllegalArgumentException("call " + c.callId() + " names a log index past the snapshot's "
                            + commitIndex);
                }
                if (c.isOpen()) {
                    if (c.attempts().stream().anyMatch(a -> a.worstCaseNanoUsd() > MAX_WORST_CASE_NANO_USD)) {
                        throw new IllegalArgumentException("call " + c.callId() + " reserves more than "
                                + NanoUsd.format(MAX_WORST_CASE_NANO_USD) + " for an attempt");
                    }
                    open.put(c.callId(), c);
                    if (open.size() > MAX_OPEN_CALLS) {
                        throw new IllegalArgumentException("a ledger snapshot holds more than " + MAX_OPEN_CALLS
                                + " open calls");
                    }
                    for (LedgerAttempt a : c.attempts()) {
                        if (!a.ended()) {
                            reserve(a.epochDay(), a.target(), a.worstCaseNanoUsd());
                        }
                    }
                } else {
                    if (closedByIndex.putIfAbsent(c.closedIndex(), c.callId()) != null) {
                        throw new IllegalArgumentException("two closed calls share the close index "
                                + c.closedIndex());
                    }
                    closed.put(c.callId(), c);
                }
            }
            for (SpendRow r : chunk.spend()) {
                if (spend.computeIfAbsent(r.epochDay(), d -> new TreeMap<>()).putIfAbsent(r.target(), r) != null) {
                    throw new IllegalArgumentException("a ledger snapshot has two rows for " + r.target() + " on "
                            + r.day());
                }
            }
            for (AttemptEnd e : chunk.ends()) {
                ends.computeIfAbsent(e.target(), t -> new ArrayDeque<>()).addLast(e);
            }
        }
        if (open.size() > MAX_OPEN_CALLS || closed.size() > RETAIN_CLOSED || spend.size() > RETAIN_DAYS
                || ends.size() > MAX_HEALTH_TARGETS) {
            throw new IllegalArgumentException("a ledger snapshot holds more than this ledger keeps: " + open.size()
                    + " open calls (at most " + MAX_OPEN_CALLS + "), " + closed.size() + " closed (" + RETAIN_CLOSED
                    + "), " + spend.size() + " days (" + RETAIN_DAYS + "), " + ends.size() + " targets with health"
                    + " facts (" + MAX_HEALTH_TARGETS + ")");
        }
        for (Map.Entry<Target, ArrayDeque<AttemptEnd>> e : ends.entrySet()) {
            if (e.getValue().size() > ENDS_PER_TARGET) {
                throw new IllegalArgumentException("a ledger snapshot has " + e.getValue().size()
                        + " attempt ends for " + e.getKey() + "; at most " + ENDS_PER_TARGET + " are kept");
            }
        }
        lastApplied = commitIndex;
    }

    // ---- reads (node thread) ----

    /** The call, open or closed and still kept. */
    public Optional<LedgerCall> call(String callId) {
        LedgerCall c = open.get(callId);
        return Optional.ofNullable(c != null ? c : closed.get(callId));
    }

    /** Open calls in id order: what a new leader settles once their holder is gone. */
    public List<LedgerCall> openCalls() {
        return List.copyOf(open.values());
    }

    /** Closed calls still kept, in id order. */
    public List<LedgerCall> closedCalls() {
        return List.copyOf(closed.values());
    }

    /** Spend rows by day (oldest first), then target. */
    public List<SpendRow> spend() {
        List<SpendRow> out = new ArrayList<>();
        spend.values().forEach(rows -> out.addAll(rows.values()));
        return out;
    }

    /** The newest attempt ends per target, oldest first, at most {@link #ENDS_PER_TARGET} each: health facts. */
    public Map<Target, List<AttemptEnd>> recentEnds() {
        Map<Target, List<AttemptEnd>> out = new TreeMap<>();
        ends.forEach((t, q) -> out.put(t, List.copyOf(q)));
        return Collections.unmodifiableMap(out);
    }

    /** The worst cases of every attempt started and not ended: what the budgets hold back for calls in flight. */
    public long reservedNanoUsd() {
        return reservedNanoUsd;
    }

    /** Highest log index applied here (operations or snapshot). */
    public long lastApplied() {
        return lastApplied;
    }
}
