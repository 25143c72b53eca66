package io.agentmesh.node.wallet.spend;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.wallet.chain.ChainClient;
import io.agentmesh.node.wallet.chain.ChainException;
import io.agentmesh.node.wallet.chain.EthAddress;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletStatus;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The wallet's requests, shared by the HTTP endpoints, the {@code wallet} intent kind and through them the MCP tools
 * and the CLI: spend (claim through the ledger, then wait for the driver to finish it), approve, reject, status.
 * Blocking (chain reads, waits on the node thread): called on a request's own thread, never the node thread.
 */
public final class WalletService {
    private static final Logger log = LoggerFactory.getLogger(WalletService.class);
    public static final long MAX_WAIT_MS = 300_000;
    private static final long WAIT_STEP_MS = 50;
    private static final Set<String> SPEND_KEYS = Set.of("idempotencyKey", "to", "valueWei", "valueEther", "data",
            "waitSeconds");
    private static final int PLAIN_TRANSFER_GAS = 21_000;
    /** How long a claim waits for a new leader's driver to check the chain and commit the policy. */
    private static final long SYNC_WAIT_MS = 10_000;

    private final WalletConfig config;
    private final ChainClient chain;
    private final NodeCalls node;
    private final SpendDriver driver;
    private final Clock clock;
    private final String nodeId;

    public WalletService(WalletConfig config, ChainClient chain, NodeCalls node, SpendDriver driver, Clock clock,
                         String nodeId) {
        this.config = config;
        this.chain = chain;
        this.node = node;
        this.driver = driver;
        this.clock = clock;
        this.nodeId = nodeId;
    }

    /** A refused or impossible wallet request: {@code status} is the HTTP status that tells it best. */
    public static final class WalletException extends Exception {
        private final int status;
        private final String code;

        public WalletException(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }

        public int status() {
            return status;
        }

        public String code() {
            return code;
        }
    }

    /** A checked spend request. */
    public record SpendRequest(String idempotencyKey, EthAddress to, BigInteger valueWei, byte[] data,
                               long waitMs) {
    }

