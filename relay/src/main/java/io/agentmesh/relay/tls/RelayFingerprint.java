package io.agentmesh.relay.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A relay's key as nodes pin it: {@code sha256:} and the lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo.
 * Over the key, not the certificate, so a relay that makes a new certificate at each start keeps its pin; and the
 * same value {@code openssl pkey -in relay.key -pubout -outform DER | sha256sum} prints.
 */
public record RelayFingerprint(String text) {
    public static final String PREFIX = "sha256:";
    private static final int HEX_CHARS = 64;

    public RelayFingerprint {
        if (text == null || !text.startsWith(PREFIX) || text.length() != PREFIX.length() + HEX_CHARS
                || !text.substring(PREFIX.length()).chars().allMatch(c -> (c >= '0' && c <= '9')
                || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("a relay fingerprint is sha256: and 64 hex digits (what `agentmesh"
                    + " relay run --print-fingerprint` prints), got '" + text + "'");
        }
    }

    /** Parses {@code text}, accepting upper-case hex digits. */
    public static RelayFingerprint parse(String text) {
        return new RelayFingerprint(text == null ? null : text.strip().toLowerCase(Locale.ROOT));
    }

    /** The fingerprint of {@code key} (its {@link PublicKey#getEncoded()} is the SubjectPublicKeyInfo). */
    public static RelayFingerprint of(PublicKey key) {
        return ofSubjectPublicKeyInfo(key.getEncoded());
    }

    public static RelayFingerprint ofSubjectPublicKeyInfo(byte[] spkiDer) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(spkiDer);
            return new RelayFingerprint(PREFIX + HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
