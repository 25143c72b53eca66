package io.agentmesh.sim.bugs;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.sim.world.MessageTap;

import java.util.ArrayList;
import java.util.List;

/**
 * PLANTED BUG (simulator only): the link out of node {@code from} flips one bit of the signature of every change it
 * carries, as a faulty middlebox or a memory error would. Receivers must reject those changes; the
 * no-rejected-changes checker must then fail.
 */
public final class SignatureCorrupter implements MessageTap {
    private final int from;

    public SignatureCorrupter(int from) {
        this.from = from;
    }

    @Override
    public WireMessage onSend(int sender, int receiver, WireMessage message) {
        if (sender != from || !(message instanceof WireMessage.Changes changes)) {
            return message;
        }
        List<SignedChange> corrupted = new ArrayList<>(changes.changes().size());
        for (SignedChange c : changes.changes()) {
            byte[] sig = c.signature();
            sig[0] ^= 0x01;
            corrupted.add(new SignedChange(c.signerKey(), c.incarnation(), c.actor(), c.seq(), c.bytes(), sig));
        }
        return new WireMessage.Changes(corrupted, changes.more());
    }
}
