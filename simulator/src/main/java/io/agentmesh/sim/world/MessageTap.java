package io.agentmesh.sim.world;

import io.agentmesh.protocol.wire.WireMessage;

/**
 * Sees every message a simulated node sends, before the network model decides its fate. Observers return the
 * message unchanged; a planted bug may return another one (e.g. with a corrupted signature), or null to refuse it:
 * then {@code send} returns false, as when the transport's outbound buffer is full.
 */
@FunctionalInterface
public interface MessageTap {
    WireMessage onSend(int from, int to, WireMessage message);
}
