package io.agentmesh.protocol.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.protocol.bytes.BoundedWriter;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * The JSON text of a private key file; see {@link IdentityDirectory} for the format. Pure functions of their inputs
 * (the caller passes the randomness), so the file layer above stays about files.
 */
final class PrivateKeyFile {
    static final String FORMAT = "agentmesh-private-key";
    static final int VERSION = 1;
    static final String PLAIN = "none";
    static final String ENCRYPTED = "argon2id-aes256gcm";
    private static final byte[] AAD_DOMAIN = "agentmesh/private-key/v1".getBytes(StandardCharsets.US_ASCII);
    private static final int SALT_BYTES = 16;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Set<String> PLAIN_FIELDS = Set.of("format", "version", "kind", "id", "publicKey",
            "encryption", "seed");
    private static final Set<String> ENCRYPTED_FIELDS = Set.of("format", "version", "kind", "id", "publicKey",
            "encryption", "kdf", "nonce", "ciphertext");
    private static final Set<String> KDF_FIELDS = Set.of("algorithm", "version", "memoryKiB", "iterations",
            "parallelism", "salt");

    /** Which key a file holds; the kind is bound into the encryption, so files cannot be swapped unnoticed. */
    enum Kind {
        AGENT_ROOT("agent-root"), NODE("node"),
        /**
         * The seed of a node's operational backup key: its X25519 age identity is derived from the seed (package
         * {@code backup.format}); the Ed25519 public key beside it only names and checks the file.
         */
        BACKUP("backup");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        String idOf(VerifyingKey key) {
            return switch (this) {
                case NODE -> NodeId.of(key).toString();
                case AGENT_ROOT -> AgentId.of(key).toString();
                case BACKUP -> "backup-" + key.hex().substring(0, 16);
            };
        }
    }

    private PrivateKeyFile() {
    }

