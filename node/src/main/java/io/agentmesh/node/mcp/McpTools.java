package io.agentmesh.node.mcp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.agentmesh.protocol.time.Clock;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The tools {@code agentmesh mcp} offers, each a name, a JSON schema for its input and a handler that calls the local
 * node's HTTP API. Bad input is refused before anything is sent; every failure (bad input, node down, node refusal)
 * comes back as a tool error ({@code isError: true}) whose text says what went wrong, never as a hang or a crash.
 */
final class McpTools {
    private static final Logger log = LoggerFactory.getLogger(McpTools.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    static final List<String> TASK_STATUSES = List.of("TODO", "DOING", "DONE", "CANCELLED");
    static final int MAX_TEXT_CHARS = 256 * 1024;
    static final int MAX_TAGS = 32;
    static final int MAX_ACT_WAIT_SECONDS = 120;
    static final int DEFAULT_ACT_WAIT_SECONDS = 30;
    private static final long POLL_MS = 200;

    /** Input the tool cannot take; its message says which field and why. */
    static final class BadInput extends Exception {
        BadInput(String message) {
            super(message);
        }
    }

    @FunctionalInterface
    interface Handler {
        CallToolResult call(Map<String, Object> args) throws BadInput, NodeApi.ApiException, InterruptedException;
    }

    /** One tool: what clients see (name, description, schema) and what it does. */
    record Tool(String name, String description, Map<String, Object> inputSchema, Handler handler) {
    }

    private final NodeApi api;
    private final Clock clock;
    private final List<Tool> tools;

    /** @param clock what act's wait for an outcome is timed by (its monotonic time) */
    McpTools(NodeApi api, Clock clock) {
        this.api = api;
        this.clock = clock;
        this.tools = List.of(
                new Tool("memory_append", "Append an entry to the agent's replicated memory log (durable on a"
                        + " majority of the mesh's servers before it answers, by default).",
                        object(Map.of("text", text("The entry's text.", 1, MAX_TEXT_CHARS),
                                "kind", text("What kind of entry: note, observation, reflection... (default note).",
                                        1, 64),
                                "tags", Map.of("type", "array", "items", Map.of("type", "string", "maxLength", 64),
                                        "maxItems", MAX_TAGS, "description", "Tags for later search.")),
                                "text"), this::memoryAppend),
                new Tool("memory_search", "Search the agent's whole memory log: every word of the query must"
                        + " appear (case-insensitive) in the text, kind or tags. Newest first.",
                        object(Map.of("query", text("Words to look for.", 1, 1000),
                                "limit", integer("Most entries to return (default 20).", 1, 200)), "query"),
                        this::memorySearch),
                new Tool("memory_list", "The newest memory entries, oldest first.",
                        object(Map.of("limit", integer("How many (default 50).", 1, 1000))), this::memoryList),
                new Tool("notes_read", "Read the agent's long-term notes (one shared text).", object(Map.of()),
                        this::notesRead),
                new Tool("notes_replace", "Replace the agent's long-term notes with this text.",
                        object(Map.of("text", text("The new notes, whole.", 0, MAX_TEXT_CHARS)), "text"),
                        this::notesReplace),
                new Tool("tasks_upsert", "Create a task or update it by id.",
                        object(Map.of("id", text("The task's id.", 1, 256),
                                "title", text("The task's title.", 1, 1000),
                                "status", Map.of("type", "string", "enum", TASK_STATUSES,
                                        "description", "TODO (default), DOING, DONE or CANCELLED."),
                                "detail", text("Free text.", 0, MAX_TEXT_CHARS)), "id", "title"),
                        this::tasksUpsert),
                new Tool("tasks_list", "List the tasks, optionally only those with one status.",
                        object(Map.of("status", Map.of("type", "string", "enum", TASK_STATUSES))), this::tasksList),
                new Tool("workspace_list", "List the agent's workspace files (mirrored on every server), and the"
                        + " files the mirror refuses and why.", object(Map.of()), this::workspaceList),
                new Tool("workspace_read", "Read one workspace file (UTF-8 text).",
                        object(Map.of("path", path()), "path"), this::workspaceRead),
                new Tool("workspace_write", "Write (create or replace) one workspace file with this UTF-8 text.",
                        object(Map.of("path", path(), "content", text("The whole new content.", 0,
                                MAX_TEXT_CHARS * 4)), "path", "content"), this::workspaceWrite),
                new Tool("workspace_delete", "Delete one workspace file.", object(Map.of("path", path()), "path"),
                        this::workspaceDelete),
                new Tool("act", "Request an action (an intent) that the mesh's leader performs at most once, and wait"
                        + " for its outcome: succeeded, failed, or uncertain (the leader running it was lost, so the"
                        + " world may or may not have seen it; it is not run again). Kinds: job, exec ({\"command\":"
                        + " name, \"args\": {...}} runs a command from the nodes' exec config), and any other a node"
                        + " serves.",
                        object(Map.of("kind", text("The executor kind, e.g. exec or job.", 1, 64),
                                "payload", Map.of("type", "object", "description", "The executor's JSON payload."),
                                "waitSeconds", integer("How long to wait for the outcome (default "
                                        + DEFAULT_ACT_WAIT_SECONDS + "; 0: do not wait).", 0,
                                        MAX_ACT_WAIT_SECONDS)), "kind"), this::act),
                new Tool("intent_status", "The outcome of an intent requested earlier (by id), or pending.",
                        object(Map.of("id", text("The intent id act returned.", 1, 256)), "id"), this::intentStatus),
                new Tool("status", "The local node's status: leader, term, peers, action outcomes, exec commands.",
                        object(Map.of()), this::status),
                new Tool("wallet_spend", "Pay from the agent's wallet: the leader claims the spend under your"
                        + " idempotencyKey (asking again with the same key never pays twice, whatever happened),"
                        + " checks it against the policy the operators set (per-transaction cap, daily budget,"
                        + " allowed recipients, velocity, human approval above a threshold), signs, broadcasts and"
                        + " waits for confirmations. Answers the spend: state (COMPLETED, AWAITING_APPROVAL,"
                        + " PREPARED, REJECTED...), nonce, every transaction hash, the final hash and block.",
                        object(Map.of("idempotencyKey", text("Your unique key for this payment.", 1, 256),
                                "to", text("The recipient address, 0x and 40 hex digits.", 42, 42),
                                "valueEther", text("The amount in ether, a decimal string, e.g. \"0.01\".", 1, 100),
                                "valueWei", text("Or the amount in wei, a whole number as a string.", 1, 100),
                                "waitSeconds", integer("How long to wait for the spend to end (default "
                                        + DEFAULT_ACT_WAIT_SECONDS + ").", 0, MAX_ACT_WAIT_SECONDS)),
                                "idempotencyKey", "to"), this::walletSpend),
                new Tool("wallet_status", "The agent's wallet: address, balance, budget left today, frozen or not,"
                        + " pending and completed spends, approvals waiting.", object(Map.of()), this::walletStatus));
    }

    List<Tool> tools() {
        return tools;
    }

    /** Runs a tool by name; every failure becomes a tool error with a clear text. */
    CallToolResult call(String name, Map<String, Object> args) {
        Tool tool = tools.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
        if (tool == null) {
            return error("no tool named \"" + name + "\"");
        }
        try {
            Map<String, Object> a = args == null ? Map.of() : args;
            refuseUnknown(a, tool);
            return tool.handler().call(a);
        } catch (BadInput e) {
            return error("bad input for " + name + ": " + e.getMessage());
        } catch (NodeApi.ApiException e) {
            log.info("mcp tool {} failed: {}", name, e.getMessage());
            return error(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(name + " was interrupted");
        } catch (RuntimeException e) {
            log.warn("mcp tool {} failed unexpectedly", name, e);
            return error(name + " failed: " + e);
        }
    }

    // ------------------------------------------------------------------------------------------ handlers

    private CallToolResult memoryAppend(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", str(a, "text", true, 1, MAX_TEXT_CHARS));
        body.put("kind", a.containsKey("kind") ? str(a, "kind", true, 1, 64) : "note");
        body.put("tags", strings(a, "tags", MAX_TAGS, 64));
        JsonNode entry = api.writeJson("POST", "/v1/memory", body);
        return ok("appended memory entry " + entry.path("id").asText() + durabilityNote(), Map.of("entry", entry));
    }

    private CallToolResult memorySearch(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        String query = str(a, "query", true, 1, 1000);
        int limit = integer(a, "limit", 20, 1, 200);
        List<String> words = Arrays.stream(query.toLowerCase(Locale.ROOT).split("\\s+")).filter(w -> !w.isEmpty())
                .toList();
        if (words.isEmpty()) {
            throw new BadInput("query has no words");
        }
        // The node searches its whole log in its read view (GET /v1/memory?q=...), newest first.
        JsonNode entries = api.getJson("/v1/memory?q=" + java.net.URLEncoder.encode(String.join(" ", words),
                java.nio.charset.StandardCharsets.UTF_8) + "&limit=" + limit).path("entries");
        List<JsonNode> hits = new ArrayList<>();
        entries.forEach(hits::add);
        return ok(hits.size() + " matching entr" + (hits.size() == 1 ? "y" : "ies") + " (newest first):\n"
                + lines(hits), Map.of("entries", hits));
    }

    private CallToolResult memoryList(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        int limit = integer(a, "limit", 50, 1, 1000);
        JsonNode entries = api.getJson("/v1/memory?limit=" + limit).path("entries");
        List<JsonNode> list = new ArrayList<>();
        entries.forEach(list::add);
        return ok(list.size() + " newest entr" + (list.size() == 1 ? "y" : "ies") + " (oldest first):\n"
                + lines(list), Map.of("entries", list));
    }

    private CallToolResult notesRead(Map<String, Object> a) throws NodeApi.ApiException {
        String notes = api.getJson("/v1/state").path("notes").asText("");
        return ok(notes.isEmpty() ? "(the notes are empty)" : notes, Map.of("notes", notes));
    }

    private CallToolResult notesReplace(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        String text = str(a, "text", true, 0, MAX_TEXT_CHARS);
        api.writeJson("PUT", "/v1/notes", Map.of("text", text));
        return ok("notes replaced (" + text.length() + " characters)" + durabilityNote(),
                Map.of("characters", text.length()));
    }

    private CallToolResult tasksUpsert(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", str(a, "id", true, 1, 256));
        body.put("title", str(a, "title", true, 1, 1000));
        String status = a.containsKey("status") ? str(a, "status", true, 1, 16) : "TODO";
        if (!TASK_STATUSES.contains(status)) {
            throw new BadInput("status must be one of " + String.join(", ", TASK_STATUSES) + ", got \"" + status
                    + "\"");
        }
        body.put("status", status);
        body.put("detail", a.containsKey("detail") ? str(a, "detail", true, 0, MAX_TEXT_CHARS) : "");
        JsonNode task = api.writeJson("POST", "/v1/tasks", body);
        return ok("task " + body.get("id") + " is " + status + durabilityNote(), Map.of("task", task));
    }

    private CallToolResult tasksList(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        String status = a.containsKey("status") ? str(a, "status", true, 1, 16) : null;
        if (status != null && !TASK_STATUSES.contains(status)) {
            throw new BadInput("status must be one of " + String.join(", ", TASK_STATUSES));
        }
        List<JsonNode> tasks = new ArrayList<>();
        for (JsonNode t : api.getJson("/v1/state").path("tasks")) {
            if (status == null || status.equals(t.path("status").asText())) {
                tasks.add(t);
            }
        }
        StringBuilder text = new StringBuilder(tasks.size() + " task(s)" + (status == null ? "" : " " + status));
        for (JsonNode t : tasks) {
            text.append("\n- [").append(t.path("status").asText()).append("] ").append(t.path("id").asText())
                    .append(": ").append(t.path("title").asText());
        }
        return ok(text.toString(), Map.of("tasks", tasks));
    }

    private CallToolResult workspaceList(Map<String, Object> a) throws NodeApi.ApiException {
        JsonNode listing = api.getJson("/v1/workspace");
        StringBuilder text = new StringBuilder(listing.path("files").size() + " file(s)");
        listing.path("files").forEach(f -> text.append("\n- ").append(f.path("path").asText()).append(" (")
                .append(f.path("bytes").asLong()).append(" bytes)"));
        if (listing.path("refused").size() > 0) {
            text.append("\nrefused by the mirror:");
            listing.path("refused").forEach(f -> text.append("\n- ").append(f.path("path").asText()).append(": ")
                    .append(f.path("reason").asText()));
        }
        return ok(text.toString(), JSON.convertValue(listing, new TypeReference<Map<String, Object>>() { }));
    }

    private CallToolResult workspaceRead(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        String path = workspacePath(a);
        NodeApi.Answer answer = api.get("/v1/workspace/file?path=" + NodeApi.encode(path));
        if (answer.status() == 404) {
            throw new NodeApi.ApiException(404, "no file " + path + " in the workspace (" + NodeApi.reason(answer)
                    + "); workspace_list shows what there is");
        }
        String content = NodeApi.ok(answer).body();
        return ok(content, Map.of("path", path, "content", content));
    }

    private CallToolResult workspaceWrite(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        String path = workspacePath(a);
        String content = str(a, "content", true, 0, MAX_TEXT_CHARS * 4);
        JsonNode written = NodeApi.ok(api.write("PUT", "/v1/workspace/file", "path=" + NodeApi.encode(path),
                "text/plain; charset=utf-8", content)).json();
        return ok("wrote " + path + " (" + written.path("bytes").asLong() + " bytes)" + durabilityNote(),
                Map.of("path", path, "bytes", written.path("bytes").asLong()));
    }

    private CallToolResult workspaceDelete(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        String path = workspacePath(a);
        NodeApi.Answer answer = api.write("DELETE", "/v1/workspace/file", "path=" + NodeApi.encode(path), null, null);
        if (answer.status() == 404) {
            throw new NodeApi.ApiException(404, "no file " + path + " in the workspace to delete");
        }
        NodeApi.ok(answer);
        return ok("deleted " + path, Map.of("path", path, "deleted", true));
    }

    private CallToolResult act(Map<String, Object> a) throws BadInput, NodeApi.ApiException, InterruptedException {
        String kind = str(a, "kind", true, 1, 64);
        Object payload = a.getOrDefault("payload", Map.of());
        if (!(payload instanceof Map)) {
            throw new BadInput("payload must be a JSON object");
        }
        int waitSeconds = integer(a, "waitSeconds", DEFAULT_ACT_WAIT_SECONDS, 0, MAX_ACT_WAIT_SECONDS);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kind", kind);
        body.put("payload", payload);
        String id = api.writeJson("POST", "/v1/intents", body).path("id").asText();
        if (id.isEmpty()) {
            throw new NodeApi.ApiException(0, "the node recorded the intent but gave no id");
        }
        if (waitSeconds == 0) {
            return ok("intent " + id + " recorded; the leader performs it once (intent_status tells its outcome)",
                    Map.of("intent", id, "status", "pending"));
        }
        long deadlineNanos = clock.monotonicNanos() + Duration.ofSeconds(waitSeconds).toNanos();
        while (true) {
            JsonNode outcome;
            try {
                outcome = api.getJson("/v1/intents/" + NodeApi.encode(id)).path("outcome");
            } catch (NodeApi.ApiException e) {
                throw new NodeApi.ApiException(e.status, "intent " + id + " was recorded, but waiting for its outcome"
                        + " failed: " + e.getMessage() + " (ask intent_status later)");
            }
            if (!outcome.isMissingNode() && !outcome.isNull()) {
                return outcome(id, outcome);
            }
            if (clock.monotonicNanos() - deadlineNanos >= 0) {
                return ok("pending: no outcome for intent " + id + " within " + waitSeconds + " s. It is recorded and"
                        + " the leader performs it once it can (is a majority of servers up? the status tool says);"
                        + " ask intent_status with this id later.", Map.of("intent", id, "status", "pending"));
            }
            Thread.sleep(POLL_MS);
        }
    }

    private CallToolResult walletSpend(Map<String, Object> a)
            throws BadInput, NodeApi.ApiException, InterruptedException {
        String key = str(a, "idempotencyKey", true, 1, 256);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("idempotencyKey", key);
        body.put("to", str(a, "to", true, 42, 42));
        if (a.containsKey("valueEther") == a.containsKey("valueWei")) {
            throw new BadInput("give exactly one of valueEther and valueWei");
        }
        if (a.containsKey("valueEther")) {
            body.put("valueEther", str(a, "valueEther", true, 1, 100));
        } else {
            body.put("valueWei", str(a, "valueWei", true, 1, 100));
        }
        int waitSeconds = integer(a, "waitSeconds", DEFAULT_ACT_WAIT_SECONDS, 0, MAX_ACT_WAIT_SECONDS);
        body.put("waitSeconds", 0);
        JsonNode spend = api.writeJson("POST", "/v1/wallet/spend", body);
        long deadlineNanos = clock.monotonicNanos() + Duration.ofSeconds(waitSeconds).toNanos();
        while (!spend.path("terminal").asBoolean() && clock.monotonicNanos() - deadlineNanos < 0) {
            Thread.sleep(POLL_MS);
            spend = api.getJson("/v1/wallet/spend?idempotencyKey=" + NodeApi.encode(key));
        }
        String state = spend.path("state").asText();
        String text = "spend " + key + ": " + state
                + (spend.has("finalHash") ? ", transaction " + spend.path("finalHash").asText() + " in block "
                + spend.path("block").asLong() : "")
                + (spend.path("terminal").asBoolean() ? "" : " (not ended yet; call wallet_spend again with the"
                + " same idempotencyKey to see it, it will not pay twice)");
        return ok(text, JSON.convertValue(spend, new TypeReference<Map<String, Object>>() { }));
    }

    private CallToolResult walletStatus(Map<String, Object> a) throws NodeApi.ApiException {
        JsonNode s = api.getJson("/v1/wallet");
        String text = "wallet " + s.path("address").asText() + ": balance " + s.path("balanceEther").asText("?")
                + " ether, budget left today " + s.path("budgetLeftEther").asText() + " ether"
                + (s.path("frozen").asBoolean() ? ", FROZEN: " + s.path("frozenReason").asText() : "")
                + ", " + s.path("pending").size() + " pending, " + s.path("approvalsWaiting").size()
                + " waiting for approval";
        return ok(text, JSON.convertValue(s, new TypeReference<Map<String, Object>>() { }));
    }

    private CallToolResult intentStatus(Map<String, Object> a) throws BadInput, NodeApi.ApiException {
        String id = str(a, "id", true, 1, 256);
        NodeApi.Answer answer = api.get("/v1/intents/" + NodeApi.encode(id));
        if (answer.status() == 404) {
            throw new NodeApi.ApiException(404, "no intent " + id + " on this node");
        }
        JsonNode outcome = NodeApi.ok(answer).json().path("outcome");
        if (outcome.isMissingNode() || outcome.isNull()) {
            return ok("pending: intent " + id + " has no outcome yet", Map.of("intent", id, "status", "pending"));
        }
        return outcome(id, outcome);
    }

    /** An outcome said plainly: the status word first, then what the executor reported. */
    private static CallToolResult outcome(String id, JsonNode outcome) {
        String status = outcome.path("status").asText();
        String result = outcome.path("result").asText();
        String said = switch (status) {
            case "succeeded" -> "succeeded";
            case "failed" -> "failed";
            case "uncertain" -> "uncertain: the leader performing it was lost after starting it, so the world may"
                    + " or may not have seen it; it will not be run again";
            default -> status + " (a status this version does not know; treat it as not succeeded)";
        };
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("intent", id);
        structured.put("status", status);
        structured.put("result", result);
        structured.put("performedBy", outcome.path("performedBy").asText());
        return ok(said + " (intent " + id + "): " + result, structured);
    }

    private CallToolResult status(Map<String, Object> a) throws NodeApi.ApiException {
        JsonNode s = api.getJson("/v1/status");
        JsonNode c = s.path("consensus");
        String text = "node " + s.path("node").asText() + " (" + s.path("role").asText() + "), "
                + (s.path("healthy").asBoolean() ? "healthy" : "NOT HEALTHY") + "; leader "
                + c.path("leader").asText("none") + " (term " + c.path("term").asLong() + "); actions pending "
                + c.path("pending").asLong() + ", outcomes " + c.path("outcomes") + "; exec commands "
                + s.path("exec").path("commands").size() + "; peers " + s.path("peers").size();
        return ok(text, JSON.convertValue(s, new TypeReference<Map<String, Object>>() { }));
    }

    // ------------------------------------------------------------------------------------------ input

    private static void refuseUnknown(Map<String, Object> args, Tool tool) throws BadInput {
        @SuppressWarnings("unchecked")
        Set<String> known = ((Map<String, Object>) tool.inputSchema().get("properties")).keySet();
        for (String k : args.keySet()) {
            if (!known.contains(k)) {
                throw new BadInput("unknown argument \"" + k + "\"" + (known.isEmpty() ? " (it takes none)"
                        : " (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")"));
            }
        }
    }

    static String str(Map<String, Object> a, String field, boolean required, int minChars, int maxChars)
            throws BadInput {
        Object v = a.get(field);
        if (v == null) {
            if (required) {
                throw new BadInput("\"" + field + "\" (a string) is required");
            }
            return null;
        }
        if (!(v instanceof String s)) {
            throw new BadInput("\"" + field + "\" must be a string");
        }
        if (s.length() < minChars || s.length() > maxChars) {
            throw new BadInput("\"" + field + "\" must be " + minChars + ".." + maxChars + " characters, got "
                    + s.length());
        }
        return s;
    }

    static int integer(Map<String, Object> a, String field, int fallback, int min, int max) throws BadInput {
        Object v = a.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new BadInput("\"" + field + "\" must be a whole number");
        }
        double d = n.doubleValue();
        if (d < min || d > max) {
            throw new BadInput("\"" + field + "\" must be " + min + ".." + max + ", got " + n);
        }
        return (int) d;
    }

    private static List<String> strings(Map<String, Object> a, String field, int maxItems, int maxChars)
            throws BadInput {
        Object v = a.get(field);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> list) || list.size() > maxItems) {
            throw new BadInput("\"" + field + "\" must be an array of at most " + maxItems + " strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s) || s.length() > maxChars) {
                throw new BadInput("every entry of \"" + field + "\" must be a string of at most " + maxChars
                        + " characters");
            }
            out.add(s);
        }
        return out;
    }

