package io.agentmesh.relay.tls;

import io.agentmesh.protocol.identity.SigningKey;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Set;

/**
 * The relay's own Ed25519 key, which its TLS certificate carries and nodes pin ({@link RelayFingerprint}). Kept in
 * {@code <home>/relay.key} as a PKCS#8 PEM file readable by its owner only, made at first start; {@code openssl pkey}
 * reads it. A relay without a home gets a key for its process only ({@link #generate}), which nodes can pin only for
 * that run.
 */
public final class RelayKey {
    public static final String FILE_NAME = "relay.key";
    private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String END = "-----END PRIVATE KEY-----";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final int MAX_FILE_BYTES = 4096;

    private final SigningKey key;
    private final RelayFingerprint fingerprint;

    private RelayKey(SigningKey key) {
        this.key = key;
        this.fingerprint = RelayFingerprint.ofSubjectPublicKeyInfo(SelfSignedEd25519.subjectPublicKeyInfo(key));
    }

    /** A new key that lives as long as this process. */
    public static RelayKey generate(SecureRandom random) {
        return new RelayKey(SigningKey.generate(random));
    }

    /**
     * The key in {@code <home>/relay.key}, made (and the directory too) when absent.
     *
     * @return the key and whether it was made now
     * @throws IOException              when the file cannot be read or written
     * @throws IllegalArgumentException when the file is not a relay key, or others may read it (naming the fix)
     */
    public static Loaded loadOrCreate(Path home, SecureRandom random) throws IOException {
        Path file = home.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return new Loaded(read(file), file, false);
        }
        Files.createDirectories(home);
        SigningKey key = SigningKey.generate(random);
        Path tmp = home.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp);
        if (Files.getFileStore(home).supportsFileAttributeView("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, pem(key), StandardCharsets.US_ASCII);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            // No replace: two relays started at once on one home must not end up with two keys.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(tmp);
            return new Loaded(read(file), file, false);
        }
        return new Loaded(new RelayKey(key), file, true);
    }

    /** A key read from or written to {@code file}; {@code created} when this call made it. */
    public record Loaded(RelayKey key, Path file, boolean created) {
    }

    private static RelayKey read(Path file) throws IOException {
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(perms)) {
                throw new IllegalArgumentException("relay key " + file + " is readable by others ("
                        + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
            }
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("relay key " + file + " is not a relay key (" + Files.size(file)
                    + " bytes); move it away and a new key is made at the next start");
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
            throw new IllegalArgumentException("relay key " + file + " is not a PEM private key (" + BEGIN + ")");
        }
        String body = text.substring(BEGIN.length(), text.length() - END.length()).replaceAll("\\s", "");
        try {
            PrivateKey k = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
            byte[] seed = ((EdECPrivateKey) k).getBytes().orElseThrow(() ->
                    new IllegalArgumentException("relay key " + file + " hides its key bytes"));
            return new RelayKey(SigningKey.fromSeed(seed));
        } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException("relay key " + file + " is not an Ed25519 private key: "
                    + e.getMessage(), e);
        }
    }

    private static String pem(SigningKey key) {
        try {
            byte[] der = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, key.seed())).getEncoded();
            return BEGIN + "\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(der) + "\n" + END + "\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot encode an Ed25519 key: " + e.getMessage(), e);
        }
    }

    SigningKey signingKey() {
        return key;
    }

    /** What nodes pin: {@code sha256:} and the hex SHA-256 of the public key's SubjectPublicKeyInfo. */
    public RelayFingerprint fingerprint() {
        return fingerprint;
    }
}