    /**
     * Reads a spend request: {@code idempotencyKey}, {@code to}, exactly one of {@code valueWei} (a whole number as a
     * string) and {@code valueEther} (a decimal string), optional {@code data} ({@code 0x} hex) and
     * {@code waitSeconds} (0 to 300, default {@code defaultWaitSeconds}). Throws IllegalArgumentException saying what
     * is wrong; nothing is claimed then.
     */
    public static SpendRequest parse(JsonNode body, long defaultWaitSeconds) {
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!SPEND_KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown field \"" + k + "\" (known: " + String.join(", ",
                        new java.util.TreeSet<>(SPEND_KEYS)) + ")");
            }
        }
        String key = text(body, "idempotencyKey", true);
        if (key.length() > WalletOp.MAX_IDEMPOTENCY_KEY_CHARS) {
            throw new IllegalArgumentException("idempotencyKey has at most " + WalletOp.MAX_IDEMPOTENCY_KEY_CHARS
                    + " characters");
        }
        EthAddress to = EthAddress.parse(text(body, "to", true));
        boolean wei = body.has("valueWei");
        boolean ether = body.has("valueEther");
        if (wei == ether) {
            throw new IllegalArgumentException("give exactly one of valueWei (a whole number of wei, as a string) and"
                    + " valueEther (a decimal number of ether, as a string)");
        }
        BigInteger value = wei ? Amounts.wei(amountText(body, "valueWei"), "valueWei")
                : Amounts.ether(amountText(body, "valueEther"), "valueEther");
        byte[] data = new byte[0];
        if (body.has("data")) {
            String d = text(body, "data", true);
            if (!d.matches("0x([0-9a-fA-F]{2})*")) {
                throw new IllegalArgumentException("data is 0x and an even number of hex digits");
            }
            data = HexFormat.of().parseHex(d.substring(2));
            if (data.length > WalletOp.MAX_DATA_BYTES) {
                throw new IllegalArgumentException("data has at most " + WalletOp.MAX_DATA_BYTES + " bytes");
            }
        }
        long waitSeconds = defaultWaitSeconds;
        if (body.has("waitSeconds")) {
            JsonNode w = body.get("waitSeconds");
            if (!w.isIntegralNumber() || w.asLong() < 0 || w.asLong() > MAX_WAIT_MS / 1000) {
                throw new IllegalArgumentException("waitSeconds is 0 to " + MAX_WAIT_MS / 1000);
            }
            waitSeconds = w.asLong();
        }
        return new SpendRequest(key, to, value, data, waitSeconds * 1000);
    }

    /**
     * Claims the spend (or finds the idempotency key's spend) and waits up to {@code waitMs} for it to end. Returns
     * the spend as the ledger holds it then: ended, or still on its way (the caller asks again with the same key).
     */
    public Spend spend(SpendRequest req, String origin) throws WalletException {
        WalletLedgerAccess.Leadership lead = leaderOrRefuse();
        awaitSynced(lead);
        long gasLimit = gasLimit(req);
        WalletResult r = submit(new WalletOp.Claim(nodeId, lead.term(), req.idempotencyKey(), req.to().hex(),
                req.valueWei(), Numeric.toHexString(req.data()), gasLimit, config.maxFeePerGasWei(), origin,
                clock.nowMillis()));
        Spend claimed = switch (r) {
            case WalletResult.Claimed c -> {
                if (!c.duplicate()) {
                    log.info("node {} claimed spend {} ({}): {} wei to {}, origin {}, {}", nodeId, c.spend().id(),
                            req.idempotencyKey(), req.valueWei(), req.to(), origin, c.spend().state());
                }
                yield c.spend();
            }
            case WalletResult.Refused f -> throw refusal(f);
            default -> throw new WalletException(500, "UNEXPECTED", "the ledger answered a claim with " + r);
        };
        driver.wake();
        return waitForEnd(claimed.id(), req.waitMs()).orElse(claimed);
    }

    /** A human approves spend {@code id}. */
    public Spend approve(long id, String by) throws WalletException {
        WalletLedgerAccess.Leadership lead = leaderOrRefuse();
        WalletResult r = submit(new WalletOp.Approve(nodeId, lead.term(), id, requireName(by), clock.nowMillis()));
        if (r instanceof WalletResult.Approved a) {
            log.info("node {} spend {} ({}) approved by {}", nodeId, id, a.spend().idempotencyKey(), by);
            driver.wake();
            return a.spend();
        }
        throw r instanceof WalletResult.Refused f ? refusal(f) : new WalletException(500, "UNEXPECTED", "" + r);
    }

    /** A human rejects spend {@code id} (before it was prepared). */
    public Spend reject(long id, String by, String reason) throws WalletException {
        WalletLedgerAccess.Leadership lead = leaderOrRefuse();
        WalletResult r = submit(new WalletOp.Reject(nodeId, lead.term(), id, requireName(by),
                reason == null ? "" : reason, clock.nowMillis()));
        if (r instanceof WalletResult.Rejected j) {
            log.info("node {} spend {} ({}) rejected by {}: {}", nodeId, id, j.spend().idempotencyKey(), by, reason);
            return j.spend();
        }
        throw r instanceof WalletResult.Refused f ? refusal(f) : new WalletException(500, "UNEXPECTED", "" + r);
    }

    /**
     * Cancels a spend, found by id or idempotency key. Without a nonce yet it ends now at no cost (a reject with
     * reason "cancelled"). With a nonce, a cancel variant (zero value to the wallet itself, same nonce) is committed
     * and broadcast; whichever variant the chain mines decides the outcome: CANCELLED when the cancel, COMPLETED when
     * the original won the race. A spend that has ended, or already has a cancel variant, is answered as it is.
     * Waits up to {@code waitMs} for the spend to end.
     */
    public Spend cancel(Optional<Long> id, Optional<String> idempotencyKey, String by, long waitMs)
            throws WalletException {
        String who = requireName(by);
        WalletLedgerAccess.Leadership lead = leaderOrRefuse();
        Spend s = find(id, idempotencyKey).orElseThrow(() -> new WalletException(404, "UNKNOWN_SPEND",
                "no spend " + id.map(String::valueOf).orElseGet(() -> "with idempotency key " + idempotencyKey.get())));
        if (s.state().terminal()) {
            return s;
        }
        if (!s.state().hasNonce()) {
            WalletResult r = submit(new WalletOp.Reject(nodeId, lead.term(), s.id(), who, "cancelled",
                    clock.nowMillis()));
            if (r instanceof WalletResult.Rejected j) {
                log.info("node {} spend {} ({}) cancelled by {} before it had a nonce: no cost", nodeId, s.id(),
                        s.idempotencyKey(), who);
                return j.spend();
            }
            // The driver prepared it in between: cancel the prepared spend below.
            s = find(Optional.of(s.id()), Optional.empty()).orElseThrow();
            if (s.state().terminal() || !s.state().hasNonce()) {
                throw r instanceof WalletResult.Refused f ? refusal(f) : new WalletException(500, "UNEXPECTED", "" + r);
            }
        }
        if (s.variants().stream().noneMatch(v -> v.kind() == io.agentmesh.node.wallet.ledger.VariantKind.CANCEL)) {
            if (!driver.holdsKey()) {
                throw new WalletException(409, "NO_KEY", "spend " + s.id() + " has nonce " + s.nonce().getAsLong()
                        + "; cancelling it needs a signed replacement and this leader holds no key");
            }
            Optional<WalletResult> r;
            try {
                r = driver.cancel(s, lead.term());
            } catch (NodeCalls.NodeCallException e) {
                throw new WalletException(503, "NOT_COMMITTED", "the cancel was not committed (retry): "
                        + e.getMessage());
            } catch (ChainException e) {
                throw new WalletException(503, "CHAIN", "could not read the fees for the cancel, nothing was"
                        + " committed (retry): " + e.getMessage());
            }
            if (r.isEmpty()) {
                throw new WalletException(409, "FEE_CAP_REACHED", "spend " + s.id() + "'s newest variant is at the"
                        + " claim's max fee " + s.maxFeePerGasWei() + " wei: a cancel could not replace it");
            }
            if (r.get() instanceof WalletResult.Refused f && f.reason() != WalletResult.Reason.WRONG_STATE) {
                throw refusal(f);
            }
            log.info("node {} spend {} ({}) cancel requested by {}", nodeId, s.id(), s.idempotencyKey(), who);
        }
        driver.wake();
        return waitForEnd(s.id(), waitMs).orElse(s);
    }

    /** Everything {@code GET /v1/wallet} shows. The balance is absent when the chain cannot be read now. */
    public record StatusView(WalletConfig config, WalletStatus ledger, List<Spend> open, List<Spend> ended,
                             Optional<BigInteger> balanceWei, Optional<String> chainError,
                             SpendDriver.DriverStatus driver, WalletLedgerAccess.Leadership leadership) {
    }

    public StatusView status(int endedLimit) throws WalletException {
        try {
            var lead = node.read(WalletLedgerAccess::leadership);
            WalletStatus s = node.read(a -> a.view().status(clock.nowMillis()));
            List<Spend> open = node.read(a -> a.view().openSpends());
            List<Spend> ended = node.read(a -> a.view().endedSpends(endedLimit));
            Optional<BigInteger> balance = Optional.empty();
            Optional<String> chainError = Optional.empty();
            try {
                balance = Optional.of(chain.balanceWei(config.address(), ChainClient.BlockTag.LATEST));
            } catch (ChainException e) {
                chainError = Optional.of(e.getMessage());
            }
            return new StatusView(config, s, open, ended, balance, chainError, driver.status(), lead);
        } catch (NodeCalls.NodeCallException e) {
            throw new WalletException(503, "NODE_UNAVAILABLE", e.getMessage());
        }
    }

    /** The spend with {@code id} or the one claimed with {@code idempotencyKey}. */
    public Optional<Spend> find(Optional<Long> id, Optional<String> idempotencyKey) throws WalletException {
        try {
            if (id.isPresent()) {
                return node.read(a -> a.view().spend(id.get()));
            }
            return node.read(a -> a.view().spendByKey(idempotencyKey.orElseThrow()));
        } catch (NodeCalls.NodeCallException e) {
            throw new WalletException(503, "NODE_UNAVAILABLE", e.getMessage());
        }
    }

    /** Waits until spend {@code id} has ended or {@code waitMs} passed; empty when the ledger no longer has it. */
    public Optional<Spend> waitForEnd(long id, long waitMs) throws WalletException {
        long deadline = clock.monotonicNanos() + waitMs * 1_000_000;
        try {
            while (true) {
                Optional<Spend> s = node.read(a -> a.view().spend(id));
                if (s.isEmpty() || s.get().state().terminal() || clock.monotonicNanos() >= deadline) {
                    return s;
                }
                Thread.sleep(WAIT_STEP_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalletException(503, "INTERRUPTED", "interrupted while waiting for spend " + id);
        } catch (NodeCalls.NodeCallException e) {
            throw new WalletException(503, "NODE_UNAVAILABLE", e.getMessage());
        }
    }

    private long gasLimit(SpendRequest req) throws WalletException {
        try {
            BigInteger est = chain.estimateGas(config.address(), req.to(), req.valueWei(), req.data());
            if (est.equals(BigInteger.valueOf(PLAIN_TRANSFER_GAS))) {
                return PLAIN_TRANSFER_GAS;
            }
            // Headroom: state can change between the estimate and the block.
            BigInteger withMargin = est.multiply(BigInteger.valueOf(6)).divide(BigInteger.valueOf(5));
            if (withMargin.compareTo(BigInteger.valueOf(WalletOp.MAX_GAS_LIMIT)) > 0) {
                throw new WalletException(422, "GAS_TOO_HIGH", "the call needs " + est + " gas, more than "
                        + WalletOp.MAX_GAS_LIMIT);
            }
            return Math.max(PLAIN_TRANSFER_GAS, withMargin.longValueExact());
        } catch (ChainException e) {
            throw new WalletException(e instanceof ChainException.Definite ? 422 : 503, "CHAIN",
                    "could not estimate the spend's gas, nothing was claimed: " + e.getMessage());
        }
    }

    /** A new leader's driver first checks the chain and commits the policy; a claim before that would be refused. */
    private void awaitSynced(WalletLedgerAccess.Leadership lead) throws WalletException {
        try {
            if (!driver.awaitSynced(lead.term(), SYNC_WAIT_MS)) {
                throw new WalletException(503, "NOT_SYNCED", "this leader's wallet driver has not checked the chain"
                        + " yet" + driver.status().lastIssue().map(i -> " (" + i + ")").orElse("")
                        + "; nothing was claimed, retry");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalletException(503, "INTERRUPTED", "interrupted; nothing was claimed");
        }
    }

    private WalletLedgerAccess.Leadership leaderOrRefuse() throws WalletException {
        try {
            var lead = node.read(WalletLedgerAccess::leadership);
            if (!lead.leader()) {
                throw new WalletException(409, "NOT_LEADER", "this node does not lead; spends are taken by the"
                        + " leader" + lead.leaderId().map(l -> " (" + l + ")").orElse(" (none known now)"));
            }
            return lead;
        } catch (NodeCalls.NodeCallException e) {
            throw new WalletException(503, "NODE_UNAVAILABLE", e.getMessage());
        }
    }

    private WalletResult submit(WalletOp op) throws WalletException {
        try {
            return node.submit(op);
        } catch (NodeCalls.NodeCallException e) {
            throw new WalletException(503, "NOT_COMMITTED", "not committed (retry with the same idempotency key): "
                    + e.getMessage());
        }
    }

    private static WalletException refusal(WalletResult.Refused f) {
        int status = switch (f.reason()) {
            case UNKNOWN_SPEND -> 404;
            case IDEMPOTENCY_CONFLICT, WRONG_STATE, STALE_TERM -> 409;
            case NO_POLICY, NOT_SYNCED, TOO_MANY_OPEN_SPENDS -> 503;
            default -> 403;
        };
        return new WalletException(status, f.reason().name(), f.message());
    }

    private static String requireName(String by) {
        if (by == null || by.isBlank() || by.length() > WalletOp.MAX_NAME_CHARS) {
            throw new IllegalArgumentException("\"by\" (who decides, 1 to " + WalletOp.MAX_NAME_CHARS
                    + " characters) is required");
        }
        return by;
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(field + " is required");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new IllegalArgumentException(field + " is a non-empty string");
        }
        return v.asText();
    }

    private static String amountText(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isIntegralNumber()) {
            return v.bigIntegerValue().toString(); // may be negative: Amounts refuses it with a clear message
        }
        if (v.isNumber()) {
            return v.decimalValue().toPlainString();
        }
        throw new IllegalArgumentException(field + " is a string, got " + v);
    }
}
