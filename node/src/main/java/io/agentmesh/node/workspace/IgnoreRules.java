package io.agentmesh.node.workspace;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which workspace paths the mirror leaves alone: {@link #DEFAULTS} plus the lines of the workspace's
 * {@value #FILE_NAME}, in gitignore's style. One pattern a line; blank lines and lines starting with '#' are skipped;
 * '!' re-includes what an earlier pattern excluded; a trailing '/' matches directories only (and so everything under
 * them); a pattern with a '/' anywhere but at its end is anchored at the workspace root, otherwise it matches a name at
 * any depth; '*' matches within one path segment, '**' across segments, '?' one character, [abc] one of a set. The
 * last matching pattern wins; a file under an excluded directory stays excluded.
 */
public final class IgnoreRules {
    public static final String FILE_NAME = ".agentmeshignore";
    /** Marks the mirror's own temporary files (written beside the target, then renamed over it). */
    public static final String TEMP_MARKER = ".agentmesh-tmp-";
    /** What is never mirrored unless the ignore file re-includes it. */
    public static final List<String> DEFAULTS = List.of(
            ".git/", ".hg/", ".svn/",
            "*" + TEMP_MARKER + "*",
            "*.swp", "*.swo", "*.swx", "*~", ".#*", "#*#", "4913", ".*.kate-swp",
            ".DS_Store", "Thumbs.db", "*.tmp", "*.sync-conflict-*");
    /** Ignore files longer than this are refused (their first lines still apply). */
    public static final int MAX_PATTERNS = 1000;

    private record Rule(Pattern pattern, boolean negated, boolean directoryOnly, String text) {
    }

    private final List<Rule> rules;

    private IgnoreRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** The defaults alone. */
    public static IgnoreRules defaults() {
        return parse("");
    }

    /** The defaults, then the lines of an ignore file. */
    public static IgnoreRules parse(String ignoreFile) {
        List<Rule> rules = new ArrayList<>();
        for (String d : DEFAULTS) {
            add(rules, d);
        }
        int count = 0;
        for (String line : ignoreFile.split("\n", -1)) {
            if (count >= MAX_PATTERNS) {
                break;
            }
            if (add(rules, line.strip())) {
                count++;
            }
        }
        return new IgnoreRules(rules);
    }

    private static boolean add(List<Rule> rules, String line) {
        if (line.isEmpty() || line.startsWith("#")) {
            return false;
        }
        boolean negated = line.startsWith("!");
        String p = negated ? line.substring(1) : line;
        boolean dirOnly = p.endsWith("/");
        if (dirOnly) {
            p = p.substring(0, p.length() - 1);
        }
        boolean anchored = p.contains("/");
        if (p.startsWith("/")) {
            p = p.substring(1);
        }
        if (p.isEmpty()) {
            return false;
        }
        String regex = (anchored ? "" : "(?:.*/)?") + globToRegex(p);
        rules.add(new Rule(Pattern.compile(regex), negated, dirOnly, line));
        return true;
    }

    private static String globToRegex(String glob) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    i++;
                    if (i + 1 < glob.length() && glob.charAt(i + 1) == '/') {
                        i++;
                        out.append("(?:.*/)?"); // "**/" : zero or more directories
                    } else {
                        out.append(".*");
                    }
                } else {
                    out.append("[^/]*");
                }
            } else if (c == '?') {
                out.append("[^/]");
            } else if (c == '[') {
                int close = glob.indexOf(']', i + 1);
                if (close < 0) {
                    out.append("\\[");
                } else {
                    String set = glob.substring(i + 1, close);
                    if (set.startsWith("!")) {
                        set = "^" + set.substring(1);
                    }
                    out.append('[').append(set.replace("\\", "\\\\")).append(']');
                    i = close;
                }
            } else if (c == '\\' && i + 1 < glob.length()) {
                out.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
            } else {
                out.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return out.toString();
    }

    /** Whether {@code path} (relative, '/'-separated) is excluded: itself, or one of the directories above it. */
    public boolean ignores(String path, boolean directory) {
        int slash = path.indexOf('/');
        while (slash > 0) {
            if (matches(path.substring(0, slash), true)) {
                return true;
            }
            slash = path.indexOf('/', slash + 1);
        }
        return matches(path, directory);
    }

    /** The pattern that excludes {@code path}, for error messages; empty when none does. */
    public java.util.Optional<String> why(String path) {
        String found = null;
        int slash = path.indexOf('/');
        while (slash > 0 && found == null) {
            found = matching(path.substring(0, slash), true);
            slash = path.indexOf('/', slash + 1);
        }
        if (found == null) {
            found = matching(path, false);
        }
        return java.util.Optional.ofNullable(found);
    }

    private boolean matches(String path, boolean directory) {
        return matching(path, directory) != null;
    }

    private String matching(String path, boolean directory) {
        String last = null;
        boolean excluded = false;
        for (Rule r : rules) {
            if (r.directoryOnly() && !directory) {
                continue;
            }
            if (r.pattern().matcher(path).matches()) {
                excluded = !r.negated();
                last = r.text();
            }
        }
        return excluded ? last : null;
    }
}
