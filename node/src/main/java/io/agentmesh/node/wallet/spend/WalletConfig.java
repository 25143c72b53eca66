package io.agentmesh.node.wallet.spend;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.configfile.StrictJson;
import io.agentmesh.node.wallet.chain.EthAddress;
import io.agentmesh.node.wallet.ledger.WalletPolicy;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The node-local {@code <home>/wallet.json} ({@code --wallet-config}): which chain, which key, how the driver waits,
 * and the policy this node's operators want the cluster to enforce (docs/wallet.md, "Configuration"). Read strictly
 * ({@link StrictJson}): unknown keys, duplicates and inexact amounts are refused with the file and the place named.
 *
 * @param rpcUrl            the chain's JSON-RPC endpoint
 * @param chainId           the chain the wallet signs for; an endpoint serving another chain freezes the wallet
 * @param keystore          where this node's keystore is; empty when this node holds no key (it then finishes only
 *                          spends already prepared)
 * @param address           the wallet's address: the keystore's, or given for a node without the key
 * @param confirmations     blocks a receipt must have (its own counts) before the spend completes; empty means
 *                          "the chain's finalized block"
 * @param bumpAfterMs       a prepared transaction not mined after this long gets a new committed variant with fees
 *                          raised by at least 10%
 * @param maxFeePerGasWei   the most any spend bids per gas: each claim reserves value + gasLimit x this
 * @param pollMs            how often the driver looks at the chain
 * @param requestTimeoutMs  bound on one chain request
 * @param maxInFlight       at most this many spends prepared and not ended at once
 * @param policy            the spending policy (committed to the ledger by the leader)
 */
