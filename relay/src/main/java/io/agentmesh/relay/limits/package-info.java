/**
 * The pacing primitives every input limit uses (docs/security.md, "Limits"): {@link
 * io.agentmesh.relay.limits.TokenBucket} and {@link io.agentmesh.relay.limits.Episode}, pure, on a caller's monotonic
 * time. Here because relay is the lowest module that limits inputs (the relay's per-source limits); the node's
 * per-peer and per-client limits use them too.
 */
package io.agentmesh.relay.limits;
