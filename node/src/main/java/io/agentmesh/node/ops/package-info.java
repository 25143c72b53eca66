/**
 * Operating a node on a server: the tailnet address (`--advertise tailscale`), service files (`agentmesh service`)
 * and the checks of `agentmesh doctor` (docs/operations.md). Runtime layer: it runs programs and reads the machine.
 */
package io.agentmesh.node.ops;
