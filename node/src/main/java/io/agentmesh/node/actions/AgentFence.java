package io.agentmesh.node.actions;

import java.util.Objects;

/**
 * The fence of one agent run: the node that started the agent's process, the committed (term, index) of its
 * {@link JournalOp.AgentRun} entry, and how long that node lets the process exit after SIGTERM. The newest fence in
 * the journal is the only run whose side-effecting calls are accepted; a call carrying an older token is refused.
 *
 * <p>The token's text form, which the process gets as {@code AGENTMESH_FENCE} and sends back in the
 * {@code Agentmesh-Fence} header, is {@code <term>.<index>} in decimal.
 */
public record AgentFence(String nodeId, FencingToken token, long stopGraceMs) {
    /** Longest token text: two 19-digit longs and the dot. */
    public static final int MAX_TOKEN_CHARS = 39;

    public AgentFence {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(token, "token");
        if (nodeId.isEmpty() || nodeId.length() > JournalOp.MAX_NODE_ID_CHARS) {
            throw new IllegalArgumentException("nodeId has 1 to " + JournalOp.MAX_NODE_ID_CHARS + " characters");
        }
        if (stopGraceMs < 0 || stopGraceMs > JournalOp.AgentRun.MAX_STOP_GRACE_MS) {
            throw new IllegalArgumentException("stopGraceMs must be 0.." + JournalOp.AgentRun.MAX_STOP_GRACE_MS
                    + ", got " + stopGraceMs);
        }
    }

    /** The token as the agent's process sees it. */
    public String tokenText() {
        return text(token);
    }

    public static String text(FencingToken token) {
        return token.term() + "." + token.index();
    }

    /**
     * Reads a token's text form strictly: {@code <term>.<index>}, decimal digits only, no sign, no spaces.
     *
     * @throws IllegalArgumentException saying what is wrong and what a token looks like
     */
    public static FencingToken parseToken(String text) {
        String hint = "; a fence is written <term>.<index>, e.g. 7.1042, as the agent got it in AGENTMESH_FENCE";
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("the fence is empty" + hint);
        }
        if (text.length() > MAX_TOKEN_CHARS) {
            throw new IllegalArgumentException("the fence has " + text.length() + " characters, at most "
                    + MAX_TOKEN_CHARS + hint);
        }
        int dot = text.indexOf('.');
        if (dot <= 0 || dot == text.length() - 1 || text.indexOf('.', dot + 1) >= 0) {
            throw new IllegalArgumentException("the fence '" + text + "' is not two numbers joined by a dot" + hint);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (i != dot && (c < '0' || c > '9')) {
                throw new IllegalArgumentException("the fence '" + text + "' has a character other than digits"
                        + hint);
            }
        }
        long term;
        long index;
        try {
            term = Long.parseLong(text.substring(0, dot));
            index = Long.parseLong(text.substring(dot + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the fence '" + text + "' has a number too large" + hint);
        }
        if (index < 1) {
            throw new IllegalArgumentException("the fence '" + text + "' has index 0; log indices start at 1" + hint);
        }
        return new FencingToken(term, index);
    }
}
