package io.agentmesh.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The node's HTTP API (JSON). Bound to loopback by default. Handler threads wait for the node thread and, for
 * writes, for the fsync, so a 2xx answer to a write means the write is durable.
 *
 * <pre>
 * GET  /, /ui/                  the dashboard ({@code dashboard.DashboardHttp}; static files, no state in them)
 * GET  /healthz                 200 while the process serves HTTP
 * GET  /readyz                  200 once the state is loaded and the store is healthy, else 503
 * GET  /metrics                 every meter of the node in the Prometheus text format ({@code metrics.NodeMeters})
 * GET  /v1/status               node, store and peer figures; consensus.outcomes: completions by status
 * GET  /v1/state                the whole agent state
 * GET  /v1/state/export         the raw Automerge document (application/octet-stream), as `agentmesh state export`
 *                               writes it; the CLI uses it while the node runs
 * GET  /v1/memory?limit=N       newest N memory entries, oldest first (default 100, max 10000), from the node's
 *                                published read view (never waits for the node thread; a write's answer comes after
 *                                the view holds it)
 * GET  /v1/memory?q=WORDS&tag=T&limit=N  search: the newest N entries (newest first) carrying tag T (exactly) whose
 *                                text, kind or tags contain every word (case-insensitive); q, tag or both; 400 for
 *                                any other parameter, a blank q, a tag over 64 chars, control characters in q
 * POST /v1/memory               {"text": "...", "kind": "note", "tags": ["a"]} -> 201 with the entry
 * PUT  /v1/notes                {"text": "..."} -> 204
 * POST /v1/tasks                {"id": "t1", "title": "...", "status": "TODO", "detail": "..."} -> 200
 *                               These three take ?durability=local (default: answered once durable here) or
 *                               ?durability=majority (answered once a majority of the Raft voters hold the change
 *                               durably; 503 "durable on this node, not yet acknowledged by a majority ..." when
 *                               they do not confirm it in time, the write staying durable here); 400 for another
 *                               value
 * POST /v1/intents              {"kind": "job", "payload": {...}} -> 201 with the intent; the leader performs it.
 *                                Takes ?durability= as the three above.
 *                                With header Agentmesh-Fence: T (the agent's AGENTMESH_FENCE): 409, changing nothing,
 *                                when this node knows a newer agent run (body: error, presentedFence, currentFence,
 *                                currentFenceNode); 400 when T is malformed; else the intent keeps T as its fence
 *                                (written <term>.<index>)
 * GET  /v1/intents?limit=N      the newest N intents by request time (default 50, max 1000), each with its outcome
 *                                ({"intents": [{"intent", "outcome"}]}, oldest first; outcome null until performed)
 * GET  /v1/intents/{id}         the intent (its fence: null when the request carried none) and its outcome (null
 *                                until performed); outcome.status is "succeeded",
 *                                "failed" or "uncertain" (the leader that started it was lost before it could report:
 *                                the world may or may not have seen it, and it is not run again)
 * POST /v1/schedules            {"id", "cron": "0 9 * * *", "zone": "Europe/Paris", "kind": "job", "payload": {},
 *                                "catchUp": "skip|once|all|all:N"} -> 200 with the schedule
 * GET|PUT|DELETE /v1/workspace[/file?path=P]  the agent's workspace files ({@code workspace.WorkspaceHttp})
 * GET  /v1/consensus/events?after=N  this node's role changes and applied claims after sequence number N (default
 *                                0), on its own clock; 404 when the node takes no part in consensus
 * GET  /v1/llm/status           the LLM gateway: health per target, calls in flight and open, budgets, today's
 *                                spend (docs/llm.md "Status and costs"); 404 on a node that keeps no LLM ledger
 * GET  /v1/llm/costs?days=N     spend per UTC day, provider and model over the last N days (1..400, default 7) and
 *                                totals
 * GET  /v1/llm/metrics          the same figures in the Prometheus text format (counters per provider and model)
 * /v1/wallet, /v1/wallet/...  the wallet (wallet.api.WalletHttp, docs/wallet.md): spend, status, approve, reject
 * POST /v1/backup[?target=ID]   backs up now (on the leader; waits for the run); 409 naming the leader on a follower
 * GET  /v1/backup               per target: the newest run's time, manifest, objects, bytes and error
 * POST /v1/drill[?target=ID]    runs the restore drill now (on the leader; waits for it) -> the signed report;
 *                                409 naming the leader on a follower
 * GET  /v1/drill                per target: the newest drill's summary and state (ok, failed, missing, none)
 * GET  /v1/revocations          the node removals this node enforces
 * POST /v1/revocations          a revocation in its JSON form (`agentmesh node remove --out`) -> 201 when new here,
 *                                200 when known; 400, changing nothing, when it is malformed or not signed by the
 *                                agent root. The node passes it to every peer.
 * GET  /v1/revocations/draft?node=node1...  what `agentmesh node remove` signs: the node's key and the cut
 * POST /llm/openai/v1/chat/completions  the agent's LLM calls in OpenAI's chat-completions format, JSON or SSE
 *                                (the OpenAI SDK's baseURL: http://HOST:PORT/llm/openai/v1); GET /llm/openai/v1/models
 * POST /llm/anthropic/v1/messages  the same in Anthropic's messages format (the Anthropic SDK's baseURL:
 *                                http://HOST:PORT/llm/anthropic); GET /llm/anthropic/v1/models. Served on the leader
 *                                through the gateway; errors in each format's own shape ({@code llm.api.LlmHttp},
 *                                docs/llm.md "Endpoints for the agent")
 * GET  /v1/admin/faults         fault rules (only with --enable-fault-injection)
 * POST /v1/admin/faults         {"action": "block", "peer": "node1..."} (only with --enable-fault-injection)
 * </pre>
 * Every request first passes the {@link ClientRateLimiter} (per client address: 429 with Retry-After over its limit)
 * and {@link ApiAccess}: the bearer token beyond loopback, no cross-origin calls.
 * On a witness (a voter that holds no agent state) every state and intent endpoint above answers 409 with
 * {@link #WITNESS_REFUSAL}; health, readiness, status, consensus events and faults work as on any node.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    static {
        // The JDK server leaves Nagle's algorithm on by default: a response of a few tens of kB then waits for the
        // client's delayed ACK, 40 ms a request (bench reads: a 20 kB search answer took 45 ms at p50). Read once,
        // when the JDK's server configuration is first loaded; an explicit -D setting wins.
        System.getProperties().putIfAbsent("sun.net.httpserver.nodelay", "true");
    }
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final int HANDLER_THREADS = 32;
    private static final int MAX_QUEUED_REQUESTS = 1024;
    private static final long REQUEST_TIMEOUT_MS = 30_000;
    public static final String WITNESS_REFUSAL = "this node is a witness: it holds no agent state; read and write"
            + " through a server";
    /**
     * Endpoints that read or write the agent state, which a witness does not hold ({@code /v1/intents/{id}} too). A
     * revocation draft is one: its cut is the changes held here and at peers, and a witness holds and sees none.
     */
    private static final java.util.Set<String> STATE_PATHS = java.util.Set.of("/v1/state", "/v1/state/export", "/v1/memory", "/v1/notes",
            "/v1/tasks", "/v1/intents", "/v1/schedules", "/v1/revocations/draft", "/v1/workspace",
            "/v1/workspace/file");

    private static final String NO_LLM_LEDGER = "this node keeps no LLM ledger (a witness): ask a server";
    /** The call ledger keeps this many days of spend. */
    private static final int MAX_COST_DAYS = 400;

    private final HttpServer server;
    private final ThreadPoolExecutor handlers;
    private final NodeOperations node;
    private final io.agentmesh.node.dashboard.DashboardHttp dashboard = new io.agentmesh.node.dashboard.DashboardHttp();
    private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private final ApiAccess access;
    private final Optional<ClientRateLimiter> limiter;

    /** An API without a token: {@code bind} must be a loopback address. */
    public HttpApi(InetSocketAddress bind, NodeOperations node, String nodeName) throws IOException {
        this(bind, node, nodeName, ApiAccess.Policy.none());
    }

    /** An API protected by {@code policy} ({@link ApiAccess}); refuses a non-loopback {@code bind} without a token. */
    public HttpApi(InetSocketAddress bind, NodeOperations node, String nodeName, ApiAccess.Policy policy)
            throws IOException {
        this(bind, node, nodeName, policy, Optional.empty());
    }

    /**
     * An API protected by {@code policy} whose clients are limited by {@code limiter} (checked first, before the
     * access rule, on every context).
     */
    public HttpApi(InetSocketAddress bind, NodeOperations node, String nodeName, ApiAccess.Policy policy,
                   Optional<ClientRateLimiter> limiter) throws IOException {
        this.limiter = limiter;
        this.access = ApiAccess.forBind(bind, policy, nodeName);
        this.node = node;
        this.server = HttpServer.create(bind, 128);
        this.handlers = new ThreadPoolExecutor(HANDLER_THREADS, HANDLER_THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_REQUESTS), r -> {
                    Thread t = new Thread(r, "http-" + nodeName);
                    t.setDaemon(true);
                    return t;
                }, (r, executor) -> {
                    throw new RejectedExecutionException("too many queued HTTP requests");
                });
        server.setExecutor(handlers);
        context("/", this::handle);
    }

    /**
     * Serves {@code handler} under {@code path} behind the same access rule as the API. Every context of this server
     * must be made here, never with {@code createContext} directly, or it would answer without the token.
     */
    public void context(String path, com.sun.net.httpserver.HttpHandler handler) {
        var filters = server.createContext(path, handler).getFilters();
        limiter.ifPresent(filters::add);
        filters.add(access);
    }

    /** API requests refused by the access rule, by reason (for the metrics). */
    public Map<String, Long> refusals() {
        return access.refusals();
    }

    /** Whether requests must carry the API token. */
    public boolean tokenRequired() {
        return access.tokenRequired();
    }

    public void start() {
        server.start();
    }

    /** The bound port (useful when bound to port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        if (!node.loaded().isDone() && !answeredWhileLoading(exchange)) {
            return;
        }
        if (io.agentmesh.node.llm.api.LlmHttp.owns(exchange.getRequestURI().getPath())) {
            // The LLM endpoints answer in OpenAI's or Anthropic's shapes, and a call outlives this handler thread:
            // they take the exchange over and close it themselves.
            node.llmEndpoints().ifPresentOrElse(llm -> llm.handle(exchange), () -> io.agentmesh.node.llm.api.LlmHttp.refuse(
                    exchange, node.witness() ? WITNESS_REFUSAL : "this node serves no LLM endpoints (it was"
                            + " started without the LLM gateway)"));
            return;
        }
        if (io.agentmesh.node.wallet.api.WalletHttp.owns(exchange.getRequestURI().getPath())) {
            // A spend waits for its transaction: the wallet's endpoints take the exchange over on their own threads.
            node.walletEndpoints().ifPresentOrElse(w -> w.handle(exchange), () ->
                    io.agentmesh.node.wallet.api.WalletHttp.refuse(exchange, node.witness() ? WITNESS_REFUSAL
                            : "this node has no wallet (no <home>/wallet.json or --wallet-config; docs/wallet.md)"));
            return;
        }
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiError e) {
                send(exchange, e.status, Map.of("error", e.getMessage()));
            } catch (IllegalArgumentException e) {
                send(exchange, 400, Map.of("error", e.getMessage()));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                int status = cause instanceof IllegalArgumentException ? 400 : 503;
                send(exchange, status, Map.of("error", String.valueOf(cause.getMessage())));
            } catch (TimeoutException e) {
                send(exchange, 504, Map.of("error", "the node did not answer within " + REQUEST_TIMEOUT_MS + " ms"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                send(exchange, 503, Map.of("error", "the node is shutting down"));
            } catch (RuntimeException e) {
                log.warn("http request {} {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
                send(exchange, 500, Map.of("error", String.valueOf(e.getMessage())));
            }
        }
    }

    private void route(HttpExchange ex) throws IOException, ExecutionException, InterruptedException, TimeoutException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        if (node.witness() && (STATE_PATHS.contains(path) || path.startsWith("/v1/intents/"))) {
            throw new ApiError(409, WITNESS_REFUSAL);
        }
        if (io.agentmesh.node.dashboard.DashboardHttp.owns(path)) {
            dashboard.handle(ex);
            return;
        }
        switch (path) {
            case "/healthz" -> send(ex, 200, Map.of("status", "ok"));
            case "/readyz" -> {
                boolean ready = node.ready();
                send(ex, ready ? 200 : 503, Map.of("ready", ready));
            }
            case "/metrics" -> {
                requireMethod(method, "GET");
                MetricsSource metrics = node.metrics().orElseThrow(() -> new ApiError(404, "this node has no metrics"));
                byte[] text = metrics.scrape().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", MetricsSource.CONTENT_TYPE);
                ex.sendResponseHeaders(200, text.length);
                ex.getResponseBody().write(text);
            }
            case "/v1/status" -> {
                requireMethod(method, "GET");
                send(ex, 200, await(node.status()));
            }
            case "/v1/state" -> {
                requireMethod(method, "GET");
                send(ex, 200, await(node.state()));
            }
            case "/v1/state/export" -> {
                requireMethod(method, "GET");
                byte[] doc = await(node.exportAutomerge());
                ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                ex.sendResponseHeaders(200, doc.length);
                ex.getResponseBody().write(doc);
            }
            case "/v1/memory" -> {
                if (method.equals("GET")) {
                    URI uri = ex.getRequestURI();
                    onlyParams(uri, MEMORY_PARAMS);
                    int limit = intParam(uri, "limit", 100, 1, 10_000);
                    Optional<String> q = textParam(uri, "q");
                    Optional<String> tag = textParam(uri, "tag");
                    if (q.isPresent() && q.get().isBlank()) {
                        throw new ApiError(400, "q must have at least one word");
                    }
                    if (tag.isPresent() && (tag.get().isEmpty() || tag.get().length() > MAX_TAG_CHARS)) {
                        throw new ApiError(400, "tag must be 1 to " + MAX_TAG_CHARS + " characters");
                    }
                    boolean loading = !node.loaded().isDone();
                    List<?> entries = q.isEmpty() && tag.isEmpty() ? await(node.memory(limit))
                            : await(node.memorySearch(q.orElse(null), tag.orElse(null), limit));
                    // While loading, the entries are those of the view saved with the last snapshot.
                    send(ex, 200, loading ? Map.of("entries", entries, "loading", true) : Map.of("entries", entries));
                } else if (method.equals("POST")) {
                    Durability durability = durability(ex.getRequestURI());
                    JsonNode body = body(ex);
                    String text = requiredText(body, "text");
                    String kind = body.path("kind").asText("note");
                    List<String> tags = new ArrayList<>();
                    body.path("tags").forEach(t -> tags.add(t.asText()));
                    send(ex, 201, await(node.appendMemory(kind, text, tags, durability)));
                } else {
                    throw new ApiError(405, "use GET or POST on /v1/memory");
                }
            }
            case "/v1/notes" -> {
                requireMethod(method, "PUT");
                Durability durability = durability(ex.getRequestURI());
                await(node.replaceNotes(requiredText(body(ex), "text"), durability));
                send(ex, 204, null);
            }
            case "/v1/tasks" -> {
                requireMethod(method, "POST");
                Durability durability = durability(ex.getRequestURI());
                JsonNode body = body(ex);
                send(ex, 200, await(node.upsertTask(requiredText(body, "id"), requiredText(body, "title"),
                        body.path("status").asText("TODO"), body.path("detail").asText(""), durability)));
            }
            case "/v1/intents" -> {
                if (method.equals("GET")) {
                    int limit = intParam(ex.getRequestURI(), "limit", 50, 1, 1000);
                    send(ex, 200, Map.of("intents", await(node.recentIntents(limit))));
                    return;
                }
                requireMethod(method, "POST");
                Durability durability = durability(ex.getRequestURI());
                Optional<io.agentmesh.node.actions.FencingToken> fence = presentedFence(ex);
                if (fence.isPresent() && refusedFence(ex, fence.get())) {
                    return;
                }
                JsonNode body = body(ex);
                JsonNode payload = body.path("payload");
                String payloadJson = payload.isMissingNode() ? "{}" : json.writeValueAsString(payload);
                send(ex, 201, await(node.requestIntent(requiredText(body, "kind"), payloadJson,
                        fence.map(io.agentmesh.node.actions.AgentFence::text).orElse(null), durability)));
            }
            case "/v1/schedules" -> {
                requireMethod(method, "POST");
                JsonNode body = body(ex);
                JsonNode payload = body.path("payload");
                String payloadJson = payload.isMissingNode() ? "{}" : json.writeValueAsString(payload);
                send(ex, 200, await(node.addSchedule(requiredText(body, "id"), requiredText(body, "cron"),
                        body.path("zone").asText("UTC"), body.path("kind").asText("job"), payloadJson,
                        body.path("catchUp").asText("skip"))));
            }
            case "/v1/workspace", "/v1/workspace/file" -> node.workspace()
                    .orElseThrow(() -> new ApiError(404, "this node serves no workspace")).handle(ex);
            case "/v1/consensus/events" -> {
                requireMethod(method, "GET");
                long after = longParam(ex.getRequestURI(), "after", 0, 0, Long.MAX_VALUE);
                send(ex, 200, await(node.consensusEvents(after)).orElseThrow(() -> new ApiError(404,
                        "this node takes no part in consensus")));
            }
            case "/v1/llm/status" -> {
                requireMethod(method, "GET");
                send(ex, 200, await(node.llmStatus()).orElseThrow(() -> new ApiError(404, NO_LLM_LEDGER)));
            }
            case "/v1/llm/costs" -> {
                requireMethod(method, "GET");
                int days = intParam(ex.getRequestURI(), "days", 7, 1, MAX_COST_DAYS);
                send(ex, 200, await(node.llmCosts(days)).orElseThrow(() -> new ApiError(404, NO_LLM_LEDGER)));
            }
            case "/v1/llm/metrics" -> {
                requireMethod(method, "GET");
                byte[] text = await(node.llmMetrics()).orElseThrow(() -> new ApiError(404, NO_LLM_LEDGER))
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                ex.sendResponseHeaders(200, text.length);
                ex.getResponseBody().write(text);
            }
            case "/v1/backup" -> {
                if (method.equals("POST")) {
                    Optional<String> target = textParam(ex.getRequestURI(), "target");
                    Map<String, Object> result = node.backupNow(target)
                            .get(BACKUP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                            .orElseThrow(() -> new ApiError(404, NO_BACKUPS));
                    if (Boolean.TRUE.equals(result.get("notLeader"))) {
                        throw new ApiError(409, "backups run on the leader; this node is not it (the leader is "
                                + result.get("leader") + ")");
                    }
                    send(ex, 200, result);
                } else {
                    requireMethod(method, "GET");
                    send(ex, 200, await(node.backupStatus()).orElseThrow(() -> new ApiError(404, NO_BACKUPS)));
                }
            }
            case "/v1/drill" -> {
                if (method.equals("POST")) {
                    Optional<String> target = textParam(ex.getRequestURI(), "target");
                    Map<String, Object> result = node.drillNow(target)
                            .get(BACKUP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                            .orElseThrow(() -> new ApiError(404, NO_BACKUPS));
                    if (Boolean.TRUE.equals(result.get("notLeader"))) {
                        throw new ApiError(409, "the drill runs on the leader; this node is not it (the leader is "
                                + result.get("leader") + ")");
                    }
                    send(ex, 200, result);
                } else {
                    requireMethod(method, "GET");
                    send(ex, 200, await(node.drillStatus()).orElseThrow(() -> new ApiError(404, NO_BACKUPS)));
                }
            }
            case "/v1/revocations" -> {
                if (method.equals("GET")) {
                    send(ex, 200, await(node.revocations()));
                } else if (method.equals("POST")) {
                    NodeRevocation revocation;
                    try {
                        revocation = NodeRevocation.fromJson("the request body", utf8Body(ex));
                    } catch (IdentityException e) {
                        throw new ApiError(400, e.getMessage());
                    }
                    boolean added = await(node.revoke(revocation));
                    send(ex, added ? 201 : 200, Map.of("node", revocation.nodeId().toString(), "new", added));
                } else {
                    throw new ApiError(405, "use GET or POST on /v1/revocations");
                }
            }
            case "/v1/revocations/draft" -> {
                requireMethod(method, "GET");
                String raw = textParam(ex.getRequestURI(), "node")
                        .orElseThrow(() -> new ApiError(400, "query parameter 'node' (a node1... id) is required"));
                NodeId id;
                try {
                    id = NodeId.parse(raw);
                } catch (IdentityException e) {
                    throw new ApiError(400, e.getMessage());
                }
                send(ex, 200, await(node.revocationDraft(id)));
            }
            case "/v1/admin/faults" -> {
                NodeOperations.FaultControl faults = node.faults().orElseThrow(() -> new ApiError(404,
                        "fault injection is off; start the node with --enable-fault-injection (test meshes only)"));
                if (method.equals("POST")) {
                    JsonNode body = body(ex);
                    faults.apply(requiredText(body, "action"), body.path("peer").asText(""), body.path("delayMs").asLong(0));
                }
                send(ex, 200, faults.snapshot());
            }
            default -> {
                if (path.startsWith("/v1/intents/") && method.equals("GET")) {
                    String id = path.substring("/v1/intents/".length());
                    send(ex, 200, await(node.intent(id)).orElseThrow(() -> new ApiError(404, "no intent " + id + " on this node")));
                } else {
                    throw new ApiError(404, "no such endpoint: " + path);
                }
            }
        }
    }

    /**
     * While the node loads its state: answers the status itself, lets health, readiness and (when the node can)
     * memory reads through, and makes every other request wait for the load. Returns whether the request goes on to
     * the usual routing.
     */
    private boolean answeredWhileLoading(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (path.equals("/healthz") || path.equals("/readyz")
                || path.equals("/v1/memory") && method.equals("GET") && node.memoryReadableWhileLoading()) {
            return true;
        }
        if (path.equals("/v1/status") && method.equals("GET")) {
            try (exchange) {
                send(exchange, 200, node.loadingStatus());
            }
            return false;
        }
        try {
            node.loaded().get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // answered below
        }
        try (exchange) {
            send(exchange, 503, Map.of("error", "the node is still loading its state; try again shortly"));
        }
        return false;
    }

    /** The {@code Agentmesh-Fence} a call carries, empty when none; a malformed one is a 400. */
    private static Optional<io.agentmesh.node.actions.FencingToken> presentedFence(HttpExchange ex) {
        String header = ex.getRequestHeaders().getFirst(io.agentmesh.node.agent.FenceCheck.HEADER);
        if (header == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(io.agentmesh.node.actions.AgentFence.parseToken(header.trim()));
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "header " + io.agentmesh.node.agent.FenceCheck.HEADER + ": " + e.getMessage());
        }
    }

    /**
     * For a side-effecting call carrying fence {@code presented}: when it is older than the newest agent run this
     * node knows, answers 409 with the reason and returns true (the caller does nothing more).
     */
    private boolean refusedFence(HttpExchange ex, io.agentmesh.node.actions.FencingToken presented)
            throws IOException, ExecutionException, InterruptedException, TimeoutException {
        Optional<Map<String, Object>> refusal = await(node.staleFence(presented));
        if (refusal.isEmpty()) {
            return false;
        }
        log.info("http refused {} {}: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(),
                refusal.get().get("error"));
        send(ex, 409, refusal.get());
        return true;
    }

    /** The query parameters GET /v1/memory takes; any other is a 400. */
    private static final java.util.Set<String> MEMORY_PARAMS = java.util.Set.of("limit", "q", "tag");
    private static final int MAX_TAG_CHARS = io.agentmesh.state.Limits.MAX_TAG_LENGTH;

    /** Refuses (400) a query parameter not in {@code allowed}, or one given twice, naming it. */
    private static void onlyParams(URI uri, java.util.Set<String> allowed) {
        String query = uri.getRawQuery();
        if (query == null || query.isEmpty()) {
            return;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (!allowed.contains(name)) {
                throw new ApiError(400, "unknown query parameter '" + name + "'; this endpoint takes "
                        + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
            if (!seen.add(name)) {
                throw new ApiError(400, "query parameter '" + name + "' is given twice");
            }
        }
    }

    private static final String NO_BACKUPS = "this node keeps no backups (a witness holds no state)";
    /** A backup run may upload a lot; the request waits this long for it (it goes on regardless). */
    private static final long BACKUP_TIMEOUT_MS = 30 * 60_000;

    private static <T> T await(CompletableFuture<T> future)
            throws ExecutionException, InterruptedException, TimeoutException {
        return future.get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiError(405, "use " + expected);
        }
    }

    private JsonNode body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new ApiError(413, "request body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            try {
                JsonNode node = json.readTree(bytes);
                if (node == null || !node.isObject()) {
                    throw new ApiError(400, "the request body must be a JSON object");
                }
                return node;
            } catch (IOException e) {
                throw new ApiError(400, "the request body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
    }

    /** The raw body as strict UTF-8, for formats that parse (and refuse) their own JSON. */
    private static String utf8Body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new ApiError(413, "request body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ApiError(400, "the request body is not valid UTF-8");
            }
        }
    }

    private static Optional<String> textParam(URI uri, String name) {
        String query = uri.getRawQuery();
        if (query == null) {
            return Optional.empty();
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                return Optional.of(URLDecoder.decode(pair.substring(name.length() + 1),
                        StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    /** The {@code durability} query parameter: local when absent; 400 for anything but local or majority. */
    private static Durability durability(URI uri) {
        return textParam(uri, "durability").map(Durability::parse).orElse(Durability.LOCAL);
    }

    private static String requiredText(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw new ApiError(400, "field '" + field + "' (a string) is required");
        }
        return value.asText();
    }

    private static int intParam(URI uri, String name, int fallback, int min, int max) {
        return (int) longParam(uri, name, fallback, min, max);
    }

    private static long longParam(URI uri, String name, long fallback, long min, long max) {
        String query = uri.getRawQuery();
        if (query == null) {
            return fallback;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                String raw = pair.substring(name.length() + 1);
                try {
                    long value = Long.parseLong(raw);
                    if (value < min || value > max) {
                        throw new ApiError(400, name + " must be between " + min + " and " + max);
                    }
                    return value;
                } catch (NumberFormatException e) {
                    throw new ApiError(400, name + " must be a number, got '" + raw + "'");
                }
            }
        }
        return fallback;
    }

    private void send(HttpExchange ex, int status, Object body) throws IOException {
        if (body == null) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static final class ApiError extends RuntimeException {
        final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
