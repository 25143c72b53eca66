package io.agentmesh.protocol.identity;

/**
 * What an enrolled node may do in consensus. The code is what the certificate encoding stores (never the ordinal,
 * so reordering constants cannot change the meaning of signed certificates).
 */
public enum Role {
    /** Votes in Raft elections and counts toward the commit majority (the first 3-7 nodes). */
    VOTER(1),
    /** Replicates the Raft log and the CRDT state without voting. */
    LEARNER(2),
    /**
     * Votes and acknowledges Raft appends like a voter, but keeps only the Raft log and configuration: no agent state,
     * no keys for side effects; it never stands for election, never leads and never performs. Two servers and a
     * witness survive the loss of either server (docs/consensus.md, "The witness").
     */
    WITNESS(3);

    private final int code;

    Role(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static Role fromCode(int code) {
        for (Role r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new IdentityException(IdentityException.Reason.MALFORMED,
                "node certificate has unknown role code " + code + " (known: 1 = VOTER, 2 = LEARNER, 3 = WITNESS)");
    }
}
