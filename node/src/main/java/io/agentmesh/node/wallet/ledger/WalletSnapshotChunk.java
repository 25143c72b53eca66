package io.agentmesh.node.wallet.ledger;

import java.math.BigInteger;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One chunk of a {@link WalletLedger} snapshot: the header (in the first chunk only), some spends, remembered
 * idempotency keys, spent-per-day rows and velocity rows, each list in the ledger's sorted order and bounded. Chunks
 * are cut deterministically from the sorted state, because MicroRaft may fetch different chunks of one snapshot from
 * different members. Encoded, a chunk stays under a wire frame (16 MiB) with every field at its longest:
 * {@link WalletLedger#SPENDS_PER_CHUNK} spends of {@link WalletOp#MAX_VARIANTS} variants of
 * {@link WalletOp#MAX_RAW_BYTES} are about 9 MB (WalletCodecTest).
 */
public record WalletSnapshotChunk(Optional<Header> header, List<Spend> spends, List<KeyRow> keys, List<DayRow> days,
                                  List<ClaimRow> claims) {
    public WalletSnapshotChunk {
        Objects.requireNonNull(header, "header");
        spends = List.copyOf(spends);
        keys = List.copyOf(keys);
        days = List.copyOf(days);
        claims = List.copyOf(claims);
        if (spends.size() > WalletLedger.SPENDS_PER_CHUNK || keys.size() > WalletLedger.ROWS_PER_CHUNK
                || days.size() > WalletLedger.ROWS_PER_CHUNK || claims.size() > WalletLedger.ROWS_PER_CHUNK) {
            throw new IllegalArgumentException("a wallet snapshot chunk holds at most " + WalletLedger.SPENDS_PER_CHUNK
                    + " spends and " + WalletLedger.ROWS_PER_CHUNK + " rows of each kind; got " + spends.size() + ", "
                    + keys.size() + ", " + days.size() + ", " + claims.size());
        }
    }

    /**
     * The ledger's scalar state.
     *
     * @param chainId    0 before the first {@link WalletOp.SyncChain}
     * @param firstNonce the chain's nonce at the first sync: the first nonce the ledger allocated
     */
    public record Header(long chainId, Optional<String> address, long firstNonce, long nextNonce,
                         Optional<WalletPolicy> policy, Optional<Decision> freeze, long term) {
        public Header {
            WalletChecks.nonNegative(chainId, "chainId");
            Objects.requireNonNull(address, "address");
            address = address.map(a -> WalletChecks.address(a, "address"));
            if ((chainId == 0) != address.isEmpty()) {
                throw new IllegalArgumentException("a chain id and an address together, or neither");
            }
            WalletChecks.nonNegative(firstNonce, "firstNonce");
            WalletChecks.nonNegative(nextNonce, "nextNonce");
            if (nextNonce < firstNonce) {
                throw new IllegalArgumentException("nextNonce " + nextNonce + " is below firstNonce " + firstNonce);
            }
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(freeze, "freeze");
            WalletChecks.nonNegative(term, "term");
        }
    }

    /** An idempotency key the ledger remembers, and the spend it was claimed by. */
    public record KeyRow(String key, long spendId) {
        public KeyRow {
            WalletChecks.text(key, "key", WalletOp.MAX_IDEMPOTENCY_KEY_CHARS);
            if (spendId < 1) {
                throw new IllegalArgumentException("spendId is >= 1, got " + spendId);
            }
        }
    }

    /** What the spends claimed on one UTC day (days since 1970-01-01) have cost, settled. */
    public record DayRow(long day, BigInteger spentWei) {
        public DayRow {
            WalletChecks.wei(spentWei, "spentWei");
        }
    }

    /** How many counted claims were made at one time (the velocity window's memory). */
    public record ClaimRow(long atMillis, int count) {
        public ClaimRow {
            WalletChecks.nonNegative(atMillis, "atMillis");
            if (count < 1) {
                throw new IllegalArgumentException("count is >= 1, got " + count);
            }
        }
    }
}
