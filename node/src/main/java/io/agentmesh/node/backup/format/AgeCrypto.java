package io.agentmesh.node.backup.format;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.framework.stream.StandardEncryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;
import io.agentmesh.node.backup.format.BackupFormatException.Problem;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

/**
 * age encryption of whole objects in memory (objects are at most {@link BackupObject#MAX_BYTES}), through jagged:
 * X25519 recipients, ChaCha20-Poly1305 payload. age authenticates the payload but not the sender, so authenticity
 * comes from the manifest's signature over every object's hash.
 */
final class AgeCrypto {
    static final byte[] AGE_HEADER = "age-encryption.org/v1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int BUFFER_BYTES = 64 * 1024;

    private AgeCrypto() {
    }

    static byte[] encrypt(byte[] plaintext, List<AgeRecipient> recipients) {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("at least one recipient is required");
        }
        try {
            List<RecipientStanzaWriter> writers = new ArrayList<>(recipients.size());
            for (AgeRecipient r : recipients) {
                writers.add(X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(r.text()));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(plaintext.length + 256 * recipients.size()
                    + plaintext.length / 4096 + 64);
            try (WritableByteChannel ch = new StandardEncryptingChannelFactory()
                    .newEncryptingChannel(Channels.newChannel(out), writers)) {
                ByteBuffer b = ByteBuffer.wrap(plaintext);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            return out.toByteArray();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("age encryption failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("age encryption into memory failed", e);
        }
    }

    /**
     * The plaintext of {@code ciphertext}, opened with the first of {@code identities} that matches a recipient.
     *
     * @param maxPlaintextBytes more is refused as CORRUPT (a bound on what a forged object can make us hold)
     */
    static byte[] decrypt(String name, byte[] ciphertext, List<AgeIdentity> identities, int maxPlaintextBytes) {
        if (identities.isEmpty()) {
            throw new IllegalArgumentException("at least one identity is required");
        }
        if (!startsWith(ciphertext, AGE_HEADER)) {
            throw new BackupFormatException(ciphertext.length < AGE_HEADER.length ? Problem.TRUNCATED
                    : Problem.CORRUPT, name, "is not an age file (its first line is not 'age-encryption.org/v1')");
        }
        List<RecipientStanzaReader> readers = new ArrayList<>(identities.size());
        try {
            for (AgeIdentity i : identities) {
                readers.add(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(i.secretKeyText()));
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("an age identity was refused: " + e.getMessage(), e);
        }
        ReadableByteChannel ch;
        try {
            ch = new StandardDecryptingChannelFactory().newDecryptingChannel(
                    Channels.newChannel(new ByteArrayInputStream(ciphertext)), readers);
        } catch (GeneralSecurityException e) {
            // The header parsed, but no stanza opened with our identities (or its MAC failed).
            throw new BackupFormatException(Problem.WRONG_KEY, name, "none of the given keys opens it ("
                    + identities.size() + " tried: " + e.getMessage() + "); is it the right recovery phrase, and"
                    + " is this agent's backup?", e);
        } catch (IOException e) {
            throw new BackupFormatException(Problem.TRUNCATED, name, "its age header is cut short or damaged: "
                    + e.getMessage(), e);
        }
        try (ch) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(ciphertext.length, maxPlaintextBytes));
            ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES);
            while (true) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                if (out.size() + (long) n > maxPlaintextBytes) {
                    throw new BackupFormatException(Problem.CORRUPT, name, "decrypts to more than "
                            + maxPlaintextBytes + " bytes");
                }
                out.write(buf.array(), 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new BackupFormatException(Problem.CORRUPT, name, "its encrypted payload does not authenticate"
                    + " (altered or cut short): " + e.getMessage(), e);
        }
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        if (a.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (a[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
