package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.ledger.LedgerAttempt;
import io.agentmesh.node.llm.ledger.LedgerCall;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerSnapshotChunk;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.node.llm.ledger.SpendRow;
import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The bytes of the LLM call ledger's operations and snapshot chunks inside {@link RaftCodec}'s operation layout
 * (the tag is written by RaftCodec, the body here): the same big-endian fixed layout, every text and count bounded,
 * enums as explicit codes (never {@code ordinal()}: a reordered or extended enum must not change what stored bytes
 * mean), and every value checked by the records it builds. Stateless.
 */
final class LedgerCodec {
    /** UTF-8 takes at most 4 bytes a character; the records check the character counts. */
    static final int MAX_CALL_ID_BYTES = 4 * LedgerOp.MAX_CALL_ID_CHARS;
    static final int MAX_NODE_ID_BYTES = 4 * LedgerOp.MAX_NODE_ID_CHARS;
    static final int MAX_NAME_BYTES = 4 * LedgerOp.MAX_NAME_CHARS;
    static final int MAX_MESSAGE_BYTES = 4 * LedgerOp.MAX_MESSAGE_CHARS;

    // Shortest encodings of one counted item, so a forged count is refused before any item is read.
    /** present flag, period, limit, enforcement (no provider or model). */
    static final int MIN_BUDGET_BYTES = 1 + 1 + 1 + Long.BYTES + 1;
    /** number, target of two one-character names, worst case, start, ended flag. */
    static final int MIN_ATTEMPT_BYTES = Integer.BYTES + 2 * (Integer.BYTES + 1) + 2 * Long.BYTES + 1;
    /** id, holder, origin, token, opened, attempt count, closed flag. */
    static final int MIN_CALL_BYTES = 2 * (Integer.BYTES + 1) + 1 + 2 * Long.BYTES + Long.BYTES + Integer.BYTES + 1;
    /** day, target, ten figures. */
    static final int MIN_ROW_BYTES = Long.BYTES + 2 * (Integer.BYTES + 1) + 10 * Long.BYTES;
    /** id, token, number, target, error, status, five token counts, flag, seven numbers, fingerprint. */
    static final int MIN_END_BYTES = (Integer.BYTES + 1) + 2 * Long.BYTES + Integer.BYTES + 2 * (Integer.BYTES + 1)
            + 1 + Integer.BYTES + 5 * Long.BYTES + 1 + 6 * Long.BYTES + Integer.BYTES;
    static final int MAX_CHUNK_ITEMS = Math.max(LlmLedger.ROWS_PER_CHUNK,
            Math.max(LlmLedger.CALLS_PER_CHUNK, LlmLedger.ENDS_PER_CHUNK));

    /** Error classes by code (code = position + 1; 0 is "no error"). Append only. */
    static final List<ErrorClass> ERROR_CODES = List.of(ErrorClass.RATE_LIMITED, ErrorClass.SPEND_LIMIT,
            ErrorClass.OVERLOADED, ErrorClass.CONTEXT_TOO_LONG, ErrorClass.CONTENT_POLICY, ErrorClass.AUTH,
            ErrorClass.MODEL_NOT_FOUND, ErrorClass.BAD_REQUEST, ErrorClass.CONNECT, ErrorClass.FIRST_TOKEN_TIMEOUT,
            ErrorClass.STREAM_IDLE, ErrorClass.STREAM_CUT, ErrorClass.TIMEOUT, ErrorClass.MALFORMED_RESPONSE,
            ErrorClass.CANCELLED);

    private LedgerCodec() {
    }

    // ---- operations

    static void writeOpen(BoundedWriter w, LedgerOp.Open o) {
        w.text32(o.callId()).text32(o.nodeId()).i64(o.term()).u8(origin(o.origin())).i64(o.openedMillis());
    }

    static LedgerOp.Open readOpen(BoundedReader r) {
        return new LedgerOp.Open(r.text32("callId", MAX_CALL_ID_BYTES), r.text32("nodeId", MAX_NODE_ID_BYTES),
                r.nonNegativeI64("open term"), origin(r.u8("origin")), r.nonNegativeI64("openedMillis"));
    }

