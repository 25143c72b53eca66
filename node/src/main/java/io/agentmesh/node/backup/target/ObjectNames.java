package io.agentmesh.node.backup.target;

/**
 * The names and sizes of backup objects, as agreed with the backup format: a relative path of '/'-separated segments
 * of {@code [a-z0-9._-]}, at most {@value #MAX_NAME_CHARS} characters, no empty segment, no "." or ".." segment;
 * bytes at most {@value #MAX_OBJECT_BYTES}. Checked on the way in (every call) and on the way out (listing skips
 * anything else a store holds: directory placeholders, temporary files, foreign keys).
 */
public final class ObjectNames {
    public static final int MAX_NAME_CHARS = 200;
    public static final int MAX_OBJECT_BYTES = 64 * 1024 * 1024;

    private ObjectNames() {
    }

    /** Whether {@code name} is a valid object name. */
    public static boolean isValid(String name) {
        return reason(name) == null;
    }

    /** Throws {@link IllegalArgumentException} saying what is wrong when {@code name} is not a valid object name. */
    public static String require(String name) {
        String why = reason(name);
        if (why != null) {
            throw new IllegalArgumentException("bad backup object name " + quote(name) + ": " + why);
        }
        return name;
    }

    /**
     * Throws {@link IllegalArgumentException} unless {@code prefix} is a listing prefix: empty, or the start of a
     * valid name (same characters, at most {@value #MAX_NAME_CHARS}; it may end with '/' or inside a segment).
     */
    public static String requirePrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("listing prefix is missing");
        }
        if (prefix.isEmpty()) {
            return prefix;
        }
        String why = prefix.length() > MAX_NAME_CHARS ? "longer than " + MAX_NAME_CHARS + " characters"
                : badCharacter(prefix);
        if (why == null && (prefix.startsWith("/") || prefix.contains("//"))) {
            why = "it has an empty segment";
        }
        if (why == null) {
            for (String seg : prefix.split("/", -1)) {
                if (seg.equals("..")) {
                    why = "it has a \"..\" segment";
                }
            }
        }
        if (why != null) {
            throw new IllegalArgumentException("bad backup listing prefix " + quote(prefix) + ": " + why);
        }
        return prefix;
    }

    /** Throws {@link IllegalArgumentException} naming the object when {@code bytes} is larger than allowed. */
    public static byte[] requireSize(String name, byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("backup object " + name + " has no bytes");
        }
        if (bytes.length > MAX_OBJECT_BYTES) {
            throw new IllegalArgumentException("backup object " + name + " is " + bytes.length + " bytes, more than"
                    + " the " + MAX_OBJECT_BYTES + " allowed");
        }
        return bytes;
    }

    private static String reason(String name) {
        if (name == null || name.isEmpty()) {
            return "it is empty";
        }
        if (name.length() > MAX_NAME_CHARS) {
            return "longer than " + MAX_NAME_CHARS + " characters";
        }
        String bad = badCharacter(name);
        if (bad != null) {
            return bad;
        }
        for (String seg : name.split("/", -1)) {
            if (seg.isEmpty()) {
                return "it has an empty segment (a leading, trailing or doubled '/')";
            }
            if (seg.equals(".") || seg.equals("..")) {
                return "it has a \"" + seg + "\" segment";
            }
        }
        return null;
    }

    private static String badCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
                    || c == '/';
            if (!ok) {
                return "character " + (c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c))
                        + " at " + i + " is outside [a-z0-9._-] and '/'";
            }
        }
        return null;
    }

    private static String quote(String s) {
        if (s == null) {
            return "(none)";
        }
        String shown = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return "\"" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
    }
}
