package io.agentmesh.node.dashboard;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operator's dashboard (docs/operations.md, "Dashboard"): a fixed set of static files (HTML, CSS, one script)
 * shipped in the node's jar and served at {@code /ui/}, with {@code /} redirecting there. The page reads the node's
 * JSON endpoints from the browser; the files carry no state, so serving them needs no token (the page sends one with
 * its own requests). Every answer forbids inline scripts and styles and any origin but this node's
 * ({@link #CONTENT_SECURITY_POLICY}): what agents write reaches the page only as text.
 */
public final class DashboardHttp {
    /** Where the dashboard lives; {@code /} and {@code /ui} redirect here. */
    public static final String PATH = "/ui/";
    /** Only this node's own files and endpoints; no inline script or style, no frames, no forms, no base. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    /** A shipped file larger than this is a packaging mistake, refused at start rather than served. */
    private static final int MAX_FILE_BYTES = 256 * 1024;
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8",
            "dashboard.js", "text/javascript; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    private record Asset(byte[] bytes, String contentType) {
    }

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    /** Loads every file from the jar; a missing or oversized one fails here, at start, not on a browser's request. */
    public DashboardHttp() {
        FILES.forEach((name, type) -> assets.put(name, new Asset(load(name), type)));
    }

    private static byte[] load(String name) {
        try (InputStream in = DashboardHttp.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard file " + name + " is missing from the node's jar");
            }
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new IllegalStateException("the dashboard file " + name + " is larger than " + MAX_FILE_BYTES
                        + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the dashboard file " + name + " from the node's jar", e);
        }
    }

    /** Whether {@code path} is the dashboard's: {@code /}, {@code /ui} or anything under {@code /ui/}. */
    public static boolean owns(String path) {
        return path.equals("/") || path.equals("/ui") || path.startsWith(PATH);
    }

    /** Answers one request for a path {@link #owns} accepted; closes nothing (the caller owns the exchange). */
    public void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        var headers = ex.getResponseHeaders();
        headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("X-Frame-Options", "DENY");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("Cache-Control", "no-cache");
        if (!ex.getRequestMethod().equals("GET")) {
            headers.set("Allow", "GET");
            text(ex, 405, "use GET on the dashboard's files\n");
            return;
        }
        if (path.equals("/") || path.equals("/ui")) {
            headers.set("Location", PATH);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        String name = path.equals(PATH) ? "index.html" : path.substring(PATH.length());
        Asset asset = assets.get(name);
        if (asset == null) {
            text(ex, 404, "the dashboard has no such file\n");
            return;
        }
        headers.set("Content-Type", asset.contentType());
        ex.sendResponseHeaders(200, asset.bytes().length);
        ex.getResponseBody().write(asset.bytes());
    }

    private static void text(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
