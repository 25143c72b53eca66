package io.agentmesh.node.wallet.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.node.wallet.chain.JsonRpcChainClient;
import io.agentmesh.node.wallet.chain.Keystore;
import io.agentmesh.node.wallet.chain.Signer;
import io.agentmesh.node.wallet.spend.NodeCalls;
import io.agentmesh.node.wallet.spend.SpendDriver;
import io.agentmesh.node.wallet.spend.WalletConfig;
import io.agentmesh.node.wallet.spend.WalletLedgerAccess;
import io.agentmesh.node.wallet.spend.WalletService;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One node's wallet, wired (docs/wallet.md): the chain client, the key unlocked from the keystore when this node holds
 * one (a wrong passphrase stops the node at start, with the reason), the driver, the service, the endpoints and the
 * intent executor. The runtime makes it when the node has a wallet config, and closes it at shutdown.
 */
public final class WalletRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WalletRuntime.class);
    /** Wallet requests served at once (each may wait for its spend). */
    public static final int MAX_OPEN_REQUESTS = 64;
    /** How long a wallet intent waits for its spend before reporting it uncertain (it goes on). */
    public static final long INTENT_MAX_WAIT_MS = 3_600_000;
    private static final long NODE_CALL_TIMEOUT_MS = 30_000;
    private static final int MAX_RESPONSE_BYTES = 8 << 20;

    private final SpendDriver driver;
    private final WalletService service;
    private final WalletHttp http;
    private final WalletIntentExecutor executor;
    private final ExecutorService requests;

    private WalletRuntime(SpendDriver driver, WalletService service, WalletHttp http, WalletIntentExecutor executor,
                          ExecutorService requests) {
        this.driver = driver;
        this.service = service;
        this.http = http;
        this.executor = executor;
        this.requests = requests;
    }

    /**
     * Unlocks the key (when {@code config} names a keystore), starts the driver, and returns the wallet. Throws
     * IllegalArgumentException with the reason when the keystore cannot be opened with {@code passphrase}.
     *
     * @param staleFence the node's fence check: a refusal for a presented token older than the newest agent run
     */
    public static WalletRuntime start(WalletConfig config, Optional<char[]> passphrase, Scheduler nodeThread,
                                      WalletLedgerAccess access, Clock clock, String nodeId,
                                      Function<FencingToken, CompletableFuture<Optional<Map<String, Object>>>> staleFence)
            throws IOException {
        Optional<Signer> signer = Optional.empty();
        if (config.keystore().isPresent()) {
            try {
                signer = Optional.of(Keystore.unlock(config.keystore().get(), passphrase.orElse(new char[0])));
            } catch (Keystore.KeystoreException e) {
                throw new IllegalArgumentException("wallet: " + e.getMessage());
            }
        }
        var chain = new JsonRpcChainClient(config.rpcUrl(), Math.min(5_000, config.requestTimeoutMs()),
                config.requestTimeoutMs(), MAX_RESPONSE_BYTES);
        NodeCalls calls = new NodeCalls(nodeThread, access, NODE_CALL_TIMEOUT_MS);
        SpendDriver driver = new SpendDriver(config, chain, signer, calls, clock, nodeId);
        WalletService service = new WalletService(config, chain, calls, driver, clock, nodeId);
        ExecutorService requests = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("wallet-" + nodeId + "-", 0).factory());
        ObjectMapper json = new ObjectMapper();
        Function<String, Optional<ObjectNode>> fence = header -> {
            FencingToken token;
            try {
                token = io.agentmesh.node.actions.AgentFence.parseToken(header);
            } catch (IllegalArgumentException e) {
                return Optional.of(json.createObjectNode().put("error", "header Agentmesh-Fence: " + e.getMessage())
                        .put("code", "BAD_FENCE"));
            }
            try {
                return staleFence.apply(token).get(NODE_CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                        .map(m -> json.valueToTree(m));
            } catch (Exception e) {
                return Optional.of(json.createObjectNode().put("error", "the fence could not be checked: " + e)
                        .put("code", "FENCE_UNCHECKED"));
            }
        };
        WalletHttp http = new WalletHttp(service, requests, MAX_OPEN_REQUESTS, fence, nodeId);
        WalletIntentExecutor executor = new WalletIntentExecutor(service, requests, INTENT_MAX_WAIT_MS);
        driver.start();
        log.info("node {} wallet {} on chain {} via {} ({})", nodeId, config.address(), config.chainId(),
                config.rpcUrl(), signer.isPresent() ? "this node holds the key" : "this node holds no key");
        return new WalletRuntime(driver, service, http, executor, requests);
    }

    public WalletHttp http() {
        return http;
    }

    public WalletIntentExecutor executor() {
        return executor;
    }

    public SpendDriver driver() {
        return driver;
    }

    public WalletService service() {
        return service;
    }

    @Override
    public void close() {
        driver.close();
        requests.shutdownNow();
    }
}
