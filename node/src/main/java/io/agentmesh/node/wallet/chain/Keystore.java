package io.agentmesh.node.wallet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.modes.SICBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * The wallet's key on node-local disk: a Web3 Secret Storage (version 3) file, scrypt and AES-128-CTR, with the MAC
 * checked before anything is decrypted, so a wrong passphrase is told apart from a damaged file. The same files
 * geth, web3j and ethers read and write; written here on Bouncy Castle's scrypt and AES so web3j's core module (and
 * its dependency tree) is not needed (docs/wallet.md, "Dependencies").
 *
 * <p>The file is written 0600, atomically, never over an existing one. Its passphrase is the node passphrase
 * ({@code AGENTMESH_PASSPHRASE} or {@code --passphrase-file}): the key never enters the replicated state, the journal,
 * logs or backups (the default place, {@code <home>/wallet/keystore.json}, is outside the identity and state
 * directories that backups take).
 */
public final class Keystore {
    /** A keystore file is small; anything larger is not one. */
    public static final int MAX_FILE_BYTES = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DKLEN = 32;
    /** Bounds on the scrypt cost of a file we read: a crafted file must not take the node's memory or minutes. */
    private static final int MAX_N = 1 << 20;
    private static final int MAX_R = 32;
    private static final int MAX_P = 16;
    private static final long MAX_SCRYPT_MEMORY_BYTES = 256L * 1024 * 1024;

    /** scrypt's cost: N (CPU and memory), r (block size), p (parallelism). */
    public record Scrypt(int n, int r, int p) {
        /** geth's and web3j's standard: about 256 MB-seconds, 1-2.5 s on a loaded 2-core machine. */
        public static final Scrypt STANDARD = new Scrypt(1 << 18, 8, 1);
        /** web3j's light parameters: for tests and fixtures only, never for a real key. */
        public static final Scrypt LIGHT = new Scrypt(1 << 12, 8, 6);

        public Scrypt {
            if (n < 2 || Integer.bitCount(n) != 1 || n > MAX_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P
                    || 128L * r * n > MAX_SCRYPT_MEMORY_BYTES) {
                throw new IllegalArgumentException("scrypt parameters out of bounds: n=" + n + " r=" + r + " p=" + p
                        + " (n a power of two up to 2^20, r up to " + MAX_R + ", p up to " + MAX_P + ", at most "
                        + (MAX_SCRYPT_MEMORY_BYTES >> 20) + " MB)");
            }
        }
    }

    /** A keystore that cannot be used: missing, malformed, or the passphrase does not open it. */
    public static final class KeystoreException extends Exception {
        public KeystoreException(String message) {
            super(message);
        }
    }

    private Keystore() {
    }

    /** Creates {@code file} holding a new random key; refuses an existing file. Returns the new address. */
    public static EthAddress create(Path file, char[] passphrase, SecureRandom random, Scrypt scrypt)
            throws IOException, KeystoreException {
        byte[] key = new byte[32];
        BigInteger k;
        do {
            random.nextBytes(key);
            k = new BigInteger(1, key);
        } while (k.signum() == 0 || k.compareTo(org.web3j.crypto.Sign.CURVE_PARAMS.getN()) >= 0);
        return write(file, key, passphrase, random, scrypt);
    }

    /**
     * Creates {@code file} holding {@code privateKeyHex} (64 hex digits, {@code 0x} optional); refuses an existing
     * file and a key that is not a valid secp256k1 scalar.
     */
    public static EthAddress importKey(Path file, String privateKeyHex, char[] passphrase, SecureRandom random,
                                       Scrypt scrypt) throws IOException, KeystoreException {
        String h = privateKeyHex == null ? "" : privateKeyHex.strip();
        if (h.startsWith("0x") || h.startsWith("0X")) {
            h = h.substring(2);
        }
        if (!h.matches("[0-9a-fA-F]{64}")) {
            throw new KeystoreException("a private key is 64 hex digits (0x optional)");
        }
        byte[] key = HexFormat.of().parseHex(h);
        BigInteger k = new BigInteger(1, key);
        if (k.signum() == 0 || k.compareTo(org.web3j.crypto.Sign.CURVE_PARAMS.getN()) >= 0) {
            throw new KeystoreException("the private key is not a valid secp256k1 key (zero or not below the curve"
                    + " order)");
        }
        return write(file, key, passphrase, random, scrypt);
    }