    static String encode(Kind kind, SigningKey key, Optional<char[]> passphrase, KdfParams kdf, SecureRandom random) {
        VerifyingKey pub = key.verifyingKey();
        ObjectNode o = Json.object();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        o.put("kind", kind.label);
        o.put("id", kind.idOf(pub));
        o.put("publicKey", pub.hex());
        if (passphrase.isEmpty()) {
            o.put("encryption", PLAIN);
            o.put("seed", HexFormat.of().formatHex(key.seed()));
            return Json.write(o);
        }
        byte[] salt = new byte[SALT_BYTES];
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(salt);
        random.nextBytes(nonce);
        byte[] aesKey = deriveKey(passphrase.get(), salt, kdf);
        byte[] seed = key.seed();
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aesKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            gcm.updateAAD(aad(kind, pub));
            byte[] ciphertext = gcm.doFinal(seed);
            o.put("encryption", ENCRYPTED);
            ObjectNode k = o.putObject("kdf");
            k.put("algorithm", "argon2id");
            k.put("version", 19);
            k.put("memoryKiB", kdf.memoryKiB());
            k.put("iterations", kdf.iterations());
            k.put("parallelism", kdf.parallelism());
            k.put("salt", HexFormat.of().formatHex(salt));
            o.put("nonce", HexFormat.of().formatHex(nonce));
            o.put("ciphertext", HexFormat.of().formatHex(ciphertext));
            return Json.write(o);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is part of every JDK", e);
        } finally {
            Arrays.fill(aesKey, (byte) 0);
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** The public key a file declares, without decrypting anything. */
    static VerifyingKey publicKey(Kind kind, String what, String hint, String text) {
        return header(kind, what, hint, text).publicKey;
    }

    /** Whether a file's key is encrypted, without decrypting anything. */
    static boolean encrypted(Kind kind, String what, String hint, String text) {
        return header(kind, what, hint, text).encryption.equals(ENCRYPTED);
    }

    /** The key in a file; {@code what} names the file in every message. */
    static SigningKey decode(Kind kind, String what, String hint, String text, Optional<char[]> passphrase) {
        Header h = header(kind, what, hint, text);
        Json j = h.json;
        byte[] seed;
        if (h.encryption.equals(PLAIN)) {
            j.onlyFields(PLAIN_FIELDS);
            seed = j.hex("seed", Ed25519.SEED_LENGTH);
        } else {
            j.onlyFields(ENCRYPTED_FIELDS);
            Json k = j.object("kdf").onlyFields(KDF_FIELDS);
            if (!"argon2id".equals(k.text("algorithm")) || k.integer("version") != 19) {
                throw k.fail("must be argon2id version 19");
            }
            KdfParams params;
            try {
                params = new KdfParams((int) Math.min(Integer.MAX_VALUE, Math.max(0, k.integer("memoryKiB"))),
                        k.smallInt("iterations", 1, KdfParams.MAX_ITERATIONS),
                        k.smallInt("parallelism", 1, KdfParams.MAX_PARALLELISM));
            } catch (IllegalArgumentException e) {
                throw k.fail("is out of range: " + e.getMessage());
            }
            byte[] salt = k.hex("salt", SALT_BYTES);
            byte[] nonce = j.hex("nonce", NONCE_BYTES);
            byte[] ciphertext = j.hex("ciphertext", Ed25519.SEED_LENGTH + TAG_BITS / 8);
            if (passphrase.isEmpty()) {
                throw new IdentityException(IdentityException.Reason.PASSPHRASE_REQUIRED, what
                        + " is encrypted; give the passphrase it was written with");
            }
            byte[] aesKey = deriveKey(passphrase.get(), salt, params);
            try {
                Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
                gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(aesKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
                gcm.updateAAD(aad(kind, h.publicKey));
                seed = gcm.doFinal(ciphertext);
            } catch (AEADBadTagException e) {
                throw new IdentityException(IdentityException.Reason.WRONG_PASSPHRASE, "wrong passphrase for " + what
                        + " (or the file was altered); try again with the passphrase used when it was written", e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-256-GCM is part of every JDK", e);
            } finally {
                Arrays.fill(aesKey, (byte) 0);
            }
        }
        try {
            SigningKey key = SigningKey.fromSeed(seed);
            if (!key.verifyingKey().equals(h.publicKey)) {
                throw j.fail("holds a private key that does not match its publicKey field");
            }
            return key;
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    private record Header(Json json, VerifyingKey publicKey, String encryption) {
    }

    private static Header header(Kind kind, String what, String hint, String text) {
        Json j = Json.parse(what, IdentityException.Reason.CORRUPT_FILE, hint, text);
        if (!FORMAT.equals(j.text("format"))) {
            throw j.fail("is not an agentmesh private key (format '" + j.text("format") + "')");
        }
        long version = j.integer("version");
        if (version != VERSION) {
            throw new IdentityException(IdentityException.Reason.UNSUPPORTED_VERSION, what + " has format version "
                    + version + ", this agentmesh reads version " + VERSION + "; use a newer agentmesh");
        }
        if (!kind.label.equals(j.text("kind"))) {
            throw j.fail("holds a '" + j.text("kind") + "' key, expected a '" + kind.label + "' key; is it the"
                    + " right file?");
        }
        VerifyingKey pub;
        byte[] raw = j.hex("publicKey", VerifyingKey.LENGTH);
        try {
            pub = new VerifyingKey(raw);
        } catch (IdentityException e) {
            throw j.fail("field 'publicKey': " + e.getMessage());
        }
        if (!kind.idOf(pub).equals(j.text("id"))) {
            throw j.fail("field 'id' " + j.text("id") + " does not match its publicKey (" + kind.idOf(pub) + ")");
        }
        String encryption = j.text("encryption");
        if (!encryption.equals(PLAIN) && !encryption.equals(ENCRYPTED)) {
            throw j.fail("has unknown encryption '" + encryption + "' (known: " + PLAIN + ", " + ENCRYPTED + ")");
        }
        return new Header(j, pub, encryption);
    }

    private static byte[] aad(Kind kind, VerifyingKey pub) {
        byte[] label = kind.label.getBytes(StandardCharsets.US_ASCII);
        return new BoundedWriter(AAD_DOMAIN.length + 1 + label.length + VerifyingKey.LENGTH).fixed(AAD_DOMAIN)
                .bytes8(label).fixed(pub.bytes()).toByteArray();
    }

    /**
     * Argon2id(passphrase, salt) -> 32-byte AES key. The passphrase is NFC-normalized and UTF-8 encoded, so the same
     * words typed on systems that compose accented letters differently give the same key.
     */
    static byte[] deriveKey(char[] passphrase, byte[] salt, KdfParams kdf) {
        byte[] password = utf8(Normalizer.normalize(CharBuffer.wrap(passphrase), Normalizer.Form.NFC));
        try {
            Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                    .withSalt(salt)
                    .withMemoryAsKB(kdf.memoryKiB())
                    .withIterations(kdf.iterations())
                    .withParallelism(kdf.parallelism())
                    .build();
            Argon2BytesGenerator gen = new Argon2BytesGenerator();
            gen.init(params);
            byte[] out = new byte[32];
            gen.generateBytes(password, out);
            return out;
        } finally {
            Arrays.fill(password, (byte) 0);
        }
    }

    private static byte[] utf8(String s) {
        ByteBuffer b = StandardCharsets.UTF_8.encode(s);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        if (b.hasArray()) {
            Arrays.fill(b.array(), (byte) 0);
        }
        return out;
    }
}
