package io.agentmesh.node.replication;

/** Counters of one node's replication, for status and metrics. Node thread writes; readers see a recent value. */
public final class ReplicationStats {
    volatile long changesSent;
    volatile long bytesSent;
    volatile long changesApplied;
    volatile long duplicates;
    /** Pulls that got no answer within the stall bound and were asked again. */
    volatile long pullStalls;
    volatile long rejected;
    volatile long unknownSigner;
    volatile long refusedRevoked;
    volatile long durableAnswers;
    volatile long readFailures;
    volatile long cursorSavesRefused;

    /** Pulls this node could not answer because reading its store failed (the puller asks again). */
    public long readFailures() {
        return readFailures;
    }

    /** Cursor saves the store refused as overloaded (nothing lost: saved again at the next interval). */
    public long cursorSavesRefused() {
        return cursorSavesRefused;
    }

    /** {@code Durable} answers sent to peers' {@code DurableQuery} (majority-durable writes, catch-ups). */
    public long durableAnswers() {
        return durableAnswers;
    }

    void answeredDurableQuery() {
        durableAnswers++;
    }

    /** Changes refused because their node was removed and they are past its revocation's cut (also in rejected). */
    public long refusedRevoked() {
        return refusedRevoked;
    }

    /** Changes set aside because their signer's certificate is not known here (yet). */
    public long unknownSigner() {
        return unknownSigner;
    }

    public long changesSent() {
        return changesSent;
    }

    public long bytesSent() {
        return bytesSent;
    }

    public long changesApplied() {
        return changesApplied;
    }

    public long duplicates() {
        return duplicates;
    }

    public long pullStalls() {
        return pullStalls;
    }

    public long rejected() {
        return rejected;
    }
}
