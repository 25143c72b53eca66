package io.agentmesh.node.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer token of the node's HTTP API (docs/operations.md, "API tokens"): 32 random bytes, kept in
 * {@code <home>/api-token} with mode 0600, required on every request when the API listens beyond loopback. Its text
 * never appears in {@link #toString()}, so a log line or an exception that prints it shows nothing.
 */
public final class ApiToken {
    /** The token's file in the home directory. */
    public static final String FILE_NAME = "api-token";
    /** Clients (the CLI, {@code agentmesh mcp}) take the token from here before the home's file. */
    public static final String ENV = "AGENTMESH_API_TOKEN";
    private static final String PREFIX = "amt_";
    private static final int RANDOM_BYTES = 32;
    private static final int MIN_CHARS = 20;
    private static final int MAX_CHARS = 512;
    private static final int MAX_FILE_BYTES = 4096;

    private final String value;
    private final byte[] digest;

    private ApiToken(String value) {
        this.value = value;
        this.digest = sha256(value);
    }

    /** A new random token. */
    public static ApiToken generate(SecureRandom random) {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return new ApiToken(PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    /**
     * A token given as text ({@code where} names its origin for the error): {@value #MIN_CHARS} to
     * {@value #MAX_CHARS} printable ASCII characters without spaces, as an HTTP header carries them.
     */
    public static ApiToken parse(String text, String where) {
        String t = Objects.requireNonNull(text, "text").strip();
        if (t.length() < MIN_CHARS || t.length() > MAX_CHARS) {
            throw new IllegalArgumentException(where + ": an API token is " + MIN_CHARS + " to " + MAX_CHARS
                    + " characters, this one has " + t.length() + " (make a new one with `agentmesh api-token new`)");
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException(where + ": an API token is printable ASCII without spaces; this"
                        + " one has a character that is not, at position " + (i + 1));
            }
        }
        return new ApiToken(t);
    }

    /**
     * The token in {@code file}; empty when there is no such file. A file that others may read (on a system with
     * POSIX permissions) is refused: the token would not be secret.
     */
    public static Optional<ApiToken> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("API token file " + file + " is not a regular file");
        }
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
                throw new IllegalArgumentException("API token file " + file + " is readable by others ("
                        + PosixFilePermissions.toString(perms) + "); run `chmod 600 " + file + "`");
            }
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("API token file " + file + " is larger than " + MAX_FILE_BYTES
                    + " bytes; it holds one token");
        }
        return Optional.of(parse(Files.readString(file, StandardCharsets.US_ASCII), "API token file " + file));
    }

    /** Writes the token to {@code file} (mode 0600 from the start, then moved into place), replacing any. */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, value + "\n", StandardCharsets.US_ASCII);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Whether {@code presented} is this token. Compares digests of equal length with {@link MessageDigest#isEqual},
     * whose time does not depend on where the two differ, nor (through the digest) on the presented length.
     */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    /** The token's text, for a client to send. */
    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "ApiToken[redacted]";
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
