/**
 * Side effects performed once, by the leader, fenced (DESIGN.md invariants 6, 9 and 10).
 *
 * <ul>
 *   <li>{@link io.agentmesh.node.actions.ActionJournal} is the replicated state machine Raft runs: claim, prepare,
 *       complete per intent, with the fencing token (term, claim index);</li>
 *   <li>{@link io.agentmesh.node.actions.ActionCoordinator} is the leader's loop that claims pending intents,
 *       performs them through an {@link io.agentmesh.node.actions.ActionExecutor} and records their outcomes;</li>
 *   <li>executors, one per intent kind: {@link io.agentmesh.node.actions.JobExecutor} today.</li>
 * </ul>
 *
 * <p>Nothing here knows Raft: the journal is driven by whoever commits its operations, which keeps this package
 * below {@code node.consensus}.
 */
package io.agentmesh.node.actions;
