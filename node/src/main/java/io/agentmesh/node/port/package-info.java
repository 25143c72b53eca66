/**
 * The node core's plug points (DESIGN.md invariant 1): {@link io.agentmesh.node.port.Scheduler} (the node thread),
 * {@link io.agentmesh.node.port.Network} (peers) and {@link io.agentmesh.node.port.LocalIdentity} (who this node is).
 * Production implements them with a thread, Netty and key files; the simulator with virtual time and a modelled
 * network. Time itself is {@link io.agentmesh.protocol.time.Clock}, in {@code protocol} so the relay shares it.
 * {@link io.agentmesh.node.port.Failures} finds the failure behind the future wrappers work crossing these threads
 * picks up.
 */
package io.agentmesh.node.port;
