package io.agentmesh.state;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;

/** Input checks for {@link AgentState}'s writes: each failure is an IllegalArgumentException naming the field. */
final class Check {
    private Check() {
    }

    static String id(String what, String value) {
        return shortString(what, value, Limits.MAX_ID_LENGTH);
    }

    static String name(String what, String value) {
        return shortString(what, value, Limits.MAX_NAME_LENGTH);
    }

    /** Non-empty, at most {@code max} chars, no control characters, well-formed UTF-16. */
    static String shortString(String what, String value, int max) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        if (value.length() > max) {
            throw new IllegalArgumentException(what + " is " + value.length() + " chars; at most " + max
                    + " are allowed");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(what + " contains a control character at index " + i);
            }
        }
        wellFormed(what, value);
        return value;
    }

    /** Any text of at most {@code maxBytes} UTF-8 bytes (may be empty). */
    static String text(String what, String value, int maxBytes) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is required (use \"\" for none)");
        }
        wellFormed(what, value);
        long bytes = utf8Length(value);
        if (bytes > maxBytes) {
            throw new IllegalArgumentException(what + " is " + bytes + " UTF-8 bytes; at most " + maxBytes
                    + " are allowed");
        }
        return value;
    }

    static long time(String what, long millis) {
        if (millis < 0 || millis > Limits.MAX_NUMBER) {
            throw new IllegalArgumentException(what + " must be 0.." + Limits.MAX_NUMBER
                    + " (milliseconds since the epoch), got " + millis);
        }
        return millis;
    }

    static long number(String what, long value) {
        if (value < 0 || value > Limits.MAX_NUMBER) {
            throw new IllegalArgumentException(what + " must be 0.." + Limits.MAX_NUMBER + ", got " + value);
        }
        return value;
    }

    /**
     * An agent fence in its text form, {@link Intent#FENCE_FORMAT}: decimal digits only, each number at most
     * {@link Limits#MAX_NUMBER}, the index at least 1 (Raft log indices start at 1).
     */
    static String fence(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty; a fence is " + Intent.FENCE_FORMAT);
        }
        int dot = value.indexOf('.');
        if (value.length() > 2 * MAX_NUMBER_DIGITS + 1 || dot <= 0 || dot == value.length() - 1
                || value.indexOf('.', dot + 1) >= 0) {
            throw new IllegalArgumentException(what + " '" + shown(value) + "' is not two numbers joined by a dot; a"
                    + " fence is " + Intent.FENCE_FORMAT);
        }
        fenceNumber(what, value, value.substring(0, dot));
        if (fenceNumber(what, value, value.substring(dot + 1)) < 1) {
            throw new IllegalArgumentException(what + " '" + value + "' has index 0; log indices start at 1");
        }
        return value;
    }

    /** Digits in {@link Limits#MAX_NUMBER}. */
    private static final int MAX_NUMBER_DIGITS = Long.toString(Limits.MAX_NUMBER).length();

    private static long fenceNumber(String what, String fence, String digits) {
        if (digits.length() > MAX_NUMBER_DIGITS) {
            throw new IllegalArgumentException(what + " '" + shown(fence) + "' has a number above "
                    + Limits.MAX_NUMBER);
        }
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException(what + " '" + shown(fence) + "' has a character other than digits"
                        + " and the dot; a fence is " + Intent.FENCE_FORMAT);
            }
        }
        long n = Long.parseLong(digits);
        if (n > Limits.MAX_NUMBER) {
            throw new IllegalArgumentException(what + " '" + fence + "' has a number above " + Limits.MAX_NUMBER);
        }
        return n;
    }

    /** A value as an error message may quote it: bounded, control characters escaped. */
    private static String shown(String value) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < value.length() && i < 64; i++) {
            char c = value.charAt(i);
            b.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return value.length() > 64 ? b + "..." : b.toString();
    }

    static String zone(String what, String zone) {
        name(what, zone);
        try {
            ZoneId.of(zone);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(what + " '" + zone + "' is not a time zone id (" + e.getMessage()
                    + ")");
        }
        return zone;
    }

    static List<String> tags(List<String> tags) {
        if (tags.size() > Limits.MAX_TAGS) {
            throw new IllegalArgumentException("a memory entry may have at most " + Limits.MAX_TAGS + " tags, got "
                    + tags.size());
        }
        for (int i = 0; i < tags.size(); i++) {
            shortString("tag " + i, tags.get(i), Limits.MAX_TAG_LENGTH);
        }
        return tags;
    }

    /**
     * Automerge stores UTF-8; a lone surrogate would reach it as an invalid string and come back as U+FFFD (in a
     * value) or fail (in a key). Refuse it here instead.
     */
    static void wellFormed(String what, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i);
            }
            if (Character.isLowSurrogate(c)) {
                throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i);
            }
        }
    }

    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
