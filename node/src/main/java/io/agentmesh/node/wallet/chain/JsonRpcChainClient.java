package io.agentmesh.node.wallet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link ChainClient} over JSON-RPC 2.0 on HTTP(S), with the JDK's HttpClient: one POST per call, a connect and a
 * request timeout, and a bound on the answer's size. web3j's own client is not used: it brings OkHttp, RxJava and
 * Jackson 3 for eight methods (docs/wallet.md, "Dependencies").
 *
 * <p>Classification: a transport failure (refused, reset, timeout), an HTTP status other than 200, or an answer that is
 * not the JSON-RPC shape is {@link ChainException.LookAgain}; a JSON-RPC error is {@link ChainException.Definite} only
 * for "method not found" (-32601) and "invalid params" (-32602) on a read, and always {@code LookAgain} on
 * {@code eth_sendRawTransaction} (the bytes may be known to the chain whatever the node says).
 */
public final class JsonRpcChainClient implements ChainClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SEND = "eth_sendRawTransaction";

    private final URI endpoint;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final int maxResponseBytes;
    private final AtomicLong ids = new AtomicLong();

    /**
     * @param endpoint         the node's URL (http or https)
     * @param connectTimeoutMs bound on opening a connection
     * @param requestTimeoutMs bound on one call, answer included
     * @param maxResponseBytes bound on one answer (a block with its transactions is the largest)
     */
    public JsonRpcChainClient(URI endpoint, long connectTimeoutMs, long requestTimeoutMs, int maxResponseBytes) {
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
            throw new IllegalArgumentException("the chain's RPC URL must be http(s)://host[:port][/path], got "
                    + endpoint);
        }
        if (connectTimeoutMs <= 0 || requestTimeoutMs <= 0 || maxResponseBytes <= 0) {
            throw new IllegalArgumentException("timeouts and the response bound must be positive");
        }
        this.endpoint = endpoint;
        this.requestTimeout = Duration.ofMillis(requestTimeoutMs);
        this.maxResponseBytes = maxResponseBytes;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(connectTimeoutMs))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public long chainId() throws ChainException {
        BigInteger id = quantity("eth_chainId", call("eth_chainId"));
        if (id.signum() <= 0 || id.bitLength() > 63) {
            throw new ChainException.LookAgain("eth_chainId", null, "implausible chain id " + id, null);
        }
        return id.longValueExact();
    }

    @Override
    public BigInteger transactionCount(EthAddress address, BlockTag tag) throws ChainException {
        return quantity("eth_getTransactionCount", call("eth_getTransactionCount", address.hex(), tag.wire()));
    }

    @Override
    public BigInteger balanceWei(EthAddress address, BlockTag tag) throws ChainException {
        return quantity("eth_getBalance", call("eth_getBalance", address.hex(), tag.wire()));
    }

    @Override
    public Optional<Block> block(BlockTag tag) throws ChainException {
        return parseBlock(call("eth_getBlockByNumber", tag.wire(), false));
    }

    @Override
    public Optional<Block> block(long number) throws ChainException {
        return parseBlock(call("eth_getBlockByNumber", Numeric.encodeQuantity(BigInteger.valueOf(number)), false));
    }

    @Override
    public List<ChainTx> transactions(long number) throws ChainException {
        JsonNode b = call("eth_getBlockByNumber", Numeric.encodeQuantity(BigInteger.valueOf(number)), true);
        if (b.isNull()) {
            return List.of();
        }
        JsonNode txs = b.get("transactions");
        if (txs == null || !txs.isArray()) {
            throw malformed("eth_getBlockByNumber", "a block without a transactions array");
        }
        List<ChainTx> out = new ArrayList<>(txs.size());
        for (JsonNode t : txs) {
            JsonNode to = t.get("to");
            out.add(new ChainTx(text("eth_getBlockByNumber", t, "hash"),
                    address("eth_getBlockByNumber", text("eth_getBlockByNumber", t, "from")),
                    to == null || to.isNull() ? Optional.empty()
                            : Optional.of(address("eth_getBlockByNumber", to.asText())),
                    quantity("eth_getBlockByNumber", t.get("nonce")), quantity("eth_getBlockByNumber", t.get("value"))));
        }
        return out;
    }

    @Override
    public BigInteger maxPriorityFeePerGasWei() throws ChainException {
        return quantity("eth_maxPriorityFeePerGas", call("eth_maxPriorityFeePerGas"));
    }

    @Override
    public BigInteger estimateGas(EthAddress from, EthAddress to, BigInteger valueWei, byte[] data)
            throws ChainException {
        ObjectNode tx = JSON.createObjectNode();
        tx.put("from", from.hex());
        tx.put("to", to.hex());
        tx.put("value", Numeric.encodeQuantity(valueWei));
        if (data.length > 0) {
            tx.put("data", Numeric.toHexString(data));
        }
        return quantity("eth_estimateGas", call("eth_estimateGas", tx));
    }

    @Override
    public String sendRawTransaction(byte[] raw) throws ChainException.LookAgain {
        try {
            return text(SEND, call(SEND, Numeric.toHexString(raw)));
        } catch (ChainException.LookAgain e) {
            throw e;
        } catch (ChainException e) {
            throw new ChainException.LookAgain(SEND, e.rpcCode(), e.getMessage(), e);
        }
    }

    @Override
    public Optional<Receipt> receipt(String txHash) throws ChainException {
        String m = "eth_getTransactionReceipt";
        JsonNode r = call(m, txHash);
        if (r.isNull()) {
            return Optional.empty();
        }
        JsonNode blockNumber = r.get("blockNumber");
        if (blockNumber == null || blockNumber.isNull()) {
            return Optional.empty();
        }
        JsonNode price = r.get("effectiveGasPrice");
        return Optional.of(new Receipt(text(m, r, "transactionHash"), quantity(m, blockNumber).longValueExact(),
                text(m, r, "blockHash"), quantity(m, r.get("status")).signum() != 0, quantity(m, r.get("gasUsed")),
                price == null || price.isNull() ? BigInteger.ZERO : quantity(m, price),
                address(m, text(m, r, "from"))));
    }

    private Optional<Block> parseBlock(JsonNode b) throws ChainException {
        String m = "eth_getBlockByNumber";
        if (b.isNull()) {
            return Optional.empty();
        }
        JsonNode base = b.get("baseFeePerGas");
        return Optional.of(new Block(quantity(m, b.get("number")).longValueExact(), text(m, b, "hash"),
                base == null || base.isNull() ? Optional.empty() : Optional.of(quantity(m, base))));
    }

    /** One call: the result node (JSON null when the node answered null), or the classified failure. */
    private JsonNode call(String method, Object... params) throws ChainException {
        ObjectNode body = JSON.createObjectNode();
        long id = ids.incrementAndGet();
        body.put("jsonrpc", "2.0");
        body.put("id", id);
        body.put("method", method);
        ArrayNode ps = body.putArray("params");
        for (Object p : params) {
            ps.add(JSON.valueToTree(p));
        }
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<InputStream> response;
        byte[] bytes;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                bytes = in.readNBytes(maxResponseBytes + 1);
            }
        } catch (HttpTimeoutException e) {
            throw new ChainException.LookAgain(method, null, "no answer within " + requestTimeout.toMillis() + " ms",
                    e);
        } catch (IOException e) {
            throw new ChainException.LookAgain(method, null, "transport error: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChainException.LookAgain(method, null, "interrupted", e);
        }
        if (bytes.length > maxResponseBytes) {
            throw new ChainException.LookAgain(method, null, "answer larger than " + maxResponseBytes + " bytes", null);
        }
        if (response.statusCode() != 200) {
            throw new ChainException.LookAgain(method, null, "HTTP " + response.statusCode(), null);
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(bytes);
        } catch (IOException e) {
            throw malformed(method, "an answer that is not JSON");
        }
        if (answer == null || !answer.isObject() || answer.path("id").asLong(-1) != id) {
            throw malformed(method, "an answer that is not this call's JSON-RPC response");
        }
        JsonNode error = answer.get("error");
        if (error != null && !error.isNull()) {
            int code = error.path("code").asInt(0);
            String message = error.path("message").asText("(no message)");
            if ((code == -32601 || code == -32602) && !method.equals(SEND)) {
                throw new ChainException.Definite(method, code, message);
            }
            throw new ChainException.LookAgain(method, code, message, null);
        }
        JsonNode result = answer.get("result");
        if (result == null) {
            throw malformed(method, "an answer with neither result nor error");
        }
        return result;
    }

    private static ChainException.LookAgain malformed(String method, String what) {
        return new ChainException.LookAgain(method, null, "the node sent " + what, null);
    }

    private static BigInteger quantity(String method, JsonNode n) throws ChainException.LookAgain {
        if (n == null || !n.isTextual()) {
            throw malformed(method, "a missing or non-text quantity");
        }
        try {
            BigInteger v = Numeric.decodeQuantity(n.asText());
            if (v.signum() < 0) {
                throw malformed(method, "a negative quantity");
            }
            return v;
        } catch (RuntimeException e) {
            throw malformed(method, "a malformed quantity \"" + n.asText() + "\"");
        }
    }

    private static String text(String method, JsonNode n) throws ChainException.LookAgain {
        if (n == null || !n.isTextual()) {
            throw malformed(method, "a missing or non-text value");
        }
        return n.asText();
    }

    private static String text(String method, JsonNode obj, String field) throws ChainException.LookAgain {
        JsonNode n = obj.get(field);
        if (n == null || !n.isTextual()) {
            throw malformed(method, "no text field \"" + field + "\"");
        }
        return n.asText().toLowerCase(Locale.ROOT);
    }

    private static EthAddress address(String method, String s) throws ChainException.LookAgain {
        try {
            return new EthAddress(s.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw malformed(method, "a malformed address");
        }
    }
}
