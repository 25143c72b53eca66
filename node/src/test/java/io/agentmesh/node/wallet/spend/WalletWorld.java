package io.agentmesh.node.wallet.spend;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.wallet.chain.Anvil;
import io.agentmesh.node.wallet.chain.ChainClient;
import io.agentmesh.node.wallet.chain.EthAddress;
import io.agentmesh.node.wallet.chain.Keystore;
import io.agentmesh.node.wallet.chain.Signer;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.protocol.time.SystemClock;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A wallet on a real chain (anvil) with one replicated ledger and any number of nodes that may lead it in turn, each
 * with its own driver and service: the setting of the driver's failover tests. The wallet is anvil's first account.
 */
public final class WalletWorld implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final Anvil anvil;
    final ChainClient chain;
    final WalletLedger ledger = new WalletLedger();
    final AtomicLong index = new AtomicLong();
    final List<WalletOp> committed = new ArrayList<>();
    final TestNodeThread nodeThread = new TestNodeThread();
    final Path keystore;
    final Signer signer;
    private final List<Node> nodes = new ArrayList<>();
    private final Path home;

    public record Node(String id, DirectWalletAccess access, SpendDriver driver, WalletService service) {
        public void stop() {
            driver.close();
        }
    }

    public WalletWorld(Path home, String... anvilArgs) throws Exception {
        this.home = home;
        this.anvil = Anvil.start(anvilArgs);
        this.chain = anvil.client();
        this.keystore = home.resolve("wallet/keystore.json");
        Keystore.importKey(keystore, Anvil.KEY0, "pass".toCharArray(), new SecureRandom(), Keystore.Scrypt.LIGHT);
        this.signer = Keystore.unlock(keystore, "pass".toCharArray());
    }

    /** The wallet config: these defaults, then {@code edit}. */
    public ObjectNode config(Consumer<ObjectNode> edit) {
        ObjectNode c = JSON.createObjectNode();
        c.put("rpcUrl", anvil.url().toString());
        c.put("chainId", 31337);
        c.put("keystore", keystore.toString());
        c.put("confirmations", 1);
        c.put("bumpAfterMs", 60_000);
        c.put("maxFeePerGasGwei", "100");
        c.put("pollMs", 50);
        c.put("requestTimeoutMs", 5_000);
        ObjectNode p = c.putObject("policy");
        p.put("perTxCapEther", "5");
        p.put("dailyBudgetEther", "50");
        p.put("maxSpendsPerWindow", 1000);
        p.put("velocityWindowMs", 3_600_000);
        edit.accept(c);
        return c;
    }

    /** A node leading in {@code term} (its driver started), with the key when {@code withKey}. */
    public Node leader(String id, long term, boolean withKey, ObjectNode configJson) {
        return leader(id, term, withKey, configJson, chain);
    }

    /** A node leading in {@code term} that reaches the chain through {@code nodeChain} (a recording wrapper). */
    public Node leader(String id, long term, boolean withKey, ObjectNode configJson, ChainClient nodeChain) {
        WalletConfig config = WalletConfig.parse(configJson, "test config", home);
        DirectWalletAccess access = new DirectWalletAccess(ledger, index, committed, id);
        access.lead(term);
        NodeCalls calls = new NodeCalls(nodeThread, access, 5_000);
        SpendDriver driver = new SpendDriver(config, nodeChain, withKey ? Optional.of(signer) : Optional.empty(), calls,
                new SystemClock(), id);
        WalletService service = new WalletService(config, nodeChain, calls, driver, new SystemClock(), id);
        Node n = new Node(id, access, driver, service);
        nodes.add(n);
        driver.start();
        return n;
    }

    public Node leader(String id, long term) {
        return leader(id, term, true, config(c -> { }));
    }

    static WalletService.SpendRequest request(String key, EthAddress to, String ether, long waitMs) {
        ObjectNode b = JSON.createObjectNode();
        b.put("idempotencyKey", key);
        b.put("to", to.hex());
        b.put("valueEther", ether);
        b.put("waitSeconds", waitMs / 1000);
        return WalletService.parse(b, 0);
    }

    /** Every transaction the wallet sent, block by block from genesis to the head: nonce to its hashes. */
    public Map<BigInteger, List<String>> chainHistory() throws Exception {
        long head = chain.block(ChainClient.BlockTag.LATEST).orElseThrow().number();
        Map<BigInteger, List<String>> byNonce = new TreeMap<>();
        for (long b = 0; b <= head; b++) {
            for (ChainClient.ChainTx tx : chain.transactions(b)) {
                if (tx.from().equals(signer.address())) {
                    byNonce.computeIfAbsent(tx.nonce(), n -> new ArrayList<>()).add(tx.hash());
                }
            }
        }
        return byNonce;
    }

    /**
     * The checkers: every nonce on the chain was used once (no double spend), the nonces used are exactly the
     * ledger's [first, next) with none abandoned, and each ended spend's final hash is the chain's transaction at its
     * nonce. Run once nothing is in flight.
     */
    public void checkChainAgainstLedger() throws Exception {
        Map<BigInteger, List<String>> history = chainHistory();
        history.forEach((nonce, hashes) -> assertEquals(1, hashes.size(), "nonce " + nonce + " used " + hashes));
        long next = nodeThreadRead().nextNonce();
        List<BigInteger> nonces = new ArrayList<>(history.keySet());
        for (int i = 0; i < nonces.size(); i++) {
            assertEquals(BigInteger.valueOf(i), nonces.get(i), "nonces on the chain without a gap: " + nonces);
        }
        assertEquals(next, nonces.size(), "every nonce the ledger allocated is on the chain, none abandoned");
        for (Spend s : ledger.endedSpends(1000)) {
            if (s.nonce().isPresent()) {
                String onChain = history.get(BigInteger.valueOf(s.nonce().getAsLong())).getFirst();
                assertEquals(onChain, s.inclusion().orElseThrow().hash(), "spend " + s.id() + " reports the mined hash");
                assertTrue(s.variant(onChain).isPresent(), "the mined transaction is one of the spend's variants");
            }
        }
    }

    io.agentmesh.node.wallet.ledger.WalletStatus nodeThreadRead() throws Exception {
        var f = new java.util.concurrent.CompletableFuture<io.agentmesh.node.wallet.ledger.WalletStatus>();
        nodeThread.execute(() -> f.complete(ledger.status(System.currentTimeMillis())));
        return f.get();
    }

    <T> T onNodeThread(java.util.function.Supplier<T> read) throws Exception {
        var f = new java.util.concurrent.CompletableFuture<T>();
        nodeThread.execute(() -> f.complete(read.get()));
        return f.get();
    }

    @Override
    public void close() throws Exception {
        for (Node n : nodes) {
            n.stop();
        }
        nodeThread.close();
        anvil.close();
    }
}
