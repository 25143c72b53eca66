package io.agentmesh.sim.bugs;

import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.sim.world.MessageTap;

/**
 * Part of a PLANTED BUG (simulator only): every push to node {@code to} (a Changes message of one change by its
 * sender, the shape of Replicator.localDurable) is refused at the sender, as when its outbound buffer is full. The
 * node core expects its anti-entropy to repair such drops; with anti-entropy disabled on {@code to}, it never
 * learns those changes and the convergence checker must fail.
 */
public final class PushRefuser implements MessageTap {
    private final int to;

    public PushRefuser(int to) {
        this.to = to;
    }

    @Override
    public WireMessage onSend(int from, int receiver, WireMessage message) {
        if (receiver == to && message instanceof WireMessage.Changes c && c.changes().size() == 1 && !c.more()) {
            return null;
        }
        return message;
    }
}
