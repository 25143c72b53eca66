package io.agentmesh.node.wallet.ledger;

import java.util.List;
import java.util.Optional;

/**
 * What the wallet ledger shows to its readers (the leader's spend driver, the API, the CLI): the same committed state
 * on every member. Read on the node thread, like the ledger it views.
 */
public interface WalletView {
    /** The binding, the nonce counter, the freeze, the policy and the budget of the UTC day of {@code atMillis}. */
    WalletStatus status(long atMillis);

    /** The spend with {@code id}, if the ledger still holds it (every open spend, the newest ended ones). */
    Optional<Spend> spend(long id);

    /** The spend claimed with {@code idempotencyKey}, if the ledger still remembers the key. */
    Optional<Spend> spendByKey(String idempotencyKey);

    /**
     * Every spend that has not ended: first those with a nonce (prepared or included) in nonce order, which is the
     * order a new leader reconciles them in, then those without one in claim order.
     */
    List<Spend> openSpends();

    /** Up to {@code limit} ended spends, the newest first. */
    List<Spend> endedSpends(int limit);
}
