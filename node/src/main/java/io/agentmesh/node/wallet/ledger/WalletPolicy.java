package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What the wallet may spend, enforced by the replicated {@code WalletLedger} at every claim and again when a spend is
 * prepared (docs/wallet.md, "The policy"). It comes from the operators' node-local configuration and enters the
 * ledger through {@link WalletOp.SetPolicy}, proposed by a leader whose configuration differs from the committed
 * policy; the agent has no way to change it (no API, tool or intent writes it), which is the point of a policy for an
 * autonomous agent.
 *
 * @param perTxCapWei         the largest value one spend may transfer (fees are not part of it; they count in the
 *                            daily budget)
 * @param dailyBudgetWei      per UTC day (of each spend's claim): spent (value and fees actually paid) plus reserved
 *                            (the worst case of every spend not yet settled) may never pass it
 * @param allowedRecipients   addresses a spend may go to, lower case, sorted; empty means any address
 * @param maxSpendsPerWindow  velocity: at most this many claims within any {@code velocityWindowMs}
 *                            (refused and never-prepared ones excepted); 0 refuses every spend
 * @param velocityWindowMs    the velocity window, 1 ms to {@link #MAX_VELOCITY_WINDOW_MS}
 * @param approvalAboveWei    a spend whose value is above this waits for a human's approval; empty: never
 * @param approvalTimeoutMs   how long a spend waits for approval before the leader may expire it (at zero cost)
 * @param killSwitch          the operators' off switch: while set, nothing new is claimed or prepared (spends
 *                            already prepared are still observed and completed, and may be cancelled, since a nonce
 *                            is never abandoned)
 */
public record WalletPolicy(BigInteger perTxCapWei, BigInteger dailyBudgetWei, List<String> allowedRecipients,
                           int maxSpendsPerWindow, long velocityWindowMs, Optional<BigInteger> approvalAboveWei,
                           long approvalTimeoutMs, boolean killSwitch) {
    public static final int MAX_ALLOWED_RECIPIENTS = 1024;
    /** The ledger keeps claim times this far back, so no window can be longer. */
    public static final long MAX_VELOCITY_WINDOW_MS = 7L * 24 * 60 * 60 * 1000;
    public static final int MAX_SPENDS_PER_WINDOW = 10_000;
    public static final long MAX_APPROVAL_TIMEOUT_MS = 30L * 24 * 60 * 60 * 1000;

    public WalletPolicy {
        WalletChecks.wei(perTxCapWei, "perTxCapWei");
        WalletChecks.wei(dailyBudgetWei, "dailyBudgetWei");
        Objects.requireNonNull(allowedRecipients, "allowedRecipients");
        if (allowedRecipients.size() > MAX_ALLOWED_RECIPIENTS) {
            throw new IllegalArgumentException("at most " + MAX_ALLOWED_RECIPIENTS + " allowed recipients, got "
                    + allowedRecipients.size());
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (String a : allowedRecipients) {
            sorted.add(WalletChecks.address(a, "allowed recipient"));
        }
        allowedRecipients = List.copyOf(sorted);
        if (maxSpendsPerWindow < 0 || maxSpendsPerWindow > MAX_SPENDS_PER_WINDOW) {
            throw new IllegalArgumentException("maxSpendsPerWindow is 0 to " + MAX_SPENDS_PER_WINDOW + ", got "
                    + maxSpendsPerWindow);
        }
        if (velocityWindowMs < 1 || velocityWindowMs > MAX_VELOCITY_WINDOW_MS) {
            throw new IllegalArgumentException("velocityWindowMs is 1 to " + MAX_VELOCITY_WINDOW_MS + ", got "
                    + velocityWindowMs);
        }
        Objects.requireNonNull(approvalAboveWei, "approvalAboveWei");
        approvalAboveWei.ifPresent(w -> WalletChecks.wei(w, "approvalAboveWei"));
        if (approvalTimeoutMs < 1 || approvalTimeoutMs > MAX_APPROVAL_TIMEOUT_MS) {
            throw new IllegalArgumentException("approvalTimeoutMs is 1 to " + MAX_APPROVAL_TIMEOUT_MS + ", got "
                    + approvalTimeoutMs);
        }
    }

    /** Whether {@code to} (an address, any case) may receive a spend. */
    public boolean allows(String to) {
        return allowedRecipients.isEmpty() || allowedRecipients.contains(WalletChecks.address(to, "to"));
    }

    /** Whether a spend of {@code valueWei} waits for a human's approval. */
    public boolean needsApproval(BigInteger valueWei) {
        return approvalAboveWei.isPresent() && valueWei.compareTo(approvalAboveWei.get()) > 0;
    }
}
