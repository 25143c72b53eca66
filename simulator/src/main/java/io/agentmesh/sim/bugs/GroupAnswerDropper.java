package io.agentmesh.sim.bugs;

import io.agentmesh.node.consensus.GroupMessage;
import io.agentmesh.node.consensus.RaftCodec;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.sim.world.MessageTap;

/**
 * Part of a PLANTED BUG (simulator only): every answer from a node that is in a Raft group to "which group are you
 * in?" is lost on the way, as when members ignore nodes that are not in their group yet. Founders still find each
 * other (their "no group yet" answers pass), but a voter that did not found the group never learns its initial
 * members, never starts consensus and is never added: the voters stop following enrollment.
 */
public final class GroupAnswerDropper implements MessageTap {
    private final RaftCodec codec = new RaftCodec();

    @Override
    public WireMessage onSend(int from, int receiver, WireMessage message) {
        if (message instanceof WireMessage.Consensus c
                && codec.decodePayload(c.payload()) instanceof GroupMessage.Info info && info.inGroup()) {
            return null;
        }
        return message;
    }
}
