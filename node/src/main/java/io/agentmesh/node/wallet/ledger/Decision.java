package io.agentmesh.node.wallet.ledger;

/**
 * A decision on a spend before it was prepared: a human's approval or rejection, the leader's rejection of a spend
 * the policy no longer allows, or an expiry.
 *
 * @param by     who decided: the human's name as the API or CLI gave it, or the leader's node id
 * @param reason why (may be empty)
 */
public record Decision(String by, String reason, long atMillis) {
    public Decision {
        WalletChecks.text(by, "by", WalletOp.MAX_NAME_CHARS);
        WalletChecks.note(reason, "reason", WalletOp.MAX_REASON_CHARS);
        WalletChecks.nonNegative(atMillis, "atMillis");
    }
}