    /** The address a keystore file is for, read without the passphrase (the V3 file states it in clear). */
    public static EthAddress address(Path file) throws IOException, KeystoreException {
        JsonNode root = read(file);
        JsonNode a = root.get("address");
        if (a == null || !a.isTextual()) {
            throw new KeystoreException("keystore " + file + " names no address");
        }
        try {
            return EthAddress.parse("0x" + a.asText().toLowerCase(Locale.ROOT).replaceFirst("^0x", ""));
        } catch (IllegalArgumentException e) {
            throw new KeystoreException("keystore " + file + " names a malformed address");
        }
    }

    /**
     * Opens {@code file} with {@code passphrase}. Throws KeystoreException saying "wrong passphrase" when the MAC does
     * not match, and naming the problem when the file is not a V3 scrypt keystore or its key does not match its
     * address.
     */
    public static Signer unlock(Path file, char[] passphrase) throws IOException, KeystoreException {
        JsonNode root = read(file);
        String where = "keystore " + file;
        if (root.path("version").asInt(-1) != 3) {
            throw new KeystoreException(where + " is not a version 3 keystore");
        }
        JsonNode crypto = root.has("crypto") ? root.get("crypto") : root.get("Crypto");
        if (crypto == null || !crypto.isObject()) {
            throw new KeystoreException(where + " has no crypto section");
        }
        if (!"aes-128-ctr".equals(crypto.path("cipher").asText())) {
            throw new KeystoreException(where + " uses cipher \"" + crypto.path("cipher").asText()
                    + "\"; only aes-128-ctr is supported");
        }
        if (!"scrypt".equals(crypto.path("kdf").asText())) {
            throw new KeystoreException(where + " uses kdf \"" + crypto.path("kdf").asText()
                    + "\"; only scrypt is supported");
        }
        JsonNode kp = crypto.path("kdfparams");
        Scrypt scrypt;
        try {
            scrypt = new Scrypt(kp.path("n").asInt(-1), kp.path("r").asInt(-1), kp.path("p").asInt(-1));
        } catch (IllegalArgumentException e) {
            throw new KeystoreException(where + ": " + e.getMessage());
        }
        if (kp.path("dklen").asInt(-1) != DKLEN) {
            throw new KeystoreException(where + ": dklen must be " + DKLEN);
        }
        byte[] salt = hex(where, kp.path("salt").asText(""), -1);
        byte[] iv = hex(where, crypto.path("cipherparams").path("iv").asText(""), 16);
        byte[] ciphertext = hex(where, crypto.path("ciphertext").asText(""), 32);
        byte[] mac = hex(where, crypto.path("mac").asText(""), 32);
        byte[] derived = derive(passphrase, salt, scrypt);
        try {
            if (!MessageDigest.isEqual(mac, mac(derived, ciphertext))) {
                throw new KeystoreException("wrong passphrase for the wallet keystore " + file
                        + " (its MAC does not match)");
            }
            byte[] key = aesCtr(derived, iv, ciphertext);
            try {
                Signer signer = new Signer(ECKeyPair.create(key));
                EthAddress stated = address(file);
                if (!signer.address().equals(stated)) {
                    throw new KeystoreException(where + " opens to a key for " + signer.address()
                            + ", not for the address it names (" + stated + ")");
                }
                return signer;
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        } finally {
            Arrays.fill(derived, (byte) 0);
        }
    }

    private static EthAddress write(Path file, byte[] key, char[] passphrase, SecureRandom random, Scrypt scrypt)
            throws IOException, KeystoreException {
        requirePassphrase(passphrase);
        if (Files.exists(file)) {
            throw new KeystoreException("the wallet keystore " + file + " already exists; it is never overwritten"
                    + " (move it away first if you mean to replace the key)");
        }
        byte[] salt = new byte[32];
        byte[] iv = new byte[16];
        random.nextBytes(salt);
        random.nextBytes(iv);
        byte[] uuid = new byte[16];
        random.nextBytes(uuid);
        byte[] derived = derive(passphrase, salt, scrypt);
        EthAddress address;
        ObjectNode root = JSON.createObjectNode();
        try {
            byte[] ciphertext = aesCtr(derived, iv, key);
            address = Signer.addressOf(new BigInteger(1, key));
            root.put("address", address.hex().substring(2));
            ObjectNode crypto = root.putObject("crypto");
            crypto.put("cipher", "aes-128-ctr");
            crypto.put("ciphertext", HexFormat.of().formatHex(ciphertext));
            crypto.putObject("cipherparams").put("iv", HexFormat.of().formatHex(iv));
            crypto.put("kdf", "scrypt");
            ObjectNode kp = crypto.putObject("kdfparams");
            kp.put("dklen", DKLEN);
            kp.put("n", scrypt.n());
            kp.put("p", scrypt.p());
            kp.put("r", scrypt.r());
            kp.put("salt", HexFormat.of().formatHex(salt));
            crypto.put("mac", HexFormat.of().formatHex(mac(derived, ciphertext)));
            root.put("id", UUID.nameUUIDFromBytes(uuid).toString());
            root.put("version", 3);
        } finally {
            Arrays.fill(derived, (byte) 0);
            Arrays.fill(key, (byte) 0);
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".keystore", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                // createLink fails if the target exists: no race with a concurrent keygen overwriting a key.
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException e) {
                throw new KeystoreException("the wallet keystore " + file + " already exists; it is never overwritten");
            } catch (UnsupportedOperationException | IOException e) {
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e2) {
                    Files.move(tmp, file);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return address;
    }

    private static void requirePassphrase(char[] passphrase) throws KeystoreException {
        if (passphrase == null || passphrase.length == 0) {
            throw new KeystoreException("the wallet keystore is encrypted with the node passphrase: set "
                    + "AGENTMESH_PASSPHRASE or --passphrase-file");
        }
    }

    private static JsonNode read(Path file) throws IOException, KeystoreException {
        if (!Files.isRegularFile(file)) {
            throw new KeystoreException("no wallet keystore at " + file + " (create one with `agentmesh wallet keygen`"
                    + " or `agentmesh wallet import`)");
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new KeystoreException("keystore " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(file));
            if (root == null || !root.isObject()) {
                throw new KeystoreException("keystore " + file + " is not a JSON object");
            }
            return root;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // No parser message: it could quote part of the file.
            throw new KeystoreException("keystore " + file + " is not valid JSON");
        }
    }

    private static byte[] derive(char[] passphrase, byte[] salt, Scrypt s) throws KeystoreException {
        requirePassphrase(passphrase);
        ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] pw = new byte[bb.remaining()];
        bb.get(pw);
        Arrays.fill(bb.array(), (byte) 0);
        try {
            return SCrypt.generate(pw, salt, s.n(), s.r(), s.p(), DKLEN);
        } catch (IllegalArgumentException e) {
            // Bouncy Castle's own limits (e.g. N below 2^16 when r is 1).
            throw new KeystoreException("scrypt parameters not supported: " + e.getMessage());
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    private static byte[] mac(byte[] derived, byte[] ciphertext) {
        byte[] in = new byte[16 + ciphertext.length];
        System.arraycopy(derived, 16, in, 0, 16);
        System.arraycopy(ciphertext, 0, in, 16, ciphertext.length);
        return Hash.sha3(in);
    }

    private static byte[] aesCtr(byte[] derived, byte[] iv, byte[] in) {
        SICBlockCipher ctr = new SICBlockCipher(AESEngine.newInstance());
        ctr.init(true, new ParametersWithIV(new KeyParameter(derived, 0, 16), iv));
        byte[] out = new byte[in.length];
        ctr.processBytes(in, 0, in.length, out, 0);
        return out;
    }

    private static byte[] hex(String where, String s, int length) throws KeystoreException {
        String h = Numeric.cleanHexPrefix(s);
        if (h.isEmpty() || h.length() % 2 != 0 || !h.matches("[0-9a-fA-F]+")
                || (length >= 0 && h.length() != 2 * length)) {
            throw new KeystoreException(where + " has a malformed hex field");
        }
        return HexFormat.of().parseHex(h);
    }
}
