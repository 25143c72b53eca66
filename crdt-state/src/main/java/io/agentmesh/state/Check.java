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
