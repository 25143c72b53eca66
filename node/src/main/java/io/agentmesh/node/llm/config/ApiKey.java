package io.agentmesh.node.llm.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A provider key loaded on this node, the one key type of the gateway: the config layer reads it
 * ({@link ProviderKeys}), the provider layer sends it. Its text comes out only through {@link #reveal()}, which the
 * provider layer calls to build a request; {@code toString} shows the fingerprint, so a key logged or put in an
 * exception by accident shows only that, and {@link #redact} removes it from any text that might reach a log or an
 * outcome (a provider's error body may echo what it was sent). Deliberately not a record: a record's
 * {@code toString} and accessors would print it.
 */
public final class ApiKey {
    private final String text;
    private final String fingerprint;

    /** Throws IllegalArgumentException (without the text) when it is empty or has spaces or control characters. */
    public ApiKey(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty() || text.length() > 4096) {
            throw new IllegalArgumentException("a key is 1-4096 characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("a key is printable ASCII without spaces; this one has a space,"
                        + " a line break or another character at position " + i);
            }
        }
        this.text = text;
        this.fingerprint = fingerprintOf(text);
    }

    /** The key itself, for the request's header. Never for logs, messages, state or the journal. */
    public String reveal() {
        return text;
    }

    /** {@code text} with every occurrence of the key replaced by {@code [key]}; "" for null. */
    public String redact(String text) {
        if (text == null) {
            return "";
        }
        return text.contains(this.text) ? text.replace(this.text, "[key]") : text;
    }

    /**
     * The first 8 hex digits of the key's SHA-256: enough to tell keys apart (health remembers which key a provider
     * refused, and lets the provider back in once the key changes), too little to recover the key.
     */
    public String fingerprint() {
        return fingerprint;
    }

    static String fingerprintOf(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKey k && MessageDigest.isEqual(text.getBytes(StandardCharsets.UTF_8),
                k.text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return "ApiKey[fingerprint=" + fingerprint + "]";
    }
}