public record WalletConfig(URI rpcUrl, long chainId, Optional<Path> keystore, EthAddress address,
                           OptionalInt confirmations, long bumpAfterMs, BigInteger maxFeePerGasWei, long pollMs,
                           long requestTimeoutMs, int maxInFlight, WalletPolicy policy) {
    public static final String DEFAULT_FILE_NAME = "wallet.json";
    public static final String DEFAULT_KEYSTORE = "wallet/keystore.json";
    public static final int MAX_FILE_BYTES = 256 * 1024;
    public static final int MAX_CONFIRMATIONS = 1_000;
    public static final int MAX_IN_FLIGHT = 64;
    private static final Set<String> KEYS = Set.of("rpcUrl", "chainId", "keystore", "address", "confirmations",
            "bumpAfterMs", "maxFeePerGasGwei", "pollMs", "requestTimeoutMs", "maxInFlight", "policy");
    private static final Set<String> POLICY_KEYS = Set.of("perTxCapEther", "dailyBudgetEther", "allowedRecipients",
            "maxSpendsPerWindow", "velocityWindowMs", "approvalAboveEther", "approvalTimeoutMs", "killSwitch");

    /**
     * Reads {@code file}; a relative {@code keystore} is resolved against {@code home}. Without a {@code keystore}
     * key, {@code <home>/wallet/keystore.json} is this node's key when that file exists. Throws
     * IllegalArgumentException naming the file and the place for every mistake.
     */
    public static WalletConfig read(Path file, Path home) throws IOException {
        JsonNode root = StrictJson.readFile(file, "wallet config", MAX_FILE_BYTES, StrictJson.ParseErrors.QUOTE);
        return parse(root, "wallet config " + file, home);
    }

    static WalletConfig parse(JsonNode root, String where, Path home) {
        if (!root.isObject()) {
            throw new IllegalArgumentException(where + ": a JSON object is expected");
        }
        StrictJson.refuseUnknownKeys(root, KEYS, where);
        URI rpc = URI.create(requiredText(root, "rpcUrl", where));
        String scheme = String.valueOf(rpc.getScheme());
        if (!scheme.equals("http") && !scheme.equals("https") || rpc.getHost() == null) {
            throw new IllegalArgumentException(where + ": rpcUrl must be http(s)://host[:port][/path], got " + rpc);
        }
        long chainId = StrictJson.longField(root, "chainId", -1, where);
        if (chainId < 1) {
            throw new IllegalArgumentException(where + ": chainId is required, a whole number >= 1");
        }
        Optional<Path> keystore;
        if (root.has("keystore")) {
            Path k = Path.of(requiredText(root, "keystore", where));
            keystore = Optional.of(k.isAbsolute() ? k : home.resolve(k));
        } else {
            Path k = home.resolve(DEFAULT_KEYSTORE);
            keystore = Files.exists(k) ? Optional.of(k) : Optional.empty();
        }
        Optional<EthAddress> address = Optional.empty();
        if (root.has("address")) {
            try {
                address = Optional.of(EthAddress.parse(requiredText(root, "address", where)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": address: " + e.getMessage());
            }
        }
        if (keystore.isPresent() && Files.exists(keystore.get())) {
            EthAddress fromKey;
            try {
                fromKey = io.agentmesh.node.wallet.chain.Keystore.address(keystore.get());
            } catch (IOException | io.agentmesh.node.wallet.chain.Keystore.KeystoreException e) {
                throw new IllegalArgumentException(where + ": keystore: " + e.getMessage());
            }
            if (address.isPresent() && !address.get().equals(fromKey)) {
                throw new IllegalArgumentException(where + ": address " + address.get() + " is not the keystore's ("
                        + fromKey + ")");
            }
            address = Optional.of(fromKey);
        } else if (keystore.isPresent() && root.has("keystore")) {
            throw new IllegalArgumentException(where + ": keystore " + keystore.get() + " does not exist (create it"
                    + " with `agentmesh wallet keygen` or leave \"keystore\" out on a node without the key)");
        }
        if (address.isEmpty()) {
            throw new IllegalArgumentException(where + ": this node holds no keystore, so \"address\" (the wallet's"
                    + " address) is required");
        }
        OptionalInt confirmations;
        JsonNode c = root.get("confirmations");
        if (c == null) {
            confirmations = OptionalInt.of(1);
        } else if (c.isTextual() && c.asText().equals("finalized")) {
            confirmations = OptionalInt.empty();
        } else if (c.isIntegralNumber() && c.canConvertToInt() && c.asInt() >= 1 && c.asInt() <= MAX_CONFIRMATIONS) {
            confirmations = OptionalInt.of(c.asInt());
        } else {
            throw new IllegalArgumentException(where + ": confirmations is 1 to " + MAX_CONFIRMATIONS
                    + " or \"finalized\", got " + c);
        }
        long bumpAfterMs = range(root, "bumpAfterMs", 30_000, 100, 24L * 3_600_000, where);
        BigInteger maxFee = root.has("maxFeePerGasGwei")
                ? amount(root, "maxFeePerGasGwei", where, true) : BigInteger.valueOf(100).multiply(Amounts.WEI_PER_GWEI);
        if (maxFee.signum() <= 0) {
            throw new IllegalArgumentException(where + ": maxFeePerGasGwei must be more than 0");
        }
        long pollMs = range(root, "pollMs", 1_000, 10, 600_000, where);
        long requestTimeoutMs = range(root, "requestTimeoutMs", 10_000, 100, 300_000, where);
        int maxInFlight = (int) range(root, "maxInFlight", 16, 1, MAX_IN_FLIGHT, where);
        JsonNode p = root.get("policy");
        if (p == null || !p.isObject()) {
            throw new IllegalArgumentException(where + ": policy is required (an object with at least perTxCapEther and"
                    + " dailyBudgetEther)");
        }
        return new WalletConfig(rpc, chainId, keystore, address.get(), confirmations, bumpAfterMs, maxFee, pollMs,
                requestTimeoutMs, maxInFlight, policy(p, where + ": policy"));
    }

    private static WalletPolicy policy(JsonNode p, String where) {
        StrictJson.refuseUnknownKeys(p, POLICY_KEYS, where);
        if (!p.has("perTxCapEther") || !p.has("dailyBudgetEther")) {
            throw new IllegalArgumentException(where + ": perTxCapEther and dailyBudgetEther are required");
        }
        List<String> allowed = new ArrayList<>();
        JsonNode a = p.get("allowedRecipients");
        if (a != null) {
            if (!a.isArray()) {
                throw new IllegalArgumentException(where + ": allowedRecipients is a list of addresses");
            }
            for (JsonNode e : a) {
                try {
                    allowed.add(EthAddress.parse(e.isTextual() ? e.asText() : e.toString()).hex());
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(where + ": allowedRecipients: " + ex.getMessage());
                }
            }
        }
        JsonNode kill = p.get("killSwitch");
        if (kill != null && !kill.isBoolean()) {
            throw new IllegalArgumentException(where + ": killSwitch is true or false");
        }
        try {
            return new WalletPolicy(amount(p, "perTxCapEther", where, false), amount(p, "dailyBudgetEther", where, false),
                    allowed, (int) range(p, "maxSpendsPerWindow", 100, 0, WalletPolicy.MAX_SPENDS_PER_WINDOW, where),
                    range(p, "velocityWindowMs", 3_600_000, 1, WalletPolicy.MAX_VELOCITY_WINDOW_MS, where),
                    p.has("approvalAboveEther") ? Optional.of(amount(p, "approvalAboveEther", where, false))
                            : Optional.empty(),
                    range(p, "approvalTimeoutMs", 3_600_000, 1, WalletPolicy.MAX_APPROVAL_TIMEOUT_MS, where),
                    kill != null && kill.asBoolean());
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    /** An exact decimal amount (a JSON number or a string) in ether, or in gwei when {@code gwei}. */
    private static BigInteger amount(JsonNode o, String field, String where, boolean gwei) {
        JsonNode v = o.get(field);
        String text = v.isNumber() ? v.decimalValue().toPlainString() : v.isTextual() ? v.asText() : null;
        if (text == null) {
            throw new IllegalArgumentException(where + ": " + field + " is a decimal number, got " + v);
        }
        try {
            return gwei ? Amounts.gwei(text, field) : Amounts.ether(text, field);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static long range(JsonNode o, String field, long fallback, long min, long max, String where) {
        long v = StrictJson.longField(o, field, fallback, where);
        if (v < min || v > max) {
            throw new IllegalArgumentException(where + ": " + field + " is " + min + " to " + max + ", got " + v);
        }
        return v;
    }

    private static String requiredText(JsonNode o, String field, String where) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": " + field + " is required (a string)");
        }
        return v.asText();
    }
}
