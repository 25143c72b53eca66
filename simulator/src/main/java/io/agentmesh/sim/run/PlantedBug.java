package io.agentmesh.sim.run;

import java.util.Set;

/**
 * Deliberate bugs, planted in the simulator's wrappers (never in production code) on node n1 unless a bug says
 * otherwise, to prove that the checkers can fail. A run with a planted bug is expected to fail.
 */
public enum PlantedBug {
    /**
     * n1's store acknowledges an append at once and writes it to disk only every second (a write-back cache):
     * a crash loses acknowledged writes. Caught by acknowledged-writes.
     */
    ACK_BEFORE_FSYNC,
    /**
     * n1 never runs anti-entropy rounds (interval of a year), and pushes to n1 are refused at their senders (as when
     * an outbound buffer is full), so n1 misses every change made after it connected. Caught by convergence (and by
     * acknowledged-writes).
     */
    NO_ANTI_ENTROPY,
    /**
     * n1 loses its disk when it restarts but keeps its incarnation (instead of taking a new one), so it writes the
     * same (actor, seq) again with other bytes. Caught by no-seq-reuse.
     */
    AMNESIA_RESTART,
    /** The link out of n1 flips a bit in the signature of every change it carries. Caught by no-rejected-changes. */
    CORRUPT_SIGNATURES,
    /**
     * Every node's job executor performs each intent twice (a retry that forgets the first attempt succeeded, as when
     * a timeout fires just before the answer arrives). Planted on every node, since any of them may lead. Caught by
     * intents-at-most-once.
     */
    DOUBLE_PERFORM,
    /**
     * n1 performs each intent requested at it at once, without a claim (a node that "helps" while the leader is
     * slow, or while it is cut off in a minority). Caught by intents-at-most-once.
     */
    UNCLAIMED_PERFORM,
    /**
     * Every answer from a group member to "which Raft group are you in?" is lost, so a voter that did not found the
     * group never joins it.
     * Planted on every link (any member may answer). Run with fewer founders than voters ({@code --founders}). Caught
     * by voters-follow-enrollment.
     */
    GROUP_ANSWERS_LOST,
    /**
     * The witness's process runs with a voter certificate for its own key (the rest of the mesh still sees its witness
     * certificate), so it runs consensus as a full voter: it asks for votes when the leader is lost and may win.
     * Planted on the witness (the last node); run with {@code --witness} and crashes. Caught by witness-never-leads.
     */
    WITNESS_CAMPAIGNS,
    /**
     * n1 acknowledges its majority-durable writes once they are durable on n1 alone (as if it counted itself as the
     * majority, or took a peer's receipt of a push for its fsync). Run with consensus; caught by majority-durable.
     */
    MAJORITY_ACK_AFTER_LOCAL,
    /**
     * n1 reports each catch-up from a majority done at once, without asking anyone (as an agent supervisor that starts
     * the agent without waiting for the catch-up would). Caught by majority-durable when n1 lacks a write a majority
     * acknowledged before.
     */
    CATCH_UP_WITHOUT_WAITING,
    /**
     * Every node's gateway sends an LLM attempt as soon as it submits its {@code AttemptStart}, before the entry
     * commits (and even when the ledger refuses it). Run with the LLM workload; caught by
     * llm-attempt-recorded-before-sent.
     */
    LLM_SEND_BEFORE_START,
    /**
     * Every node's gateway records its attempts without the budgets, so nothing stops spending at a hard budget. Run
     * with the LLM workload and a budget the run reaches; caught by llm-hard-budgets.
     */
    LLM_BUDGETS_IGNORED,
    /**
     * Every node's provider layer returns the text of a cut stream as a complete answer. Run with the LLM workload
     * and providers that cut answers; caught by llm-answers-complete.
     */
    LLM_CUT_AS_ANSWER,
    /**
     * Every node's agent host stops only the wrapper, not its process group (SIGTERM to a pid instead of a group):
     * the wrapper exits and reports the agent gone, the agent runs on, orphaned, to the end of the run. Planted on
     * every node, since any of them may lead. Run with {@code --agent} and faults that move leadership; caught by
     * agent-overlap.
     */
    AGENT_STOP_ORPHANS;

    public String id() {
        return EnumIds.id(this);
    }

    public static Set<PlantedBug> parse(String text) {
        return EnumIds.parse(text, PlantedBug.class, null, "planted bug",
                "ack-before-fsync, no-anti-entropy, amnesia-restart, corrupt-signatures, double-perform,"
                        + " unclaimed-perform, group-answers-lost, witness-campaigns, majority-ack-after-local,"
                        + " catch-up-without-waiting, llm-send-before-start, llm-budgets-ignored, llm-cut-as-answer,"
                        + " agent-stop-orphans");
    }

    public static String format(Set<PlantedBug> bugs) {
        return EnumIds.format(bugs, PlantedBug.class);
    }
}