    static void writeAttemptStart(BoundedWriter w, LedgerOp.AttemptStart s) {
        w.text32(s.callId());
        writeToken(w, s.token());
        w.i32(s.attemptNumber());
        writeTarget(w, s.target());
        w.i64(s.worstCaseNanoUsd()).i32(s.budgets().size());
        for (Budget b : s.budgets()) {
            writeOptionalText(w, b.provider());
            writeOptionalText(w, b.model());
            w.u8(switch (b.period()) {
                case DAY -> 0;
                case MONTH -> 1;
            }).i64(b.limitNanoUsd()).u8(switch (b.enforcement()) {
                case HARD -> 0;
                case SOFT -> 1;
            });
        }
        w.i64(s.startedMillis());
    }

    static LedgerOp.AttemptStart readAttemptStart(BoundedReader r) {
        String callId = r.text32("callId", MAX_CALL_ID_BYTES);
        FencingToken token = readToken(r);
        int number = r.i32("attemptNumber");
        Target target = readTarget(r);
        long worstCase = r.nonNegativeI64("worstCaseNanoUsd");
        int n = r.count32("budgets", LedgerOp.MAX_BUDGETS, MIN_BUDGET_BYTES);
        List<Budget> budgets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Optional<String> provider = readOptionalText(r, "budget provider");
            Optional<String> model = readOptionalText(r, "budget model");
            int p = r.u8("budget period");
            Budget.Period period = switch (p) {
                case 0 -> Budget.Period.DAY;
                case 1 -> Budget.Period.MONTH;
                default -> throw new CodecException("unknown budget period " + p);
            };
            long limit = r.nonNegativeI64("budget limit");
            int e = r.u8("budget enforcement");
            Budget.Enforcement enforcement = switch (e) {
                case 0 -> Budget.Enforcement.HARD;
                case 1 -> Budget.Enforcement.SOFT;
                default -> throw new CodecException("unknown budget enforcement " + e);
            };
            budgets.add(new Budget(provider, model, period, limit, enforcement));
        }
        return new LedgerOp.AttemptStart(callId, token, number, target, worstCase, budgets,
                r.nonNegativeI64("startedMillis"));
    }

    static void writeAttemptEnd(BoundedWriter w, LedgerOp.AttemptEnd e) {
        w.text32(e.callId());
        writeToken(w, e.token());
        w.i32(e.attemptNumber());
        writeTarget(w, e.target());
        w.u8(errorCode(e.error())).i32(e.httpStatus());
        Usage u = e.usage();
        w.i64(u.inputTokens()).i64(u.cachedInputTokens()).i64(u.cacheWriteTokens()).i64(u.outputTokens())
                .i64(u.reasoningTokens());
        w.bool(e.usageKnown()).i64(e.chargedNanoUsd()).i64(e.elapsedMs()).i64(e.firstTokenMs())
                .i64(e.retryAfterUntilMillis()).text32(e.keyFingerprint()).i64(e.endedMillis());
    }

    static LedgerOp.AttemptEnd readAttemptEnd(BoundedReader r) {
        String callId = r.text32("callId", MAX_CALL_ID_BYTES);
        FencingToken token = readToken(r);
        int number = r.i32("attemptNumber");
        Target target = readTarget(r);
        Optional<ErrorClass> error = error(r.u8("error class"));
        int status = r.i32("httpStatus");
        Usage usage = new Usage(r.nonNegativeI64("inputTokens"), r.nonNegativeI64("cachedInputTokens"),
                r.nonNegativeI64("cacheWriteTokens"), r.nonNegativeI64("outputTokens"),
                r.nonNegativeI64("reasoningTokens"));
        return new LedgerOp.AttemptEnd(callId, token, number, target, error, status, usage, r.bool("usageKnown"),
                r.nonNegativeI64("chargedNanoUsd"), r.nonNegativeI64("elapsedMs"), r.nonNegativeI64("firstTokenMs"),
                r.nonNegativeI64("retryAfterUntilMillis"), r.text32("keyFingerprint", MAX_NAME_BYTES),
                r.nonNegativeI64("endedMillis"));
    }

    static void writeClose(BoundedWriter w, LedgerOp.Close c) {
        w.text32(c.callId());
        writeToken(w, c.token());
        w.u8(status(c.status())).text32(c.message()).i64(c.closedMillis());
    }

    static LedgerOp.Close readClose(BoundedReader r) {
        return new LedgerOp.Close(r.text32("callId", MAX_CALL_ID_BYTES), readToken(r), status(r.u8("call status")),
                r.text32("message", MAX_MESSAGE_BYTES), r.nonNegativeI64("closedMillis"));
    }

    static void writeSettle(BoundedWriter w, LedgerOp.Settle s) {
        w.text32(s.callId()).text32(s.nodeId()).i64(s.term()).i64(s.settledMillis());
    }

    static LedgerOp.Settle readSettle(BoundedReader r) {
        return new LedgerOp.Settle(r.text32("callId", MAX_CALL_ID_BYTES), r.text32("nodeId", MAX_NODE_ID_BYTES),
                r.nonNegativeI64("settle term"), r.nonNegativeI64("settledMillis"));
    }

    // ---- snapshot chunks

    static void writeChunk(BoundedWriter w, LedgerSnapshotChunk c) {
        w.i32(c.calls().size());
        for (LedgerCall call : c.calls()) {
            writeCall(w, call);
        }
        w.i32(c.spend().size());
        for (SpendRow row : c.spend()) {
            w.i64(row.epochDay());
            writeTarget(w, row.target());
            w.i64(row.chargedNanoUsd()).i64(row.inDoubtNanoUsd()).i64(row.attempts()).i64(row.callsAnswered())
                    .i64(row.callsFailed()).i64(row.callsInDoubt()).i64(row.inputTokens())
                    .i64(row.cachedInputTokens()).i64(row.cacheWriteTokens()).i64(row.outputTokens());
        }
        w.i32(c.ends().size());
        for (LedgerOp.AttemptEnd e : c.ends()) {
            writeAttemptEnd(w, e);
        }
    }

    static LedgerSnapshotChunk readChunk(BoundedReader r) {
        int nCalls = r.count32("ledger calls", LlmLedger.CALLS_PER_CHUNK, MIN_CALL_BYTES);
        List<LedgerCall> calls = new ArrayList<>(nCalls);
        for (int i = 0; i < nCalls; i++) {
            calls.add(readCall(r));
        }
        int nRows = r.count32("spend rows", LlmLedger.ROWS_PER_CHUNK, MIN_ROW_BYTES);
        List<SpendRow> rows = new ArrayList<>(nRows);
        for (int i = 0; i < nRows; i++) {
            rows.add(new SpendRow(r.i64("day"), readTarget(r), r.nonNegativeI64("chargedNanoUsd"),
                    r.nonNegativeI64("inDoubtNanoUsd"), r.nonNegativeI64("attempts"),
                    r.nonNegativeI64("callsAnswered"), r.nonNegativeI64("callsFailed"),
                    r.nonNegativeI64("callsInDoubt"), r.nonNegativeI64("inputTokens"),
                    r.nonNegativeI64("cachedInputTokens"), r.nonNegativeI64("cacheWriteTokens"),
                    r.nonNegativeI64("outputTokens")));
        }
        int nEnds = r.count32("attempt ends", LlmLedger.ENDS_PER_CHUNK, MIN_END_BYTES);
        List<LedgerOp.AttemptEnd> ends = new ArrayList<>(nEnds);
        for (int i = 0; i < nEnds; i++) {
            ends.add(readAttemptEnd(r));
        }
        return new LedgerSnapshotChunk(calls, rows, ends);
    }

    private static void writeCall(BoundedWriter w, LedgerCall c) {
        w.text32(c.callId()).text32(c.holder()).u8(origin(c.origin()));
        writeToken(w, c.token());
        w.i64(c.openedMillis()).i32(c.attempts().size());
        for (LedgerAttempt a : c.attempts()) {
            w.i32(a.number());
            writeTarget(w, a.target());
            w.i64(a.worstCaseNanoUsd()).i64(a.startedMillis()).bool(a.ended());
            if (a.ended()) {
                w.u8(errorCode(a.error())).i64(a.chargedNanoUsd()).i64(a.inDoubtNanoUsd()).i64(a.endedMillis());
            }
        }
        w.bool(c.status().isPresent());
        if (c.status().isPresent()) {
            w.u8(status(c.status().get())).text32(c.message()).i64(c.closedMillis()).i64(c.closedIndex());
        }
    }

    private static LedgerCall readCall(BoundedReader r) {
        String id = r.text32("callId", MAX_CALL_ID_BYTES);
        String holder = r.text32("holder", MAX_NODE_ID_BYTES);
        LedgerOp.Origin origin = origin(r.u8("origin"));
        FencingToken token = readToken(r);
        long opened = r.nonNegativeI64("openedMillis");
        int n = r.count32("attempts", LedgerOp.MAX_ATTEMPTS, MIN_ATTEMPT_BYTES);
        List<LedgerAttempt> attempts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int number = r.i32("attempt number");
            Target target = readTarget(r);
            long worst = r.nonNegativeI64("worstCaseNanoUsd");
            long started = r.nonNegativeI64("startedMillis");
            if (r.bool("ended")) {
                attempts.add(new LedgerAttempt(number, target, worst, started, true, error(r.u8("error class")),
                        r.nonNegativeI64("chargedNanoUsd"), r.nonNegativeI64("inDoubtNanoUsd"),
                        r.nonNegativeI64("endedMillis")));
            } else {
                attempts.add(new LedgerAttempt(number, target, worst, started, false, Optional.empty(), 0, 0, 0));
            }
        }
        if (!r.bool("closed")) {
            return new LedgerCall(id, holder, token, origin, opened, attempts, Optional.empty(), "", 0, 0);
        }
        LedgerOp.CallStatus status = status(r.u8("call status"));
        String message = r.text32("close message", MAX_MESSAGE_BYTES);
        long closedMillis = r.nonNegativeI64("closedMillis");
        long closedIndex = r.nonNegativeI64("closedIndex");
        return new LedgerCall(id, holder, token, origin, opened, attempts, Optional.of(status), message, closedMillis,
                closedIndex);
    }

    // ---- parts

    private static void writeToken(BoundedWriter w, FencingToken t) {
        w.i64(t.term()).i64(t.index());
    }

    private static FencingToken readToken(BoundedReader r) {
        return new FencingToken(r.i64("token term"), r.i64("token index"));
    }

    private static void writeTarget(BoundedWriter w, Target t) {
        w.text32(t.providerId()).text32(t.model());
    }

    private static Target readTarget(BoundedReader r) {
        String provider = r.text32("providerId", MAX_NAME_BYTES);
        String model = r.text32("model", MAX_NAME_BYTES);
        if (provider.isEmpty() || model.isEmpty()) {
            throw new CodecException("a target has a provider id and a model, got \"" + provider + "/" + model + "\"");
        }
        return new Target(provider, model);
    }

    private static void writeOptionalText(BoundedWriter w, Optional<String> v) {
        w.bool(v.isPresent());
        v.ifPresent(w::text32);
    }

    private static Optional<String> readOptionalText(BoundedReader r, String field) {
        return r.bool(field + " present") ? Optional.of(r.text32(field, MAX_NAME_BYTES)) : Optional.empty();
    }

    private static int origin(LedgerOp.Origin o) {
        return switch (o) {
            case ENDPOINT -> 0;
            case INTENT -> 1;
        };
    }

    private static LedgerOp.Origin origin(int code) {
        return switch (code) {
            case 0 -> LedgerOp.Origin.ENDPOINT;
            case 1 -> LedgerOp.Origin.INTENT;
            default -> throw new CodecException("unknown call origin " + code);
        };
    }

    private static int status(LedgerOp.CallStatus s) {
        return switch (s) {
            case ANSWERED -> 0;
            case FAILED -> 1;
            case IN_DOUBT -> 2;
        };
    }

    private static LedgerOp.CallStatus status(int code) {
        return switch (code) {
            case 0 -> LedgerOp.CallStatus.ANSWERED;
            case 1 -> LedgerOp.CallStatus.FAILED;
            case 2 -> LedgerOp.CallStatus.IN_DOUBT;
            default -> throw new CodecException("unknown call status " + code);
        };
    }

    private static int errorCode(Optional<ErrorClass> error) {
        if (error.isEmpty()) {
            return 0;
        }
        int i = ERROR_CODES.indexOf(error.get());
        if (i < 0) {
            throw new CodecException("error class " + error.get() + " has no code");
        }
        return i + 1;
    }

    private static Optional<ErrorClass> error(int code) {
        if (code == 0) {
            return Optional.empty();
        }
        if (code > ERROR_CODES.size()) {
            throw new CodecException("unknown error class " + code);
        }
        return Optional.of(ERROR_CODES.get(code - 1));
    }
}
