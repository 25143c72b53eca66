import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake LLM provider for trying agentmesh without an account: it speaks OpenAI's chat completions on loopback and
 * answers every request with a short reply derived from the last user message, with usage figures, so a node's
 * gateway routes, counts and prices its calls as it would a real provider's. It knows nothing; it is not shipped in
 * any jar. `agentmesh up` starts it and points each node's llm.json at it.
 *
 * <pre>
 * java examples/fake-llm/FakeLlm.java [--port N] [--port-file FILE] [--require-key KEY] [--exit-on-stdin-eof]
 *
 * POST /v1/chat/completions   JSON, or SSE when "stream": true (chunks, the finish chunk, the usage chunk when
 *                             stream_options.include_usage is true, then data: [DONE])
 * GET  /v1/models             the one model, fake-small (any model name is answered)
 * </pre>
 *
 * Usage counts a token per 4 characters (rounded up) plus 4 per message, deterministically; max_tokens or
 * max_completion_tokens cuts the reply (finish_reason "length"). Single file, JDK only: run it with the JDK's
 * source launcher.
 */
public final class FakeLlm {
    static final String MODEL = "fake-small";
    static final int MAX_BODY_BYTES = 1 << 20;
    private final String requiredKey;
    private final AtomicLong requests = new AtomicLong();

