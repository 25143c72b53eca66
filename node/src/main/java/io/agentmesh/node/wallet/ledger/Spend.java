package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One spend as the wallet ledger holds it, the same on every member. What the leader's driver reads to act (which
 * bytes to broadcast, which hashes to look up), and what the API and the outcome in the CRDT report: the idempotency
 * key, the nonce, every variant's hash, the mined hash and block.
 *
 * @param id                the log index of its {@link WalletOp.Claim}: unique, increasing with claim order
 * @param idempotencyKey    the caller's key; one key never yields two spends
 * @param to                the recipient, lower case
 * @param data              call data, {@code 0x} hex ({@code 0x} for a plain transfer)
 * @param gasLimit          the most gas any variant may use
 * @param maxFeePerGasWei   the most any transfer variant may bid per gas (the claim's cap)
 * @param origin            where the request came from ({@code api}, {@code intent:<id>}, ...), for people
 * @param claimedBy         the node id of the leader that claimed it
 * @param claimTerm         that leader's term
 * @param nonce             its nonce, from the moment its first variant is prepared
 * @param variants          its signed variants in the order they were committed; all at {@code nonce}
 * @param inclusion         the variant seen in a block, while {@link SpendState#INCLUDED} and after it settled
 * @param settlement        how its reservation settled, once it reached the chain's end
 * @param decision          the approval, rejection or expiry, if there was one
 * @param reservedWei       the worst case held against the daily budget: its value plus gasLimit x maxFeePerGas;
 *                          0 once it is terminal
 * @param requestedAtMillis the proposer's clock at the claim: the day and the velocity window it counts in
 * @param updatedAtMillis   the proposer's clock at its latest change
 * @param endedIndex        the log index at which it became terminal (0 before): the order completed spends are
 *                          forgotten in
 */
public record Spend(long id, String idempotencyKey, String to, BigInteger valueWei, String data, long gasLimit,
                    BigInteger maxFeePerGasWei, String origin, String claimedBy, long claimTerm, SpendState state,
                    OptionalLong nonce, List<Variant> variants, Optional<Inclusion> inclusion,
                    Optional<Settlement> settlement, Optional<Decision> decision, BigInteger reservedWei,
                    long requestedAtMillis, long updatedAtMillis, long endedIndex) {
    public Spend {
        if (id < 1) {
            throw new IllegalArgumentException("a spend's id is the log index of its claim, >= 1, got " + id);
        }
        WalletChecks.text(idempotencyKey, "idempotencyKey", WalletOp.MAX_IDEMPOTENCY_KEY_CHARS);
        to = WalletChecks.address(to, "to");
        WalletChecks.wei(valueWei, "valueWei");
        data = WalletChecks.bytes(data, "data", WalletOp.MAX_DATA_BYTES);
        WalletOp.checkGasLimit(gasLimit);
        WalletChecks.wei(maxFeePerGasWei, "maxFeePerGasWei");
        WalletChecks.note(origin, "origin", WalletOp.MAX_NAME_CHARS);
        WalletChecks.text(claimedBy, "claimedBy", WalletOp.MAX_NODE_ID_CHARS);
        WalletChecks.nonNegative(claimTerm, "claimTerm");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(nonce, "nonce");
        variants = List.copyOf(variants);
        Objects.requireNonNull(inclusion, "inclusion");
        Objects.requireNonNull(settlement, "settlement");
        Objects.requireNonNull(decision, "decision");
        WalletChecks.wei(reservedWei, "reservedWei");
        WalletChecks.nonNegative(requestedAtMillis, "requestedAtMillis");
        WalletChecks.nonNegative(updatedAtMillis, "updatedAtMillis");
        WalletChecks.nonNegative(endedIndex, "endedIndex");

        String where = "spend " + id + " (" + state + ")";
        if (state.hasNonce() != nonce.isPresent() || state.hasNonce() == variants.isEmpty()) {
            throw new IllegalArgumentException(where + ": a nonce and variants exactly when it was prepared");
        }
        if (nonce.isPresent() && nonce.getAsLong() < 0) {
            throw new IllegalArgumentException(where + ": a nonce is never negative");
        }
        if (variants.size() > WalletOp.MAX_VARIANTS) {
            throw new IllegalArgumentException(where + ": at most " + WalletOp.MAX_VARIANTS + " variants");
        }
        if (!variants.isEmpty() && variants.getFirst().kind() != VariantKind.TRANSFER) {
            throw new IllegalArgumentException(where + ": the first variant is the transfer itself");
        }
        boolean included = state == SpendState.INCLUDED || state == SpendState.COMPLETED
                || state == SpendState.FAILED_REVERTED || state == SpendState.CANCELLED;
        if (included != inclusion.isPresent()) {
            throw new IllegalArgumentException(where + ": an inclusion exactly when a variant is in a block");
        }
        String includedHash = inclusion.map(Inclusion::hash).orElse(null);
        if (includedHash != null && variants.stream().noneMatch(v -> v.hash().equals(includedHash))) {
            throw new IllegalArgumentException(where + ": included hash " + inclusion.get().hash()
                    + " is none of its variants");
        }
        boolean settled = state.terminal() && state.hasNonce();
        if (settled != settlement.isPresent()) {
            throw new IllegalArgumentException(where + ": a settlement exactly when it ended on the chain");
        }
        if ((state == SpendState.REJECTED || state == SpendState.EXPIRED || state == SpendState.APPROVED)
                && decision.isEmpty()) {
            throw new IllegalArgumentException(where + ": needs the decision that put it there");
        }
        if (state.terminal() != (endedIndex > 0)) {
            throw new IllegalArgumentException(where + ": an end index exactly when it is terminal");
        }
        if (state.terminal() && reservedWei.signum() != 0) {
            throw new IllegalArgumentException(where + ": a terminal spend reserves nothing");
        }
    }

    /** The variant with {@code hash} (any case), if the spend has one. */
    public Optional<Variant> variant(String hash) {
        String h = hash.toLowerCase(java.util.Locale.ROOT);
        return variants.stream().filter(v -> v.hash().equals(h)).findFirst();
    }

    /** The newest variant: what the leader broadcasts and bumps from. Empty before the spend is prepared. */
    public Optional<Variant> latestVariant() {
        return variants.isEmpty() ? Optional.empty() : Optional.of(variants.getLast());
    }

    /** Value plus gasLimit x maxFeePerGas: what a claim reserves. */
    public static BigInteger worstCaseWei(BigInteger valueWei, long gasLimit, BigInteger maxFeePerGasWei) {
        return valueWei.add(BigInteger.valueOf(gasLimit).multiply(maxFeePerGasWei));
    }
}
