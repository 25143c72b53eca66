package io.agentmesh.node.llm.provider;

import java.util.Arrays;

/**
 * A provider's key as the config layer read it (from an environment variable or a file). It never prints: its
 * {@code toString} is a placeholder, and {@link #redact} removes it from any text that might reach a log or an outcome
 * (a provider's error body may echo what it was sent).
 */
public final class ApiKey {
    private final char[] chars;

    public ApiKey(char[] chars) {
        if (chars == null || chars.length == 0) {
            throw new IllegalArgumentException("an API key cannot be empty");
        }
        for (char c : chars) {
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("an API key is printable ASCII without spaces (a stray newline from"
                        + " the key file?)");
            }
        }
        this.chars = chars.clone();
    }

    public static ApiKey of(String key) {
        return new ApiKey(key == null ? new char[0] : key.toCharArray());
    }

    /** The key as the LangChain4j builders take it; only for building a request, never for text. */
    String reveal() {
        return new String(chars);
    }

    /** {@code text} with every occurrence of the key replaced. */
    public String redact(String text) {
        if (text == null) {
            return "";
        }
        String key = reveal();
        return text.contains(key) ? text.replace(key, "[key]") : text;
    }

    @Override
    public String toString() {
        return "ApiKey[" + chars.length + " chars]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKey other && Arrays.equals(chars, other.chars);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(chars);
    }
}
