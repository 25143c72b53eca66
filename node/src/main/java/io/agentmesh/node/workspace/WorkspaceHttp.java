package io.agentmesh.node.workspace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.Limits;
import io.agentmesh.state.WorkspaceFile;
import io.agentmesh.state.WorkspacePath;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The workspace endpoints of the HTTP API (the MCP server calls them). They read and write the document's
 * workspace; the mirror, when the node has a workspace directory, puts the result on disk.
 *
 * <pre>
 * GET    /v1/workspace                 {"files":[{"path":"MEMORY.md","bytes":123}],"refused":[{"path","reason"}]}
 * GET    /v1/workspace/file?path=P     200 text/plain (UTF-8) content; 404 when absent
 * PUT    /v1/workspace/file?path=P[&amp;durability=local|majority]  text/plain body -> 200 {"path":P,"bytes":N}
 * DELETE /v1/workspace/file?path=P     200 {"path":P,"deleted":true}; 404 when absent
 * </pre>
 * A path that is not a {@link WorkspacePath} (absolute, "..", NUL...) or that the ignore rules exclude: 400 with the
 * reason, and nothing changes. A body that is not UTF-8 text: 400; over {@link Limits#MAX_WORKSPACE_FILE_BYTES}: 413.
 */
public final class WorkspaceHttp {
    private static final long TIMEOUT_MS = 30_000;

    /** How durable a write must be before it is acknowledged. */

    /** The node's write with a durability; MAJORITY may fail when the node cannot provide it. */
    public interface Writer {
        CompletableFuture<Boolean> write(java.util.function.Function<AgentState,
                Optional<io.agentmesh.state.LocalChange>> mutation, Durability durability);
    }

    private final WorkspaceNode node;
    private final Writer writer;
    private final Supplier<IgnoreRules> ignore;
    private final Supplier<List<WorkspaceMirror.Refusal>> refusals;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param ignore   the rules in force (the mirror's, or the defaults on a node without a workspace directory)
     * @param refusals the files the mirror refuses now (empty without a mirror)
     */
    public WorkspaceHttp(WorkspaceNode node, Writer writer, Supplier<IgnoreRules> ignore,
                         Supplier<List<WorkspaceMirror.Refusal>> refusals) {
        this.node = node;
        this.writer = writer;
        this.ignore = ignore;
        this.refusals = refusals;
    }

    /** Answers one request to {@code /v1/workspace} or {@code /v1/workspace/file}. */
    public void handle(HttpExchange ex) throws IOException {
        try {
            route(ex);
        } catch (Failure f) {
            sendJson(ex, f.status, Map.of("error", f.getMessage()));
        } catch (TimeoutException e) {
            sendJson(ex, 504, Map.of("error", "the node did not answer within " + TIMEOUT_MS + " ms"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sendJson(ex, 503, Map.of("error", "the node is shutting down"));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            int status = cause instanceof IllegalArgumentException ? 400 : 503;
            sendJson(ex, status, Map.of("error", String.valueOf(cause.getMessage())));
        }
    }

    private void route(HttpExchange ex) throws IOException, ExecutionException, InterruptedException, TimeoutException {
        String method = ex.getRequestMethod();
        String endpoint = ex.getRequestURI().getPath();
        if (endpoint.equals("/v1/workspace")) {
            if (!method.equals("GET")) {
                throw new Failure(405, "use GET on /v1/workspace");
            }
            List<WorkspaceFile> files = await(node.read(AgentState::workspaceFiles));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("files", files.stream().map(f -> Map.of("path", f.path(), "bytes", f.bytes())).toList());
            out.put("refused", refusals.get().stream().map(r -> Map.of("path", r.path(), "reason", r.reason()))
                    .toList());
            sendJson(ex, 200, out);
            return;
        }
        String path = param(ex, "path").orElseThrow(() -> new Failure(400,
                "query parameter 'path' (relative to the workspace, '/'-separated) is required"));
        Optional<String> problem = WorkspacePath.problem(path);
        if (problem.isPresent()) {
            throw new Failure(400, problem.get());
        }
        Optional<String> ignoredBy = ignore.get().why(path);
        if (ignoredBy.isPresent()) {
            throw new Failure(400, "'" + path + "' is excluded by the workspace ignore rules (pattern '"
                    + ignoredBy.get() + "' in the defaults or " + IgnoreRules.FILE_NAME + ")");
        }
        switch (method) {
            case "GET" -> {
                Optional<String> content = await(node.read(s -> s.workspaceFile(path)));
                if (content.isEmpty()) {
                    throw new Failure(404, "no workspace file '" + path + "'");
                }
                byte[] bytes = content.get().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                ex.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
                ex.getResponseBody().write(bytes);
            }
            case "PUT" -> {
                Durability durability = durability(ex);
                String content = body(ex);
                await(writer.write(s -> s.writeWorkspaceFile(path, content), durability));
                sendJson(ex, 200, Map.of("path", path, "bytes", content.getBytes(StandardCharsets.UTF_8).length));
            }
            case "DELETE" -> {
                Durability durability = durability(ex);
                boolean deleted = await(writer.write(s -> s.deleteWorkspaceFile(path), durability));
                if (!deleted) {
                    throw new Failure(404, "no workspace file '" + path + "'");
                }
                sendJson(ex, 200, Map.of("path", path, "deleted", true));
            }
            default -> throw new Failure(405, "use GET, PUT or DELETE on /v1/workspace/file");
        }
    }

    private static Durability durability(HttpExchange ex) {
        String raw = param(ex, "durability").orElse("local");
        return switch (raw) {
            case "local" -> Durability.LOCAL;
            case "majority" -> Durability.MAJORITY;
            default -> throw new Failure(400, "durability is 'local' (the default) or 'majority', got '" + raw + "'");
        };
    }

    private static String body(HttpExchange ex) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(Limits.MAX_WORKSPACE_FILE_BYTES + 1);
        }
        if (bytes.length > Limits.MAX_WORKSPACE_FILE_BYTES) {
            throw new Failure(413, "a workspace file may have at most " + Limits.MAX_WORKSPACE_FILE_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Failure(400, "the body is not UTF-8 text; only text files are kept in the workspace");
        }
        if (text.indexOf('\0') >= 0) {
            throw new Failure(400, "the body contains NUL bytes; only text files are kept in the workspace");
        }
        return text;
    }

    private static Optional<String> param(HttpExchange ex, String name) {
        String query = ex.getRequestURI().getRawQuery();
        if (query == null) {
            return Optional.empty();
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                try {
                    return Optional.of(URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new Failure(400, "query parameter '" + name + "' is not valid URL encoding");
                }
            }
        }
        return Optional.empty();
    }

    private static <T> T await(CompletableFuture<T> f) throws ExecutionException, InterruptedException,
            TimeoutException {
        return f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    private void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static final class Failure extends RuntimeException {
        final int status;

        Failure(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
