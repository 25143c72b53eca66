/**
 * Raft on the mesh (DESIGN.md "Consensus and actions", invariants 2, 3 and 6): the MicroRaft adapters.
 *
 * <p>MicroRaft 0.7 runs on the node's own thread and the mesh's own connections:
 * <ul>
 *   <li>{@link io.agentmesh.node.consensus.RaftCodec} turns every MicroRaft message, log entry and journal operation
 *       into bytes and back, strictly;</li>
 *   <li>{@link io.agentmesh.node.consensus.MeshTransport} sends those bytes as {@code WireMessage.Consensus};</li>
 *   <li>{@link io.agentmesh.node.consensus.RaftExecutor} and {@link io.agentmesh.node.consensus.DilatedClock} put
 *       MicroRaft on the node's {@code Scheduler} and {@code Clock}, with time dilation so its whole-second heartbeat
 *       settings become 100 ms ones;</li>
 *   <li>{@link io.agentmesh.node.consensus.RaftLogStore} keeps term, vote and log durable (SQLite in production,
 *       an in-memory store with crash semantics in the simulator);</li>
 *   <li>{@link io.agentmesh.node.consensus.ConsensusNode} wires them to the replicated state machine, the action
 *       journal of {@code node.actions}, and to the schedules of {@code node.schedules}; it is what the node core
 *       talks to.</li>
 * </ul>
 *
 * <p>Everything here runs on the node thread, reads time only through the injected clocks and draws randomness only
 * from the injected, seeded {@link java.util.Random}, so the simulator drives it deterministically.
 */
package io.agentmesh.node.consensus;