    /** A relative, normalized workspace path; the node checks it again (and its ignore rules). */
    static String workspacePath(Map<String, Object> a) throws BadInput {
        String p = str(a, "path", true, 1, 4096);
        if (p.indexOf('\0') >= 0) {
            throw new BadInput("path contains a NUL character");
        }
        if (p.startsWith("/") || p.contains("\\")) {
            throw new BadInput("path must be relative to the workspace, with '/' between parts, e.g."
                    + " memory/2026-12-03.md; got \"" + p + "\"");
        }
        for (String part : p.split("/", -1)) {
            if (part.equals("..") || part.equals(".") || part.isEmpty()) {
                throw new BadInput("path must be normalized (no empty, '.' or '..' parts), got \"" + p + "\"");
            }
        }
        return p;
    }

    // ------------------------------------------------------------------------------------------ schemas and results

    private static Map<String, Object> object(Map<String, Object> properties, String... required) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "object");
        m.put("properties", new LinkedHashMap<>(new java.util.TreeMap<>(properties)));
        if (required.length > 0) {
            m.put("required", List.of(required));
        }
        m.put("additionalProperties", false);
        return m;
    }

    private static Map<String, Object> text(String description, int minLength, int maxLength) {
        return Map.of("type", "string", "description", description, "minLength", minLength, "maxLength", maxLength);
    }

    private static Map<String, Object> integer(String description, int min, int max) {
        return Map.of("type", "integer", "description", description, "minimum", min, "maximum", max);
    }

    private static Map<String, Object> path() {
        return Map.of("type", "string", "minLength", 1, "maxLength", 4096, "description",
                "Relative to the workspace, '/'-separated, e.g. MEMORY.md or memory/2026-12-03.md.");
    }

    private String durabilityNote() {
        return api.durability().equals("majority") ? " (durable on a majority of servers)" : " (durable on this node)";
    }

    private static String lines(List<JsonNode> entries) {
        StringBuilder b = new StringBuilder();
        for (JsonNode e : entries) {
            b.append("- [").append(e.path("kind").asText()).append("] ").append(e.path("text").asText());
            if (e.path("tags").size() > 0) {
                b.append(" ").append(e.path("tags"));
            }
            b.append(" (").append(e.path("id").asText()).append(")\n");
        }
        return b.toString().stripTrailing();
    }

    static CallToolResult ok(String text, Map<String, Object> structured) {
        return CallToolResult.builder().addTextContent(text).structuredContent(JSON.convertValue(structured,
                new TypeReference<Map<String, Object>>() { })).isError(false).build();
    }

    static CallToolResult error(String text) {
        return CallToolResult.builder().addTextContent(text).isError(true).build();
    }
}
