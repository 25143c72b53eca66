package io.agentmesh.node.backup.target;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a target is, as written in {@code backup.json} or on the command line, parsed strictly: anything that is not
 * exactly one of these forms is refused with a message saying what was expected.
 * <ul>
 *   <li>{@code file:///absolute/path}: a directory (local disk or NAS mount); no host, query or fragment.</li>
 *   <li>{@code s3://bucket[/prefix][?endpoint=http(s)://host:port&region=name]}: a bucket and key prefix; the
 *   endpoint is for S3-compatible servers (path-style addressing), the region defaults to {@value #DEFAULT_REGION}.</li>
 * </ul>
 */
public sealed interface TargetUri {
    String DEFAULT_REGION = "us-east-1";

    /** A one-line description without secrets (URIs never carry any: credentials are configured apart). */
    String describe();

    /** A directory target. */
    record Directory(Path path) implements TargetUri {
        public Directory {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return "directory " + path;
        }
    }

    /**
     * An S3 target.
     *
     * @param prefix the key prefix without leading or trailing '/', possibly empty
     */
    record S3(String bucket, String prefix, Optional<URI> endpoint, String region) implements TargetUri {
        public S3 {
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(region, "region");
        }

        @Override
        public String describe() {
            return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix)
                    + endpoint.map(e -> " at " + e).orElse("") + " (region " + region + ")";
        }
    }

    Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    Pattern REGION = Pattern.compile("[a-z0-9-]{1,32}");

    /** Parses {@code text}; throws {@link IllegalArgumentException} saying what is wrong and what is expected. */
    static TargetUri parse(String text) {
        if (text == null || text.isBlank()) {
            throw bad(String.valueOf(text), "it is empty");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw bad(text, "it is not a URI (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw bad(text, "it has no scheme");
        }
        return switch (scheme) {
            case "file" -> parseFile(text, uri);
            case "s3" -> parseS3(text, uri);
            default -> throw bad(text, "scheme \"" + scheme + "\" is not supported");
        };
    }

    private static TargetUri parseFile(String text, URI uri) {
        if (uri.isOpaque() || uri.getRawAuthority() != null) {
            throw bad(text, "a file URI needs three slashes and an absolute path (file:///mnt/backup), no host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw bad(text, "a file URI takes no query or fragment");
        }
        String path = uri.getPath();
        if (path == null || !path.startsWith("/") || path.equals("/")) {
            throw bad(text, "a file URI needs an absolute path below / (file:///mnt/backup)");
        }
        for (String seg : path.split("/")) {
            if (seg.equals("..") || seg.equals(".")) {
                throw bad(text, "the path has a \"" + seg + "\" segment");
            }
        }
        return new Directory(Path.of(path).normalize());
    }

    private static TargetUri parseS3(String text, URI uri) {
        if (uri.isOpaque() || uri.getRawFragment() != null || uri.getRawUserInfo() != null || uri.getPort() != -1) {
            throw bad(text, "an S3 URI is s3://bucket/prefix?endpoint=...&region=..., with no user, port or"
                    + " fragment (credentials go in backup.json as environment variable names or a file)");
        }
        String bucket = uri.getHost();
        if (bucket == null || !BUCKET.matcher(bucket).matches()) {
            throw bad(text, "the bucket name must be 3-63 characters of [a-z0-9.-], starting and ending with a"
                    + " letter or digit");
        }
        String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (rawPath.contains("%")) {
            throw bad(text, "the prefix must not be percent-encoded");
        }
        String prefix = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!prefix.isEmpty()) {
            try {
                ObjectNames.require(prefix);
            } catch (IllegalArgumentException e) {
                throw bad(text, "the key prefix must follow the object name rules: " + e.getMessage());
            }
        }
        Map<String, String> query = query(text, uri.getRawQuery());
        Optional<URI> endpoint = Optional.ofNullable(query.get("endpoint")).map(e -> endpoint(text, e));
        String region = query.getOrDefault("region", DEFAULT_REGION);
        if (!REGION.matcher(region).matches()) {
            throw bad(text, "region \"" + region + "\" must be [a-z0-9-], like us-east-1");
        }
        return new S3(bucket, prefix, endpoint, region);
    }

    private static Map<String, String> query(String text, String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        if (raw.isEmpty()) {
            throw bad(text, "the query is empty");
        }
        for (String pair : raw.split("&", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) {
                throw bad(text, "query part \"" + pair + "\" is not key=value");
            }
            String key = pair.substring(0, eq);
            String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (!key.equals("endpoint") && !key.equals("region")) {
                throw bad(text, "unknown query parameter \"" + key + "\" (known: endpoint, region)");
            }
            if (out.put(key, value) != null) {
                throw bad(text, "query parameter \"" + key + "\" is given twice");
            }
        }
        return out;
    }

    private static URI endpoint(String text, String value) {
        URI e;
        try {
            e = new URI(value);
        } catch (URISyntaxException ex) {
            throw bad(text, "endpoint \"" + value + "\" is not a URI");
        }
        boolean http = "http".equals(e.getScheme()) || "https".equals(e.getScheme());
        String path = e.getRawPath();
        if (!http || e.getHost() == null || e.getRawUserInfo() != null || e.getRawQuery() != null
                || e.getRawFragment() != null || !(path == null || path.isEmpty() || path.equals("/"))) {
            throw bad(text, "endpoint must be http(s)://host[:port] with no path, user or query, got \"" + value
                    + "\"");
        }
        return URI.create(e.getScheme() + "://" + e.getRawAuthority());
    }

    private static IllegalArgumentException bad(String text, String why) {
        String shown = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return new IllegalArgumentException("bad backup target URI \"" + shown + "\": " + why + "; expected"
                + " file:///absolute/path or s3://bucket/prefix?endpoint=http://host:port&region=us-east-1");
    }
}
