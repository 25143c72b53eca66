package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.actions.FencingToken;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One call as the ledger holds it.
 *
 * @param holder      the node id of the leader that opened it
 * @param token       (term, index) of its Open: every later operation of its holder carries it
 * @param attempts    its attempts, numbered 1, 2, ... in order
 * @param status      how it ended; empty while it is open
 * @param message     why a failed call failed (empty otherwise)
 * @param closedIndex the log index of its Close or Settle (0 while open): the order in which closed calls are forgotten
 */
public record LedgerCall(String callId, String holder, FencingToken token, LedgerOp.Origin origin, long openedMillis,
                         List<LedgerAttempt> attempts, Optional<LedgerOp.CallStatus> status, String message,
                         long closedMillis, long closedIndex) {
    public LedgerCall {
        text(callId, "callId", LedgerOp.MAX_CALL_ID_CHARS);
        text(holder, "holder", LedgerOp.MAX_NODE_ID_CHARS);
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(origin, "origin");
        attempts = List.copyOf(attempts);
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(message, "message");
        if (message.length() > LedgerOp.MAX_MESSAGE_CHARS) {
            throw new IllegalArgumentException("a call's message has at most " + LedgerOp.MAX_MESSAGE_CHARS
                    + " characters");
        }
        if (attempts.size() > LedgerOp.MAX_ATTEMPTS) {
            throw new IllegalArgumentException("a call has at most " + LedgerOp.MAX_ATTEMPTS + " attempts");
        }
        for (int i = 0; i < attempts.size(); i++) {
            if (attempts.get(i).number() != i + 1) {
                throw new IllegalArgumentException("call " + callId + ": attempt " + (i + 1) + " is numbered "
                        + attempts.get(i).number());
            }
        }
        if (status.isEmpty() && (closedMillis != 0 || closedIndex != 0 || !message.isEmpty())) {
            throw new IllegalArgumentException("call " + callId + " is open and has a close");
        }
        if (status.isPresent() && closedIndex < 1) {
            throw new IllegalArgumentException("call " + callId + " is closed without a close index");
        }
        if (status.isPresent() && attempts.stream().anyMatch(a -> !a.ended())) {
            throw new IllegalArgumentException("call " + callId + " is closed with an attempt that has no end");
        }
        if (openedMillis < 0 || closedMillis < 0) {
            throw new IllegalArgumentException("call " + callId + ": times are never negative");
        }
    }

    private static void text(String value, String name, int maxChars) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty() || value.length() > maxChars) {
            throw new IllegalArgumentException(name + " has 1 to " + maxChars + " characters, got " + value.length());
        }
    }

    static LedgerCall opened(String callId, String holder, FencingToken token, LedgerOp.Origin origin,
                             long openedMillis) {
        return new LedgerCall(callId, holder, token, origin, openedMillis, List.of(), Optional.empty(), "", 0, 0);
    }

    public boolean isOpen() {
        return status.isEmpty();
    }

    /** The worst cases of its attempts that have no end yet: what it holds reserved. */
    public long reservedNanoUsd() {
        long sum = 0;
        for (LedgerAttempt a : attempts) {
            if (!a.ended()) {
                sum = LlmLedger.saturatedAdd(sum, a.worstCaseNanoUsd());
            }
        }
        return sum;
    }

    LedgerCall withAttempts(List<LedgerAttempt> newAttempts) {
        return new LedgerCall(callId, holder, token, origin, openedMillis, newAttempts, status, message, closedMillis,
                closedIndex);
    }

    LedgerCall closed(List<LedgerAttempt> endedAttempts, LedgerOp.CallStatus s, String why, long atMillis,
                      long index) {
        return new LedgerCall(callId, holder, token, origin, openedMillis, endedAttempts, Optional.of(s), why,
                atMillis, index);
    }
}
