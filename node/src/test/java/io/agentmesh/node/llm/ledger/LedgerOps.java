package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;

import java.util.List;
import java.util.Optional;

/** Short ways to write ledger operations in tests, and a ledger that numbers its log entries itself. */
final class LedgerOps {
    static final Target GPT = new Target("openai", "gpt-4o");
    static final Target CLAUDE = new Target("anthropic", "claude-sonnet-4");
    /** 2026-12-03T12:00:00Z. */
    static final long NOON = 1_796_299_200_000L;
    static final long DAY_MS = 86_400_000L;

    private LedgerOps() {
    }

    static long usd(double v) {
        return Math.round(v * 1_000_000_000L);
    }

    static Budget hardDay(long limit) {
        return new Budget(Optional.empty(), Optional.empty(), Budget.Period.DAY, limit, Budget.Enforcement.HARD);
    }

    static Budget hardMonth(long limit) {
        return new Budget(Optional.empty(), Optional.empty(), Budget.Period.MONTH, limit, Budget.Enforcement.HARD);
    }

    static LedgerOp.Open open(String id, long term) {
        return new LedgerOp.Open(id, "node-a", term, LedgerOp.Origin.ENDPOINT, NOON);
    }

    static LedgerOp.AttemptStart start(String id, FencingToken token, int n, Target t, long worst, List<Budget> b,
                                       long atMillis) {
        return new LedgerOp.AttemptStart(id, token, n, t, worst, b, atMillis);
    }

    static LedgerOp.AttemptEnd answered(String id, FencingToken token, int n, Target t, long charged) {
        return new LedgerOp.AttemptEnd(id, token, n, t, Optional.empty(), 200, new Usage(100, 10, 5, 50, 0), true,
                charged, 900, 120, 0, "key-1", NOON + 1_000);
    }

    static LedgerOp.AttemptEnd failed(String id, FencingToken token, int n, Target t, ErrorClass error) {
        return new LedgerOp.AttemptEnd(id, token, n, t, Optional.of(error), 0, Usage.NONE, false, 0, 500, 0, 0,
                "key-1", NOON + 1_000);
    }

    static LedgerOp.Close close(String id, FencingToken token, LedgerOp.CallStatus s) {
        return new LedgerOp.Close(id, token, s, s == LedgerOp.CallStatus.FAILED ? "every attempt failed" : "",
                NOON + 2_000);
    }

    /** A ledger fed operations at increasing log indices, as Raft would. */
    static final class Log {
        final LlmLedger ledger = new LlmLedger();
        long index;

        LedgerResult apply(LedgerOp op) {
            return ledger.apply(++index, op);
        }

        FencingToken open(String id, long term) {
            return ((LedgerResult.Opened) apply(LedgerOps.open(id, term))).token();
        }
    }
}
