/**
 * Side effects performed once, by the leader, fenced, with honest outcomes (DESIGN.md invariants 6, 9 and 10).
 *
 * <ul>
 *   <li>{@link io.agentmesh.node.actions.ActionJournal} is the replicated state machine Raft runs: claim, prepare,
 *       complete per intent, with the fencing token (term, claim index);</li>
 *   <li>{@link io.agentmesh.node.actions.ActionCoordinator} is the leader's loop that claims pending intents,
 *       performs them through an {@link io.agentmesh.node.actions.ActionExecutor} and records their outcomes;</li>
 *   <li>executors, one per intent kind: {@link io.agentmesh.node.actions.JobExecutor}, and {@code exec} (named
 *       commands from the node-local config) in the {@code actions.exec} package.</li>
 * </ul>
 *
 * <p>Outcomes are {@code succeeded}, {@code failed} or {@code uncertain}. When a leader loses leadership while an
 * action runs, the rule is (details in {@link io.agentmesh.node.actions.ActionCoordinator}):
 * <ol>
 *   <li>before its start mark (a committed prepare) the action is cancelled, nothing done, no outcome; if the mark
 *       turns out to have committed anyway, the holder reports {@code failed} ("not performed");</li>
 *   <li>after it, the action finishes and its holder records the real result: through the journal if it leads
 *       again, else into the CRDT under its own fencing token, which the leader then commits to the journal if that
 *       claim is still the current one;</li>
 *   <li>a new leader does not take over a started claim whose holder is reachable until that holder reports or
 *       {@code holderWaitMs} passes; a dead or unreachable holder's claim is taken over at once, and the executor
 *       reconciles (a job then reports {@code uncertain}, never runs twice);</li>
 *   <li>the fencing token decides which result counts: the journal refuses a Complete under a replaced claim, and a
 *       deposed holder's report never replaces an outcome of a newer claim.</li>
 * </ol>
 *
 * <p>Nothing here knows Raft: the journal is driven by whoever commits its operations, which keeps this package
 * below {@code node.consensus}.
 */
package io.agentmesh.node.actions;
