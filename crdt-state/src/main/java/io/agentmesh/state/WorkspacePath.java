package io.agentmesh.state;

import java.util.Optional;

/**
 * The rules of a workspace path, the same for local writes, the HTTP API and every peer's change: relative,
 * '/'-separated, normalized (no empty, "." or ".." segment, no leading or trailing '/'), no NUL, control character or
 * backslash (a Windows separator would name a different file on another node), well-formed UTF-16, at most
 * {@link Limits#MAX_WORKSPACE_PATH_LENGTH} chars and {@link Limits#MAX_WORKSPACE_PATH_SEGMENTS} segments.
 */
public final class WorkspacePath {
    private WorkspacePath() {
    }

    /** Why {@code path} is not a workspace path, or empty when it is one. */
    public static Optional<String> problem(String path) {
        if (path == null || path.isEmpty()) {
            return Optional.of("a workspace path must not be empty");
        }
        if (path.length() > Limits.MAX_WORKSPACE_PATH_LENGTH) {
            return Optional.of("a workspace path has at most " + Limits.MAX_WORKSPACE_PATH_LENGTH + " chars, this one "
                    + path.length());
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == 0) {
                return Optional.of("a workspace path must not contain NUL");
            }
            if (Character.isISOControl(c)) {
                return Optional.of("a workspace path must not contain control characters (one at index " + i + ")");
            }
            if (c == '\\') {
                return Optional.of("a workspace path uses '/' as its separator, never '\\\\'");
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < path.length() && Character.isLowSurrogate(path.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return Optional.of("a workspace path has an unpaired surrogate at index " + i);
            }
            if (Character.isLowSurrogate(c)) {
                return Optional.of("a workspace path has an unpaired surrogate at index " + i);
            }
        }
        if (path.startsWith("/")) {
            return Optional.of("a workspace path is relative to the workspace; '" + path + "' is absolute");
        }
        if (path.length() >= 2 && path.charAt(1) == ':' && Character.isLetter(path.charAt(0))) {
            return Optional.of("a workspace path is relative to the workspace; '" + path + "' names a drive");
        }
        String[] segments = path.split("/", -1);
        if (segments.length > Limits.MAX_WORKSPACE_PATH_SEGMENTS) {
            return Optional.of("a workspace path has at most " + Limits.MAX_WORKSPACE_PATH_SEGMENTS
                    + " segments, this one " + segments.length);
        }
        for (String s : segments) {
            if (s.isEmpty()) {
                return Optional.of("a workspace path is normalized: no empty segment ('//', or a '/' at its end) in '"
                        + path + "'");
            }
            if (s.equals("..")) {
                return Optional.of("a workspace path must not contain '..': '" + path + "' could leave the workspace");
            }
            if (s.equals(".")) {
                return Optional.of("a workspace path is normalized: no '.' segment in '" + path + "'");
            }
        }
        return Optional.empty();
    }

    /** Returns {@code path}, or throws IllegalArgumentException saying why it is not a workspace path. */
    public static String check(String path) {
        Optional<String> problem = problem(path);
        if (problem.isPresent()) {
            throw new IllegalArgumentException(problem.get());
        }
        return path;
    }
}
