/**
 * Input limits (docs/security.md, "Limits"), on {@code relay.limits}' token bucket and episode: the settings
 * ({@link io.agentmesh.node.limits.PeerLimits} per authenticated peer, {@link io.agentmesh.node.limits.ClientLimits}
 * per HTTP client address) and {@link io.agentmesh.node.limits.Limits}, which carries both and counts what they
 * slowed and disconnected. Enforced by {@code net.PeerRateLimiter} and {@code api.ClientRateLimiter}.
 */
package io.agentmesh.node.limits;
