package io.agentmesh.node.consensus;

import io.microraft.model.RaftModelFactory;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.RaftMessage;

/**
 * Keeps a follower's commit index from going backwards in MicroRaft 0.7.
 *
 * <p>A follower given AppendEntries with {@code leaderCommit} above its commit index sets its commit index to
 * {@code min(leaderCommit, index of the request's last entry)}, as the Raft paper says, without checking that this is
 * not below the commit index it already has. A request whose last entry lies below that commit index (the leader
 * backed up its next index for this follower, or the request is an old one delivered late) then lowers it: with
 * assertions on, MicroRaft fails the request ("new commit index: 4 is smaller than current commit index: 5", seen in
 * seeded simulations); without them the follower forgets that entries were committed until the next request.
 *
 * <p>The follower never uses {@code leaderCommit} beyond the request's last entry, so lowering {@code leaderCommit} to
 * that index in the request changes nothing for a request that could raise the commit index, and makes MicroRaft skip
 * the update for one that would lower it. Node thread; a pure function of the message.
 */
final class CommitIndexClamp {
    private CommitIndexClamp() {
    }

    static RaftMessage clamp(RaftMessage message, RaftModelFactory factory) {
        if (!(message instanceof AppendEntriesRequest r)) {
            return message;
        }
        long lastEntryIndex = r.getPreviousLogIndex() + r.getLogEntries().size();
        if (r.getCommitIndex() <= lastEntryIndex) {
            return message;
        }
        return factory.createAppendEntriesRequestBuilder().setGroupId(r.getGroupId()).setSender(r.getSender())
                .setTerm(r.getTerm()).setPreviousLogTerm(r.getPreviousLogTerm())
                .setPreviousLogIndex(r.getPreviousLogIndex()).setCommitIndex(lastEntryIndex)
                .setLogEntries(r.getLogEntries()).setQuerySequenceNumber(r.getQuerySequenceNumber())
                .setFlowControlSequenceNumber(r.getFlowControlSequenceNumber()).build();
    }
}
