/**
 * The {@code exec} executor: intents that run a named command defined in this node's own configuration file, never
 * in the replicated state (any node can write the state, so a command taken from it would let one node run code on
 * every other).
 *
 * <ul>
 *   <li>{@link io.agentmesh.node.actions.exec.ExecCommands}: the node-local command table, read from a JSON file at
 *       start ({@code agentmesh node run --exec-config FILE}, default {@code <home>/exec.json} when present);</li>
 *   <li>{@link io.agentmesh.node.actions.exec.ExecExecutor}: the {@code ActionExecutor} for kind {@code exec}: a start
 *       mark through the journal, then one run; on reconcile, {@code uncertain} (at most once, the default) or a
 *       second run (commands declared {@code idempotent});</li>
 *   <li>{@link io.agentmesh.node.actions.exec.CommandRunner}: spawns the process in its own process group off the node
 *       thread, feeds the JSON arguments on stdin, captures bounded output, and kills the whole group at the
 *       timeout.</li>
 * </ul>
 */
package io.agentmesh.node.actions.exec;