    FakeLlm(String requiredKey) {
        this.requiredKey = requiredKey;
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        Path portFile = null;
        String key = null;
        boolean exitOnEof = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = number(value(args, ++i, "--port"), "--port");
                case "--port-file" -> portFile = Path.of(value(args, ++i, "--port-file"));
                case "--require-key" -> key = value(args, ++i, "--require-key");
                case "--exit-on-stdin-eof" -> exitOnEof = true;
                default -> {
                    System.err.println("usage: java FakeLlm.java [--port N] [--port-file FILE] [--require-key KEY]"
                            + " [--exit-on-stdin-eof]");
                    System.exit(2);
                }
            }
        }
        if (port < 0 || port > 65535) {
            System.err.println("fake-llm: --port must be 0..65535");
            System.exit(2);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.setExecutor(Executors.newFixedThreadPool(8));
        FakeLlm fake = new FakeLlm(key);
        server.createContext("/", fake::handle);
        server.start();
        int bound = server.getAddress().getPort();
        if (portFile != null) {
            // Written then renamed, so whoever polls for it never reads half a number.
            Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
            Files.writeString(tmp, Integer.toString(bound));
            Files.move(tmp, portFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.println("fake-llm: listening on http://127.0.0.1:" + bound + "/v1 (model " + MODEL
                + (key == null ? ", no key" : ", bearer key required") + ")");
        if (exitOnEof) {
            // The parent holds our stdin: when it dies, even by kill -9, the pipe closes and we go with it.
            Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // discard
                    }
                } catch (IOException e) {
                    // closed: the same as end of input
                }
                System.out.println("fake-llm: stdin closed, stopping after " + fake.requests.get() + " requests");
                server.stop(0);
                System.exit(0);
            }, "stdin-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    private static int number(String text, String option) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            System.err.println("fake-llm: " + option + " takes a number, got " + text);
            System.exit(2);
            return -1;
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println("fake-llm: " + option + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (requiredKey != null && !("Bearer " + requiredKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                error(ex, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided");
                return;
            }
            if (path.equals("/v1/models") && ex.getRequestMethod().equals("GET")) {
                send(ex, 200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"" + MODEL
                        + "\",\"object\":\"model\",\"created\":0,\"owned_by\":\"agentmesh-examples\"}]}");
            } else if (path.equals("/v1/chat/completions") && ex.getRequestMethod().equals("POST")) {
                complete(ex);
            } else {
                error(ex, 404, "invalid_request_error", "unknown_url", "Unknown request URL: "
                        + ex.getRequestMethod() + " " + path);
            }
        } catch (RuntimeException e) {
            System.err.println("fake-llm: request failed: " + e);
        }
    }

    private void complete(HttpExchange ex) throws IOException {
        Object parsed;
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                error(ex, 413, "invalid_request_error", null, "request body over " + MAX_BODY_BYTES + " bytes");
                return;
            }
            parsed = new Json(new String(body, StandardCharsets.UTF_8)).parse();
        } catch (IllegalArgumentException e) {
            error(ex, 400, "invalid_request_error", null, "We could not parse the JSON body: " + e.getMessage());
            return;
        }
        if (!(parsed instanceof Map<?, ?> request) || !(request.get("messages") instanceof List<?> messages)
                || messages.isEmpty()) {
            error(ex, 400, "invalid_request_error", null, "'messages' is a required non-empty array");
            return;
        }
        String model = request.get("model") instanceof String m ? m : MODEL;
        boolean stream = Boolean.TRUE.equals(request.get("stream"));
        boolean includeUsage = request.get("stream_options") instanceof Map<?, ?> o
                && Boolean.TRUE.equals(o.get("include_usage"));
        long maxTokens = limit(request.get("max_completion_tokens"), limit(request.get("max_tokens"), Long.MAX_VALUE));

        long promptTokens = 0;
        String lastUser = "";
        for (Object message : messages) {
            String text = message instanceof Map<?, ?> m ? text(m.get("content")) : "";
            promptTokens += 4 + tokens(text);
            if (message instanceof Map<?, ?> m && "user".equals(m.get("role"))) {
                lastUser = text;
            }
        }
        String reply = reply(lastUser);
        String finish = "stop";
        if (tokens(reply) > maxTokens) {
            reply = reply.substring(0, (int) Math.min(reply.length(), maxTokens * 4));
            finish = "length";
        }
        long completionTokens = tokens(reply);
        String usage = "{\"prompt_tokens\":" + promptTokens + ",\"completion_tokens\":" + completionTokens
                + ",\"total_tokens\":" + (promptTokens + completionTokens) + "}";
        long n = requests.incrementAndGet();
        String id = "chatcmpl-fake-" + n;
        System.out.println("fake-llm: request " + n + " model " + model + (stream ? " streamed" : "") + ", "
                + promptTokens + " prompt and " + completionTokens + " completion tokens, finish " + finish);
        if (!stream) {
            send(ex, 200, "application/json", "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":"
                    + created() + ",\"model\":" + quote(model) + ",\"choices\":[{\"index\":0,\"message\":"
                    + "{\"role\":\"assistant\",\"content\":" + quote(reply) + "},\"finish_reason\":\"" + finish
                    + "\"}],\"usage\":" + usage + "}");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        String head = "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":" + created()
                + ",\"model\":" + quote(model) + ",\"choices\":";
        String tail = includeUsage ? ",\"usage\":null}" : "}";
        event(out, head + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]"
                + tail);
        for (String piece : pieces(reply)) {
            event(out, head + "[{\"index\":0,\"delta\":{\"content\":" + quote(piece) + "},\"finish_reason\":null}]"
                    + tail);
        }
        event(out, head + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"" + finish + "\"}]" + tail);
        if (includeUsage) {
            event(out, head + "[],\"usage\":" + usage + "}");
        }
        event(out, "[DONE]");
    }

    /** The deterministic answer: what the model "heard", so an agent's log shows its own prompt came back. */
    static String reply(String lastUser) {
        String heard = lastUser.strip().replaceAll("\\s+", " ");
        long words = heard.isEmpty() ? 0 : heard.split(" ").length;
        if (heard.length() > 60) {
            heard = heard.substring(0, 57) + "...";
        }
        return "Fake reply to \"" + heard + "\" (" + words + " words). I am a fake model: wire a real provider in"
                + " llm.json for real answers.";
    }

    /** The reply in word-sized pieces (each with its following space), as a real stream arrives. */
    static List<String> pieces(String reply) {
        List<String> pieces = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < reply.length(); i++) {
            if (reply.charAt(i) == ' ') {
                pieces.add(reply.substring(start, i + 1));
                start = i + 1;
            }
        }
        if (start < reply.length()) {
            pieces.add(reply.substring(start));
        }
        return pieces;
    }

    static long tokens(String text) {
        return (text.length() + 3) / 4;
    }

    private static long limit(Object value, long fallback) {
        return value instanceof Number n && n.longValue() > 0 ? n.longValue() : fallback;
    }

    /** A message's content: a string, or an array of parts whose text parts are joined. */
    private static String text(Object content) {
        if (content instanceof String s) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        if (content instanceof List<?> parts) {
            for (Object part : parts) {
                if (part instanceof Map<?, ?> p && p.get("text") instanceof String t) {
                    b.append(b.isEmpty() ? "" : "\n").append(t);
                }
            }
        }
        return b.toString();
    }

    private static long created() {
        return System.currentTimeMillis() / 1000;
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void error(HttpExchange ex, int status, String type, String code, String message)
            throws IOException {
        send(ex, status, "application/json", "{\"error\":{\"message\":" + quote(message) + ",\"type\":\"" + type
                + "\",\"param\":null,\"code\":" + (code == null ? "null" : "\"" + code + "\"") + "}}");
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** A small strict JSON reader (objects as maps, arrays as lists, numbers as Long or Double). */
    static final class Json {
        private static final int MAX_DEPTH = 64;
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value(0);
            skipSpace();
            if (i != s.length()) {
                throw new IllegalArgumentException("unexpected text at offset " + i);
            }
            return v;
        }

        private Object value(int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
            }
            skipSpace();
            if (i >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> map = new LinkedHashMap<>();
                skipSpace();
                if (peek('}')) {
                    return map;
                }
                do {
                    skipSpace();
                    String key = string();
                    skipSpace();
                    expect(':');
                    map.put(key, value(depth + 1));
                    skipSpace();
                } while (peek(','));
                expect('}');
                return map;
            }
            if (c == '[') {
                i++;
                List<Object> list = new ArrayList<>();
                skipSpace();
                if (peek(']')) {
                    return list;
                }
                do {
                    list.add(value(depth + 1));
                    skipSpace();
                } while (peek(','));
                expect(']');
                return list;
            }
            if (c == '"') {
                return string();
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String number = s.substring(start, i);
            try {
                return number.matches("-?\\d{1,18}") ? (Object) Long.parseLong(number) : (Object) Double.parseDouble(number);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad value at offset " + start);
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw new IllegalArgumentException("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) {
                    throw new IllegalArgumentException("unterminated escape");
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw new IllegalArgumentException("bad \\u escape");
                        }
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw new IllegalArgumentException("bad escape \\" + e);
                }
            }
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw new IllegalArgumentException("expected '" + c + "' at offset " + i);
            }
        }
    }
}
