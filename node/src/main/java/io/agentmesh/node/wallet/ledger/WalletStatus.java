package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The wallet ledger at a glance.
 *
 * @param chainId            the chain the ledger is bound to (empty before the first {@link WalletOp.SyncChain})
 * @param address            the wallet's address, lower case (empty before it)
 * @param nextNonce          the nonce the next prepared spend gets
 * @param frozenReason       why the wallet is frozen; empty when it is not
 * @param policy             the committed policy (empty before the first {@link WalletOp.SetPolicy})
 * @param day                the UTC day these figures are for, as days since 1970-01-01
 * @param spentWei           what spends claimed that day have cost (value and fees settled)
 * @param reservedWei        the worst cases of that day's spends not yet settled
 * @param budgetLeftWei      the daily budget minus both, never below 0 (0 without a policy)
 * @param awaitingApproval   how many spends wait for a human
 * @param openSpends         how many spends have not ended
 * @param term               the newest term the ledger applied an operation of
 */
public record WalletStatus(OptionalLong chainId, Optional<String> address, long nextNonce,
                           Optional<String> frozenReason, Optional<WalletPolicy> policy, long day, BigInteger spentWei,
                           BigInteger reservedWei, BigInteger budgetLeftWei, int awaitingApproval, int openSpends,
                           long term) {
    public WalletStatus {
        Objects.requireNonNull(chainId, "chainId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(frozenReason, "frozenReason");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(spentWei, "spentWei");
        Objects.requireNonNull(reservedWei, "reservedWei");
        Objects.requireNonNull(budgetLeftWei, "budgetLeftWei");
    }

    public boolean frozen() {
        return frozenReason.isPresent();
    }
}
