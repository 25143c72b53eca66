package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.wallet.chain.EthAddress;
import io.agentmesh.node.wallet.chain.Keystore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;

/**
 * {@code agentmesh wallet ...} (docs/wallet.md, "Using the wallet"): the node-local key ({@code keygen},
 * {@code import}, {@code address}, offline) and the running wallet through a node's HTTP API ({@code status},
 * {@code send}, {@code approve}, {@code reject}, {@code cancel}).
 */
@Command(name = "wallet", mixinStandardHelpOptions = true,
        description = "The agent's wallet (docs/wallet.md): its key on this node, its status, spends and approvals.",
        subcommands = {WalletCommand.Keygen.class, WalletCommand.Import.class, WalletCommand.Address.class,
                WalletCommand.Status.class, WalletCommand.Send.class, WalletCommand.Approve.class,
                WalletCommand.Reject.class, WalletCommand.Cancel.class})
public final class WalletCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Create this node's wallet key: a new random secp256k1 key in a V3 keystore (scrypt,"
                    + " AES-128-CTR) encrypted with the node passphrase, at <home>/wallet/keystore.json unless"
                    + " --keystore. Never overwrites a key. Prints the address.",
                    "Every node that should sign holds a copy of the same keystore (copy the file; it is"
                            + " encrypted); the key never enters the replicated state or backups."})
    static final class Keygen implements Callable<Integer> {
        @Mixin
        KeystoreOptions keystore;

        @Override
        public Integer call() throws Exception {
            Path file = keystore.path();
            EthAddress a = Keystore.create(file, keystore.passphrase(), new SecureRandom(), Keystore.Scrypt.STANDARD);
            System.out.println(a.checksummed());
            System.err.println("wallet key created in " + file + " (fund this address; copy the file to every node"
                    + " that should sign)");
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import an existing private key (64 hex digits, read from standard input, never from the"
                    + " command line) into a V3 keystore encrypted with the node passphrase. Prints the address.")
    static final class Import implements Callable<Integer> {
        @Mixin
        KeystoreOptions keystore;

        @Override
        public Integer call() throws Exception {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String key = in.readLine();
            if (key == null) {
                throw new IllegalArgumentException("give the private key on standard input");
            }
            EthAddress a = Keystore.importKey(keystore.path(), key, keystore.passphrase(), new SecureRandom(),
                    Keystore.Scrypt.STANDARD);
            System.out.println(a.checksummed());
            return 0;
        }
    }

    @Command(name = "address", mixinStandardHelpOptions = true,
            description = "Print the address of this node's wallet keystore (no passphrase needed).")
    static final class Address implements Callable<Integer> {
        @Mixin
        KeystoreOptions keystore;

        @Override
        public Integer call() throws Exception {
            System.out.println(Keystore.address(keystore.path()).checksummed());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the wallet: address, balance, budget left, frozen or not, pending and completed"
                    + " spends, approvals waiting, and the driver on this node.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The node's HTTP API.")
        String http;
        @Option(names = "--json", description = "Print the node's JSON as it came.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode s = request(http, "GET", "/v1/wallet?completed=10", null, 10_000);
            if (json) {
                System.out.println(s.toPrettyString());
            } else {
                print(s, System.out);
            }
            return s.path("frozen").asBoolean() ? 3 : 0;
        }

        static void print(JsonNode s, PrintStream out) {
            out.printf("wallet %s on chain %d%n", s.path("address").asText(), s.path("chainId").asLong());
            out.printf("balance %s ether%s%n", s.path("balanceEther").asText("?"),
                    s.has("chainError") ? " (chain: " + s.path("chainError").asText() + ")" : "");
            out.printf("budget left today %s ether; next nonce %d%n", s.path("budgetLeftEther").asText(),
                    s.path("nextNonce").asLong());
            if (s.path("frozen").asBoolean()) {
                out.println("FROZEN: " + s.path("frozenReason").asText());
            }
            JsonNode d = s.path("driver");
            out.printf("this node: %s, %s%s%n", d.path("leader").asBoolean() ? "leader" : "not the leader",
                    d.path("holdsKey").asBoolean() ? "holds the key" : "holds no key",
                    d.has("lastIssue") ? "; last issue: " + d.path("lastIssue").asText() : "");
            for (String section : new String[]{"approvalsWaiting", "pending", "completed"}) {
                if (s.path(section).isEmpty()) {
                    continue;
                }
                out.println();
                out.println(section + ":");
                out.printf("  %6s %-14s %-24s %-42s %12s %6s  %s%n", "ID", "STATE", "KEY", "TO", "ETHER", "NONCE",
                        "HASH");
                for (JsonNode sp : s.path(section)) {
                    out.printf("  %6d %-14s %-24s %-42s %12s %6s  %s%n", sp.path("id").asLong(),
                            sp.path("state").asText(), cut(sp.path("idempotencyKey").asText(), 24),
                            sp.path("to").asText(), sp.path("valueEther").asText(),
                            sp.has("nonce") ? sp.path("nonce").asText() : "-",
                            sp.path("finalHash").asText(sp.path("hashes").path(sp.path("hashes").size() - 1)
                                    .asText("-")));
                }
            }
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = "Ask the leader to spend: claimed under --key (retrying with the same key never pays"
                    + " twice), checked against the policy, signed, broadcast and completed. Prints the spend.")
    static final class Send implements Callable<Integer> {
        @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The leader's HTTP API.")
        String http;
        @Option(names = "--key", required = true, description = "The idempotency key.")
        String key;
        @Option(names = "--to", required = true, description = "The recipient address.")
        String to;
        @Option(names = "--ether", description = "The value in ether (a decimal).")
        String ether;
        @Option(names = "--wei", description = "The value in wei (a whole number).")
        String wei;
        @Option(names = "--data", description = "Call data, 0x hex.")
        String data;
        @Option(names = "--wait", defaultValue = "60", description = "Seconds to wait for the spend to end.")
        long waitSeconds;

        @Override
        public Integer call() throws Exception {
            if ((ether == null) == (wei == null)) {
                throw new IllegalArgumentException("give exactly one of --ether and --wei");
            }
            ObjectNode b = JSON.createObjectNode();
            b.put("idempotencyKey", key);
            b.put("to", to);
            if (ether != null) {
                b.put("valueEther", ether);
            } else {
                b.put("valueWei", wei);
            }
            if (data != null) {
                b.put("data", data);
            }
            b.put("waitSeconds", waitSeconds);
            JsonNode s = request(http, "POST", "/v1/wallet/spend", b, (waitSeconds + 30) * 1000);
            System.out.println(s.toPrettyString());
            return s.path("state").asText().equals("COMPLETED") ? 0 : s.path("terminal").asBoolean() ? 3 : 4;
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approve a spend waiting for a human (its value is above the policy's threshold).")
    static final class Approve implements Callable<Integer> {
        @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The leader's HTTP API.")
        String http;
        @Option(names = "--id", required = true, description = "The spend's id.")
        long id;
        @Option(names = "--by", required = true, description = "Who approves (recorded in the ledger).")
        String by;

        @Override
        public Integer call() throws Exception {
            ObjectNode b = JSON.createObjectNode().put("id", id).put("by", by);
            System.out.println(request(http, "POST", "/v1/wallet/approve", b, 30_000).toPrettyString());
            return 0;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancel a spend: at no cost before it has a nonce, else by a zero-value self-transfer at its"
                    + " nonce. The answer says which variant the chain mined (COMPLETED when the original won).")
    static final class Cancel implements Callable<Integer> {
        @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The leader's HTTP API.")
        String http;
        @Option(names = "--id", description = "The spend's id.")
        Long id;
        @Option(names = "--key", description = "The spend's idempotency key (instead of --id).")
        String key;
        @Option(names = "--by", required = true, description = "Who cancels (recorded in the ledger).")
        String by;
        @Option(names = "--wait", defaultValue = "30", description = "Seconds to wait for the outcome (0 to 300).")
        long waitSeconds;

        @Override
        public Integer call() throws Exception {
            if ((id == null) == (key == null)) {
                System.err.println("give exactly one of --id and --key");
                return 2;
            }
            ObjectNode b = JSON.createObjectNode().put("by", by).put("waitSeconds", waitSeconds);
            if (id != null) {
                b.put("id", id);
            } else {
                b.put("idempotencyKey", key);
            }
            JsonNode s = request(http, "POST", "/v1/wallet/cancel", b, (waitSeconds + 30) * 1000);
            System.out.println(s.toPrettyString());
            String state = s.path("state").asText();
            return state.equals("CANCELLED") || state.equals("REJECTED") ? 0 : s.path("terminal").asBoolean() ? 3 : 4;
        }
    }

    @Command(name = "reject", mixinStandardHelpOptions = true,
            description = "Reject a spend that has no nonce yet (claimed or waiting for approval): it ends at no cost.")
    static final class Reject implements Callable<Integer> {
        @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The leader's HTTP API.")
        String http;
        @Option(names = "--id", required = true, description = "The spend's id.")
        long id;
        @Option(names = "--by", required = true, description = "Who rejects (recorded in the ledger).")
        String by;
        @Option(names = "--reason", defaultValue = "", description = "Why.")
        String reason;

        @Override
        public Integer call() throws Exception {
            ObjectNode b = JSON.createObjectNode().put("id", id).put("by", by).put("reason", reason);
            System.out.println(request(http, "POST", "/v1/wallet/reject", b, 30_000).toPrettyString());
            return 0;
        }
    }

    /** One request to the node's wallet endpoints; a non-2xx answer is an IOException with the node's error. */
    static JsonNode request(String http, String method, String path, JsonNode body, long timeoutMs)
            throws IOException, InterruptedException {
        HttpResponse<String> r = NodeHttp.exchange(http, method, path, body == null ? null : body.toString(), timeoutMs,
                HttpResponse.BodyHandlers.ofString());
        JsonNode answer;
        try {
            answer = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IOException("the node at " + http + " answered " + r.statusCode() + " with something that is"
                    + " not JSON");
        }
        if (r.statusCode() / 100 != 2) {
            throw new IOException("node at " + http + " answered " + r.statusCode() + " ("
                    + answer.path("code").asText("") + "): " + answer.path("error").asText(r.body()));
        }
        return answer;
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
