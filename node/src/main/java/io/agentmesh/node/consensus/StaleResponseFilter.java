package io.agentmesh.node.consensus;

import io.microraft.RaftNode;
import io.microraft.RaftRole;
import io.microraft.impl.RaftNodeImpl;
import io.microraft.model.message.AppendEntriesFailureResponse;
import io.microraft.model.message.AppendEntriesSuccessResponse;
import io.microraft.model.message.InstallSnapshotResponse;
import io.microraft.model.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Keeps a leader from acting on a follower's answer to a request it sent in an earlier term, which Raft requires and
 * MicroRaft 0.7 does not do: its AppendEntries and InstallSnapshot response handlers ignore a higher term but not a
 * lower one.
 *
 * <p>Such answers do arrive: a connection that a partition stalls keeps its data and delivers it when the path
 * heals (TCP retransmits, and so does the simulated network), by which time the leader may have lost leadership and
 * won it again in a later term. MicroRaft then takes a success from term 56 as a match in term 65. That is unsafe
 * (the leader's log at that index may have changed since, so the follower counts toward committing an entry it does
 * not hold), and it wedges replication: the next refusal from that follower cannot move nextIndex below the false
 * matchIndex, MicroRaft logs "Cannot decrement next index: N below match index: N" and never sends it what it lacks.
 *
 * <p>The check reads the term of the node at the moment the message is handed over; MicroRaft runs it later, but a
 * node cannot become leader of a later term in between (that needs vote responses queued behind this one), and a
 * non-leader ignores these responses anyway. Dropping is safe: the follower answers the leader's next request.
 */
final class StaleResponseFilter {
    private static final Logger log = LoggerFactory.getLogger(StaleResponseFilter.class);

    private final Supplier<RaftNode> raftNode;
    private long dropped;

    /** @param raftNode the MicroRaft node once started (null before) */
    StaleResponseFilter(Supplier<RaftNode> raftNode) {
        this.raftNode = raftNode;
    }

    /** Whether {@code message} is a follower's response from an older term reaching this node as leader. */
    boolean isStale(RaftMessage message) {
        if (!(message instanceof AppendEntriesSuccessResponse || message instanceof AppendEntriesFailureResponse
                || message instanceof InstallSnapshotResponse)) {
            return false;
        }
        if (!(raftNode.get() instanceof RaftNodeImpl node) || node.state().role() != RaftRole.LEADER) {
            return false;
        }
        int term = node.state().term();
        if (message.getTerm() >= term) {
            return false;
        }
        dropped++;
        log.debug("consensus: dropped a {} of term {} from {}: this node leads term {}",
                message.getClass().getSimpleName(), message.getTerm(), message.getSender().getId(), term);
        return true;
    }

    /** Stale responses dropped so far. */
    long dropped() {
        return dropped;
    }
}
