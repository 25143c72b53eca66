package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.wallet.chain.ChainClient;
import io.agentmesh.node.wallet.chain.ChainClient.BlockTag;
import io.agentmesh.node.wallet.chain.ChainException;
import io.agentmesh.node.wallet.chain.Eip1559Tx;
import io.agentmesh.node.wallet.chain.EthAddress;
import io.agentmesh.node.wallet.chain.SignedTx;
import io.agentmesh.node.wallet.chain.Signer;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.SpendState;
import io.agentmesh.node.wallet.ledger.Variant;
import io.agentmesh.node.wallet.ledger.VariantKind;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletStatus;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The leader's spend driver (docs/wallet.md, "The driver"): on its own thread, never the node thread, it moves every
 * open spend of the wallet ledger along the protocol, with the chain calls and the signing it needs, and every
 * decision committed through the ledger before it acts on it.
 *
 * <p>Each round, as leader of term T:
 * <ol>
 *   <li>once per term: wait for the term's barrier (the ledger holds everything committed before), check the
 *       endpoint's chain id, bind or check the ledger's chain and address ({@link WalletOp.SyncChain}), commit this
 *       node's policy when it differs ({@link WalletOp.SetPolicy}). A chain id or address mismatch freezes.</li>
 *   <li>every spend with a nonce, in nonce order: look up a receipt for every variant hash; a receipt commits
 *       {@link WalletOp.Included} and, at the configured depth (or {@code finalized}), {@link WalletOp.Complete}; a
 *       receipt gone commits {@link WalletOp.Reorged}; no receipt rebroadcasts the newest committed bytes, and after
 *       {@code bumpAfterMs} commits a fee-bumped variant (both fees +10% at least, within the claim's cap) and
 *       broadcasts it. The chain's nonce past the spend's with no receipt of ours (checked in that order, after
 *       error-free reads) is foreign use of the key: freeze.</li>
 *   <li>only after one full error-free pass over those in this term (reconciliation), and only with the key: prepare
 *       preparable spends in claim order, at the ledger's next nonce, at most {@code maxInFlight} at once: sign, commit
 *       the {@link WalletOp.Prepare}, then broadcast exactly the committed bytes.</li>
 *   <li>expire approvals that timed out; reject a spend whose first prepare the policy refuses.</li>
 * </ol>
 * Every chain error is "look again next round"; nothing is ever concluded from a send error or a timeout. A node
 * without the key does steps 1, 2 (without bumps) and 4: it finishes what is prepared and says so in
 * {@link #status()}.
 */
public final class SpendDriver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpendDriver.class);
    /** A fee bump raises by 10% plus one wei, so rounding never leaves it under what nodes require. */
    private static final BigInteger BUMP_NUM = BigInteger.valueOf(11);
    private static final BigInteger BUMP_DEN = BigInteger.TEN;

    private final WalletConfig config;
    private final ChainClient chain;
    private final Optional<Signer> signer;
    private final NodeCalls node;
    private final Clock clock;
    private final String nodeId;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Condition synced = lock.newCondition();
    private boolean woken;
    private volatile boolean closed;
    private Thread thread;

    // Driver thread only.
    private long syncedTerm = -1;
    /** The term the driver has synced the ledger in (chain checked, policy committed), for waiting requests. */
    private volatile long publishedSyncedTerm = -1;
    private long reconciledTerm = -1;

    private final java.util.concurrent.atomic.AtomicLong prepared = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong bumps = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong broadcasts = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong completed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong reorgs = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong freezes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong chainErrors = new java.util.concurrent.atomic.AtomicLong();

    /**
     * What this node's driver has done since it started, for the meters: variants committed (first ones and bumps),
     * broadcasts (each send of committed bytes), completions, reorgs seen, freezes proposed, and chain requests that
     * ended a round or a spend's observation early.
     */
    public record Counts(long prepared, long bumps, long broadcasts, long completed, long reorgs, long freezes,
                         long chainErrors) {
    }

    public Counts counts() {
        return new Counts(prepared.get(), bumps.get(), broadcasts.get(), completed.get(), reorgs.get(), freezes.get(),
                chainErrors.get());
    }

    private volatile DriverStatus status = new DriverStatus(false, -1, false, false, Optional.empty(), 0);

    /**
     * What the driver is doing, for {@code GET /v1/wallet}.
     *
     * @param leading    whether this node drives spends now
     * @param term       the term it last acted in
     * @param reconciled whether it has reconciled every prepared spend in that term (before that, nothing new is
     *                   prepared)
     * @param holdsKey   whether this node can sign; without the key it only finishes prepared spends
     * @param lastIssue  the newest reason a round could not finish (a chain error, a refusal), if any
     * @param rounds     rounds done since start
     */
    public record DriverStatus(boolean leading, long term, boolean reconciled, boolean holdsKey,
                               Optional<String> lastIssue, long rounds) {
    }

    public SpendDriver(WalletConfig config, ChainClient chain, Optional<Signer> signer, NodeCalls node, Clock clock,
                       String nodeId) {
        this.config = config;
        this.chain = chain;
        this.signer = signer;
        this.node = node;
        this.clock = clock;
        this.nodeId = nodeId;
        signer.ifPresent(s -> {
            if (!s.address().equals(config.address())) {
                throw new IllegalArgumentException("the keystore's key is for " + s.address() + ", the wallet is "
                        + config.address());
            }
        });
        status = new DriverStatus(false, -1, false, signer.isPresent(), Optional.empty(), 0);
    }

    /** Starts the driver's thread. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = new Thread(this::loop, "wallet-driver-" + nodeId);
        thread.setDaemon(true);
        thread.start();
        log.info("node {} wallet driver started for {} on chain {} ({})", nodeId, config.address(), config.chainId(),
                signer.isPresent() ? "holds the key" : "holds no key: finishes prepared spends only");
    }

    /** Makes the driver run a round now (after a claim or an approval) instead of at its next poll. */
    public void wake() {
        lock.lock();
        try {
            woken = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code timeoutMs} until the driver has synced the ledger in {@code term} (checked the chain and
     * committed its policy): a claim made before that would find no policy. Returns whether it has.
     */
    public boolean awaitSynced(long term, long timeoutMs) throws InterruptedException {
        wake();
        long deadline = clock.monotonicNanos() + timeoutMs * 1_000_000;
        lock.lock();
        try {
            while (publishedSyncedTerm != term) {
                long left = deadline - clock.monotonicNanos();
                if (left <= 0 || closed) {
                    return false;
                }
                synced.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    public DriverStatus status() {
        return status;
    }

    public boolean holdsKey() {
        return signer.isPresent();
    }

    @Override
    public void close() {
        closed = true;
        wake();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(config.requestTimeoutMs() * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        long rounds = 0;
        while (!closed) {
            Optional<String> issue;
            try {
                issue = round();
            } catch (NodeCalls.NodeCallException e) {
                issue = Optional.of(e.getMessage());
            } catch (RuntimeException e) {
                log.warn("node {} wallet driver round failed: {}", nodeId, e.toString(), e);
                issue = Optional.of(e.toString());
            }
            rounds++;
            DriverStatus s = status;
            status = new DriverStatus(s.leading(), s.term(), s.reconciled(), signer.isPresent(), issue, rounds);
            lock.lock();
            try {
                if (!woken && !closed) {
                    wake.await(config.pollMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
                }
                woken = false;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
        }
    }

    /** One round; returns why it could not finish, if it could not. */
    Optional<String> round() throws NodeCalls.NodeCallException {
        WalletLedgerAccess.Leadership lead = node.read(WalletLedgerAccess::leadership);
        if (!lead.leader()) {
            if (syncedTerm != -1) {
                log.info("node {} wallet driver stops driving: no longer the leader (term {})", nodeId, lead.term());
            }
            syncedTerm = -1;
            publishedSyncedTerm = -1;
            reconciledTerm = -1;
            status = new DriverStatus(false, lead.term(), false, signer.isPresent(), Optional.empty(),
                    status.rounds());
            return Optional.empty();
        }
        long term = lead.term();
        try {
            if (syncedTerm != term) {
                Optional<String> why = sync(term);
                if (why.isPresent()) {
                    return why;
                }
                syncedTerm = term;
                publishedSyncedTerm = term;
                lock.lock();
                try {
                    synced.signalAll();
                } finally {
                    lock.unlock();
                }
                log.info("node {} wallet driver leads in term {}: chain {} checked, reconciling prepared spends",
                        nodeId, term, config.chainId());
            }
            status = new DriverStatus(true, term, reconciledTerm == term, signer.isPresent(), Optional.empty(),
                    status.rounds());
            List<Spend> open = node.read(a -> a.view().openSpends());
            boolean allObserved = true;
            boolean anyWithNonce = false;
            for (Spend s : open) {
                if (s.nonce().isPresent()) {
                    anyWithNonce = true;
                    if (!observe(s, term)) {
                        allObserved = false;
                        break; // later nonces cannot complete before this one; look again next round
                    }
                }
            }
            WalletStatus ws = node.read(a -> a.view().status(clock.nowMillis()));
            if (!anyWithNonce && !ws.frozen()) {
                BigInteger chainNonce = chain.transactionCount(config.address(), BlockTag.LATEST);
                if (chainNonce.compareTo(BigInteger.valueOf(ws.nextNonce())) > 0) {
                    freeze(term, "the chain's nonce " + chainNonce + " is past the ledger's next nonce "
                            + ws.nextNonce() + " with no spend of ours in flight: the key was used outside agentmesh");
                    return Optional.of("frozen: foreign use of the key");
                }
            }
            if (allObserved && reconciledTerm != term) {
                reconciledTerm = term;
                log.info("node {} wallet driver reconciled every prepared spend in term {}", nodeId, term);
                status = new DriverStatus(true, term, true, signer.isPresent(), Optional.empty(), status.rounds());
            }
            expireApprovals(open, ws, term);
            if (reconciledTerm == term && signer.isPresent()) {
                prepareNew(term);
            }
            return allObserved ? Optional.empty() : Optional.of("some prepared spend could not be observed this round");
        } catch (ChainException e) {
            chainErrors.incrementAndGet();
            log.debug("node {} wallet driver round ends early: {}", nodeId, e.getMessage());
            return Optional.of(e.getMessage());
        }
    }

    private Optional<String> sync(long term) throws NodeCalls.NodeCallException, ChainException {
        node.termCaughtUp();
        try {
            chain.requireChainId(config.chainId());
        } catch (ChainException.Definite e) {
            freeze(term, e.getMessage());
            return Optional.of(e.getMessage());
        }
        BigInteger chainNonce = chain.transactionCount(config.address(), BlockTag.LATEST);
        WalletResult r = node.submit(new WalletOp.SyncChain(nodeId, term, config.chainId(), config.address().hex(),
                chainNonce.longValueExact(), clock.nowMillis()));
        if (r instanceof WalletResult.Refused f) {
            if (f.reason() == WalletResult.Reason.CHAIN_MISMATCH) {
                freeze(term, "this node's wallet config (chain " + config.chainId() + ", " + config.address()
                        + ") is not what the ledger is bound to: " + f.message());
            }
            return Optional.of("sync refused: " + f.reason() + " " + f.message());
        }
        var committed = node.read(a -> a.view().status(clock.nowMillis()).policy());
        if (committed.isEmpty() || !committed.get().equals(config.policy())) {
            WalletResult p = node.submit(new WalletOp.SetPolicy(nodeId, term, config.policy(), clock.nowMillis()));
            if (p instanceof WalletResult.Refused f) {
                return Optional.of("policy refused: " + f.reason() + " " + f.message());
            }
            log.info("node {} committed its wallet policy in term {}", nodeId, term);
        }
        return Optional.empty();
    }

    /**
     * One spend with a nonce. Returns false when the chain could not be read well enough to know where it is (then
     * later nonces wait, and nothing new is prepared in a term before this has been true for all of them).
     */
    private boolean observe(Spend s, long term) throws NodeCalls.NodeCallException {
        long nonce = s.nonce().getAsLong();
        try {
            // The nonce first, the receipts after: a variant mined between the two reads still shows its receipt, so
            // "nonce used, no receipt of ours" is never a race.
            BigInteger chainNonce = chain.transactionCount(config.address(), BlockTag.LATEST);
            Optional<ChainClient.Receipt> mined = Optional.empty();
            for (Variant v : s.variants()) {
                Optional<ChainClient.Receipt> r = chain.receipt(v.hash());
                if (r.isPresent()) {
                    mined = r;
                    break;
                }
            }
            if (mined.isPresent()) {
                return onReceipt(s, mined.get(), term);
            }
            if (s.state() == SpendState.INCLUDED) {
                String hash = s.inclusion().orElseThrow().hash();
                WalletResult r = node.submit(new WalletOp.Reorged(nodeId, term, s.id(), hash, clock.nowMillis()));
                reorgs.incrementAndGet();
                log.info("node {} spend {} ({}): receipt of {} gone (reorg), back to prepared: {}", nodeId, s.id(),
                        s.idempotencyKey(), hash, brief(r));
            }
            if (chainNonce.compareTo(BigInteger.valueOf(nonce)) > 0) {
                freeze(term, "nonce " + nonce + " of spend " + s.id() + " was used by a transaction that is none of"
                        + " its " + s.variants().size() + " variants: the key was used outside agentmesh");
                return true;
            }
            Variant newest = s.latestVariant().orElseThrow();
            broadcast(s, newest);
            if (signer.isPresent() && clock.nowMillis() - newest.preparedAtMillis() >= config.bumpAfterMs()) {
                bump(s, newest, term);
            }
            return true;
        } catch (ChainException e) {
            chainErrors.incrementAndGet();
            log.debug("node {} spend {} not observed this round: {}", nodeId, s.id(), e.getMessage());
            return false;
        }
    }

    private boolean onReceipt(Spend s, ChainClient.Receipt r, long term)
            throws NodeCalls.NodeCallException, ChainException {
        boolean known = s.state() == SpendState.INCLUDED && s.inclusion().isPresent()
                && s.inclusion().get().hash().equals(r.txHash()) && s.inclusion().get().blockHash().equals(r.blockHash());
        if (!known) {
            WalletResult res = node.submit(new WalletOp.Included(nodeId, term, s.id(), r.txHash(), r.blockNumber(),
                    r.blockHash(), r.succeeded(), clock.nowMillis()));
            log.info("node {} spend {} ({}) nonce {}: {} in block {} ({}): {}", nodeId, s.id(), s.idempotencyKey(),
                    s.nonce().getAsLong(), r.txHash(), r.blockNumber(), r.succeeded() ? "succeeded" : "reverted",
                    brief(res));
            if (res instanceof WalletResult.Refused) {
                return true;
            }
        }
        if (!deepEnough(r)) {
            return true;
        }
        WalletResult res = node.submit(new WalletOp.Complete(nodeId, term, s.id(), r.txHash(),
                r.gasUsed().longValueExact(), r.effectiveGasPriceWei(), clock.nowMillis()));
        log.info("node {} spend {} ({}) nonce {} completes with {} in block {}: {}", nodeId, s.id(),
                s.idempotencyKey(), s.nonce().getAsLong(), r.txHash(), r.blockNumber(), brief(res));
        if (res instanceof WalletResult.Completed) {
            completed.incrementAndGet();
        }
        if (res instanceof WalletResult.Refused f && f.reason() == WalletResult.Reason.BAD_RECEIPT) {
            freeze(term, "spend " + s.id() + ": a receipt that does not fit its variant: " + f.message());
        }
        return true;
    }

    /** Whether the receipt's block is at the configured depth (its own block counts one) or finalized. */
    private boolean deepEnough(ChainClient.Receipt r) throws ChainException {
        if (config.confirmations().isPresent()) {
            long head = chain.block(BlockTag.LATEST).map(ChainClient.Block::number).orElse(-1L);
            return head - r.blockNumber() + 1 >= config.confirmations().getAsInt();
        }
        long finalized = chain.block(BlockTag.FINALIZED).map(ChainClient.Block::number).orElse(-1L);
        return finalized >= r.blockNumber();
    }

    private void broadcast(Spend s, Variant v) {
        try {
            broadcasts.incrementAndGet();
            chain.sendRawTransaction(Numeric.hexStringToByteArray(v.raw()));
            log.debug("node {} spend {} broadcast {}", nodeId, s.id(), v.hash());
        } catch (ChainException.LookAgain e) {
            // "already known", "nonce too low", a timeout: the receipts decide, next round.
            log.debug("node {} spend {} broadcast of {}: {}", nodeId, s.id(), v.hash(), e.getMessage());
        }
    }

    private void bump(Spend s, Variant newest, long term) throws NodeCalls.NodeCallException, ChainException {
        if (node.read(a -> a.view().status(clock.nowMillis()).frozen()) && newest.kind() == VariantKind.TRANSFER) {
            return; // a frozen wallet takes no transfer bump; its spends wait (a cancel would still be allowed)
        }
        BigInteger base = chain.block(BlockTag.LATEST).flatMap(ChainClient.Block::baseFeePerGasWei)
                .orElse(BigInteger.ZERO);
        BigInteger market = chain.maxPriorityFeePerGasWei();
        BigInteger tip = max(raise(newest.maxPriorityFeePerGasWei()), market);
        BigInteger maxFee = max(raise(newest.maxFeePerGasWei()), base.shiftLeft(1).add(tip));
        BigInteger cap = s.maxFeePerGasWei();
        if (maxFee.compareTo(cap) > 0) {
            maxFee = cap;
        }
        if (maxFee.compareTo(raise(newest.maxFeePerGasWei())) < 0 || tip.compareTo(maxFee) > 0) {
            log.debug("node {} spend {} cannot bump: the claim's fee cap {} is reached", nodeId, s.id(), cap);
            return;
        }
        long nonce = s.nonce().getAsLong();
        Eip1559Tx tx = transaction(s, nonce, newest.kind(), tip, maxFee);
        SignedTx signed = signer.orElseThrow().sign(tx);
        WalletResult r = node.submit(new WalletOp.Prepare(nodeId, term, s.id(), nonce, newest.kind(),
                Numeric.toHexString(signed.raw()), signed.hash(), maxFee, tip, s.gasLimit(), clock.nowMillis()));
        log.info("node {} spend {} ({}) nonce {}: bumped after {} ms to max fee {} tip {} as {}: {}", nodeId, s.id(),
                s.idempotencyKey(), nonce, clock.nowMillis() - newest.preparedAtMillis(), maxFee, tip, signed.hash(),
                brief(r));
        if (r instanceof WalletResult.Prepared p) {
            bumps.incrementAndGet();
            broadcast(s, p.variant());
        }
    }

    /**
     * Signs a cancel of prepared spend {@code s} (a zero-value transfer to the wallet itself at the spend's nonce, both
     * fees raised by 10% over its newest variant so the chain takes it as a replacement), commits it as a new variant
     * and broadcasts it. Called on a request thread: the ledger orders it with the driver's own variants, and once a
     * cancel variant is committed the ledger takes no further transfer variant. Empty when the claim's fee cap leaves
     * no room for the raise (a cancel could not replace what is in flight).
     */
    public Optional<WalletResult> cancel(Spend s, long term) throws NodeCalls.NodeCallException, ChainException {
        Variant newest = s.latestVariant().orElseThrow(() -> new IllegalArgumentException("spend " + s.id()
                + " has no variant to cancel"));
        BigInteger base = chain.block(BlockTag.LATEST).flatMap(ChainClient.Block::baseFeePerGasWei)
                .orElse(BigInteger.ZERO);
        BigInteger tip = raise(newest.maxPriorityFeePerGasWei());
        BigInteger maxFee = max(raise(newest.maxFeePerGasWei()), base.shiftLeft(1).add(tip)).min(s.maxFeePerGasWei());
        if (maxFee.compareTo(raise(newest.maxFeePerGasWei())) < 0 || tip.compareTo(maxFee) > 0) {
            return Optional.empty();
        }
        long nonce = s.nonce().orElseThrow();
        SignedTx signed = signer.orElseThrow().sign(transaction(s, nonce, VariantKind.CANCEL, tip, maxFee));
        WalletResult r = node.submit(new WalletOp.Prepare(nodeId, term, s.id(), nonce, VariantKind.CANCEL,
                Numeric.toHexString(signed.raw()), signed.hash(), maxFee, tip, s.gasLimit(), clock.nowMillis()));
        log.info("node {} spend {} ({}) nonce {}: cancel variant {} (max fee {}, tip {}): {}", nodeId, s.id(),
                s.idempotencyKey(), nonce, signed.hash(), maxFee, tip, brief(r));
        if (r instanceof WalletResult.Prepared p) {
            prepared.incrementAndGet();
            broadcast(p.spend(), p.variant());
        }
        return Optional.of(r);
    }

    private void prepareNew(long term) throws NodeCalls.NodeCallException, ChainException {
        List<Spend> open = node.read(a -> a.view().openSpends());
        long inFlight = open.stream().filter(s -> s.nonce().isPresent()).count();
        for (Spend s : open) {
            if (!s.state().preparable()) {
                continue;
            }
            if (inFlight >= config.maxInFlight()) {
                return;
            }
            WalletStatus ws = node.read(a -> a.view().status(clock.nowMillis()));
            if (ws.frozen() || ws.policy().map(p -> p.killSwitch()).orElse(true)) {
                return;
            }
            BigInteger base = chain.block(BlockTag.LATEST).flatMap(ChainClient.Block::baseFeePerGasWei)
                    .orElse(BigInteger.ZERO);
            BigInteger cap = s.maxFeePerGasWei();
            BigInteger maxFee = base.shiftLeft(1).add(chain.maxPriorityFeePerGasWei()).min(cap);
            BigInteger tip = chain.maxPriorityFeePerGasWei().min(maxFee);
            long nonce = ws.nextNonce();
            SignedTx signed = signer.orElseThrow().sign(transaction(s, nonce, VariantKind.TRANSFER, tip, maxFee));
            WalletResult r = node.submit(new WalletOp.Prepare(nodeId, term, s.id(), nonce, VariantKind.TRANSFER,
                    Numeric.toHexString(signed.raw()), signed.hash(), maxFee, tip, s.gasLimit(), clock.nowMillis()));
            log.info("node {} spend {} ({}) prepared at nonce {} as {} (max fee {}, tip {}): {}", nodeId, s.id(),
                    s.idempotencyKey(), nonce, signed.hash(), maxFee, tip, brief(r));
            switch (r) {
                case WalletResult.Prepared p -> {
                    prepared.incrementAndGet();
                    broadcast(p.spend(), p.variant());
                    inFlight++;
                }
                case WalletResult.Refused f when f.reason() == WalletResult.Reason.RECIPIENT_NOT_ALLOWED
                        || f.reason() == WalletResult.Reason.OVER_PER_TX_CAP
                        || f.reason() == WalletResult.Reason.OVER_DAILY_BUDGET
                        || f.reason() == WalletResult.Reason.OVER_RESERVATION -> {
                    WalletResult rj = node.submit(new WalletOp.Reject(nodeId, term, s.id(), nodeId,
                            "the policy no longer allows it: " + f.message(), clock.nowMillis()));
                    log.info("node {} spend {} ({}) rejected at prepare: {}: {}", nodeId, s.id(), s.idempotencyKey(),
                            f.message(), brief(rj));
                }
                default -> {
                    return; // WRONG_NONCE, FROZEN, KILL_SWITCH, STALE_TERM...: read the ledger again next round
                }
            }
        }
    }

    private void expireApprovals(List<Spend> open, WalletStatus ws, long term) throws NodeCalls.NodeCallException {
        if (ws.policy().isEmpty()) {
            return;
        }
        long timeout = ws.policy().get().approvalTimeoutMs();
        long now = clock.nowMillis();
        for (Spend s : open) {
            if (s.state() == SpendState.AWAITING_APPROVAL && now >= s.requestedAtMillis() + timeout) {
                WalletResult r = node.submit(new WalletOp.Expire(nodeId, term, s.id(), now));
                log.info("node {} spend {} ({}) approval timed out after {} ms: {}", nodeId, s.id(),
                        s.idempotencyKey(), timeout, brief(r));
            }
        }
    }

    private void freeze(long term, String reason) throws NodeCalls.NodeCallException {
        freezes.incrementAndGet();
        WalletResult r = node.submit(new WalletOp.Freeze(nodeId, term, nodeId, reason, clock.nowMillis()));
        log.warn("node {} freezes the wallet: {} ({})", nodeId, reason, brief(r));
    }

    private Eip1559Tx transaction(Spend s, long nonce, VariantKind kind, BigInteger tip, BigInteger maxFee) {
        boolean cancel = kind == VariantKind.CANCEL;
        return new Eip1559Tx(config.chainId(), BigInteger.valueOf(nonce), BigInteger.valueOf(s.gasLimit()),
                cancel ? config.address() : EthAddress.parse(s.to()), cancel ? BigInteger.ZERO : s.valueWei(),
                cancel ? new byte[0] : Numeric.hexStringToByteArray(s.data()), tip, maxFee);
    }

    /** x * 1.1, rounded up, plus one wei. */
    static BigInteger raise(BigInteger x) {
        BigInteger[] qr = x.multiply(BUMP_NUM).divideAndRemainder(BUMP_DEN);
        return qr[0].add(qr[1].signum() > 0 ? BigInteger.ONE : BigInteger.ZERO).add(BigInteger.ONE);
    }

    private static BigInteger max(BigInteger a, BigInteger b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static String brief(WalletResult r) {
        return r instanceof WalletResult.Refused f ? "refused " + f.reason() + " (" + f.message() + ")"
                : r.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }
}
