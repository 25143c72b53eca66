package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;

/**
 * How a spend that reached the chain settled its reservation.
 *
 * @param feeWei      gasUsed x effectiveGasPrice, what the transaction paid
 * @param chargedWei  what counts against the daily budget: the fee, plus the value when a transfer succeeded
 * @param releasedWei the rest of the reservation, returned to the budget
 */
public record Settlement(String hash, long gasUsed, BigInteger effectiveGasPriceWei, BigInteger feeWei,
                         BigInteger chargedWei, BigInteger releasedWei) {
    public Settlement {
        hash = WalletChecks.hash(hash, "hash");
        WalletChecks.nonNegative(gasUsed, "gasUsed");
        WalletChecks.wei(effectiveGasPriceWei, "effectiveGasPriceWei");
        WalletChecks.wei(feeWei, "feeWei");
        WalletChecks.wei(chargedWei, "chargedWei");
        WalletChecks.wei(releasedWei, "releasedWei");
    }
}
