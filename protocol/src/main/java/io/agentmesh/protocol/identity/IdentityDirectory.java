package io.agentmesh.protocol.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A node's identity directory (kept apart from its state directory): the agent's public root key, optionally the
 * agent root private key (only on the machine that enrolls nodes; it can live offline), the node key and the node's
 * certificate.
 *
 * <pre>
 *   &lt;dir&gt;/                 mode 0700
 *     agent.json           agent id and root public key: which agent this node belongs to (not secret)
 *     agent-root.key       agent root private key (secret; only where nodes are enrolled)
 *     node.key             this node's private key (secret)
 *     node-cert.json       this node's certificate, signed by the agent root key ({@link NodeCertificate})
 *     incarnation          the highest incarnation number this node key has used, in decimal
 *     backup.key           the seed of this node's operational backup key (secret; docs/backup.md): the daily
 *                          drill decrypts backups with the age identity derived from it, without the phrase
 * </pre>
 * Every file is mode 0600 and written atomically (temporary file, fsync, rename, fsync of the directory). Key files
 * are never overwritten; the agent file and the certificate may be (renewal).
 *
 * <p><b>agent.json</b>, version 1:
 * <pre>
 * { "format" : "agentmesh-agent", "version" : 1, "agentId" : "agent1...", "rootPublicKey" : "64 hex digits" }
 * </pre>
 *
 * <p><b>Private key files</b> ({@code agent-root.key}, {@code node.key}), version 1. {@code kind} is
 * {@code agent-root} or {@code node}; {@code id} is the agent or node id of {@code publicKey}, for people, and is
 * checked on read. The public key is in clear so the node id can be shown without the passphrase. Without a
 * passphrase:
 * <pre>
 * { "format" : "agentmesh-private-key", "version" : 1, "kind" : "node", "id" : "node1...",
 *   "publicKey" : "64 hex digits", "encryption" : "none", "seed" : "64 hex digits" }
 * </pre>
 * With a passphrase, the 32-byte seed is encrypted with AES-256-GCM under a key derived by Argon2id (version 0x13)
 * from the NFC-normalized UTF-8 passphrase and a random 16-byte salt; the 12-byte nonce is random; the associated
 * data is {@code "agentmesh/private-key/v1" || len(kind) || kind || publicKey}, so the ciphertext cannot be moved
 * into another key's file. The Argon2 costs are stored, so they can change without breaking old files:
 * <pre>
 * { "format" : "agentmesh-private-key", "version" : 1, "kind" : "node", "id" : "node1...",
 *   "publicKey" : "64 hex digits", "encryption" : "argon2id-aes256gcm",
 *   "kdf" : { "algorithm" : "argon2id", "version" : 19, "memoryKiB" : 65536, "iterations" : 3, "parallelism" : 1,
 *             "salt" : "32 hex digits" },
 *   "nonce" : "24 hex digits", "ciphertext" : "96 hex digits (32 bytes of seed + 16 bytes of GCM tag)" }
 * </pre>
 *
 * <p>Where a passphrase comes from (an environment variable, a file, a prompt) is the caller's business; this class
 * takes it as {@code Optional<char[]>} and does not keep it. Errors are {@link IdentityException}s that name the file
 * and say what to do; {@link IOException} is left for the disk itself failing.
 */
public final class IdentityDirectory {
    public static final String AGENT_FILE = "agent.json";
    public static final String AGENT_ROOT_KEY_FILE = "agent-root.key";
    public static final String NODE_KEY_FILE = "node.key";
    public static final String CERTIFICATE_FILE = "node-cert.json";
    public static final String INCARNATION_FILE = "incarnation";
    public static final String BACKUP_KEY_FILE = "backup.key";
    static final String AGENT_FORMAT = "agentmesh-agent";
    private static final Set<String> AGENT_FIELDS = Set.of("format", "version", "agentId", "rootPublicKey");
    private static final String KEY_HINT = ". Restore the file from a backup (an agent root key can also be recovered"
            + " from its 24-word recovery phrase; a lost node key means making a new one and enrolling it again)";
    private static final String BACKUP_KEY_HINT = ". Without it this node's drill cannot open backups: make a new"
            + " one (later backups use it; older ones still open with the recovery phrase)";
    private static final String PUBLIC_HINT = ". Write it again: agent.json from the agent id and root public key,"
            + " node-cert.json by issuing a new certificate with the agent root key";

    private final Path dir;
    private final KdfParams kdf;

    private IdentityDirectory(Path dir, KdfParams kdf) {
        this.dir = Objects.requireNonNull(dir, "identity directory path");
        this.kdf = Objects.requireNonNull(kdf, "kdf params");
    }

    /** The identity directory at {@code dir}; nothing is created until something is written. */
    public static IdentityDirectory of(Path dir) {
        return new IdentityDirectory(dir, KdfParams.DEFAULT);
    }

    /** The same directory, encrypting newly written keys with {@code kdf} (reading always uses each file's own). */
    public IdentityDirectory withKdf(KdfParams kdf) {
        return new IdentityDirectory(dir, kdf);
    }

    public Path path() {
        return dir;
    }

    public Path agentFile() {
        return dir.resolve(AGENT_FILE);
    }

    public Path agentRootKeyFile() {
        return dir.resolve(AGENT_ROOT_KEY_FILE);
    }

    public Path nodeKeyFile() {
        return dir.resolve(NODE_KEY_FILE);
    }

    public Path certificateFile() {
        return dir.resolve(CERTIFICATE_FILE);
    }

    // ---- agent ----

    /**
     * Makes a new agent: a root key from {@code random}, written to {@code agent-root.key} (encrypted when a
     * passphrase is given) and {@code agent.json}. Returns the key so the caller can show its
     * {@link RecoveryPhrase} once.
     */
    public SigningKey createAgent(SecureRandom random, Optional<char[]> passphrase) throws IOException {
        SigningKey root = Ed25519.generate(random);
        writeAgentRoot(root, passphrase, random);
        return root;
    }

    /** Stores an existing root key (e.g. recovered from its phrase) and its {@code agent.json}. */
    public void writeAgentRoot(SigningKey root, Optional<char[]> passphrase, SecureRandom random) throws IOException {
        SecureFiles.ensurePrivateDirectory(dir);
        requireAgentFileMatches(root.verifyingKey()); // before writing anything: all or nothing
        writeKey(agentRootKeyFile(), PrivateKeyFile.Kind.AGENT_ROOT, root, passphrase, random, "an agent root key");
        writeAgentPublicKey(root.verifyingKey());
    }

    public boolean hasAgentRootKey() {
        return Files.exists(agentRootKeyFile());
    }

    public SigningKey readAgentRoot(Optional<char[]> passphrase) throws IOException {
        return readKey(agentRootKeyFile(), PrivateKeyFile.Kind.AGENT_ROOT, "agent root key", KEY_HINT, passphrase);
    }

    /** Writes {@code key} to {@code file}, encrypted when a passphrase is given; refuses to replace a file. */
    private void writeKey(Path file, PrivateKeyFile.Kind kind, SigningKey key, Optional<char[]> passphrase,
                          SecureRandom random, String what) throws IOException {
        String text = PrivateKeyFile.encode(kind, key, passphrase, kdf, random);
        SecureFiles.writeAtomically(file, utf8(text), false, what);
    }

    /** Reads the private key in {@code file}, which only its owner may read; errors name {@code what} and hint. */
    private static SigningKey readKey(Path file, PrivateKeyFile.Kind kind, String what, String hint,
                                      Optional<char[]> passphrase) throws IOException {
        SecureFiles.requireOwnerOnly(file);
        String text = new String(SecureFiles.read(file, what, hint), StandardCharsets.UTF_8);
        return PrivateKeyFile.decode(kind, what + " file " + file, hint, text, passphrase);
    }

    /** Whether {@code agent-root.key} is encrypted. */
    public boolean isAgentRootKeyEncrypted() throws IOException {
        Path file = agentRootKeyFile();
        String text = new String(SecureFiles.read(file, "agent root key", KEY_HINT), StandardCharsets.UTF_8);
        return PrivateKeyFile.encrypted(PrivateKeyFile.Kind.AGENT_ROOT, "agent root key file " + file, KEY_HINT,
                text);
    }

    /**
     * Records which agent this directory belongs to, on a node that does not hold the root secret. Replaces an
     * existing {@code agent.json} only if it names the same agent: switching agents means a new identity directory.
     */
    public void writeAgentPublicKey(VerifyingKey rootPublicKey) throws IOException {
        SecureFiles.ensurePrivateDirectory(dir);
        requireAgentFileMatches(rootPublicKey);
        ObjectNode o = Json.object();
        o.put("format", AGENT_FORMAT);
        o.put("version", 1);
        o.put("agentId", AgentId.of(rootPublicKey).toString());
        o.put("rootPublicKey", rootPublicKey.hex());
        SecureFiles.writeAtomically(agentFile(), utf8(Json.write(o)), true, "the agent file");
    }

    private void requireAgentFileMatches(VerifyingKey rootPublicKey) throws IOException {
        if (Files.exists(agentFile())) {
            VerifyingKey existing = agentPublicKey();
            if (!existing.equals(rootPublicKey)) {
                throw new IdentityException(IdentityException.Reason.ALREADY_EXISTS, agentFile()
                        + " already belongs to agent " + AgentId.of(existing) + ", not " + AgentId.of(rootPublicKey)
                        + "; use a separate identity directory for another agent");
            }
        }
    }

    /** The agent's root public key from {@code agent.json}. */
    public VerifyingKey agentPublicKey() throws IOException {
        Path file = agentFile();
        String what = "agent file " + file;
        Json j = Json.parse(what, IdentityException.Reason.CORRUPT_FILE, PUBLIC_HINT,
                new String(SecureFiles.read(file, "agent file", ". Create it from the agent's root public key"),
                        StandardCharsets.UTF_8)).onlyFields(AGENT_FIELDS);
        if (!AGENT_FORMAT.equals(j.text("format"))) {
            throw j.fail("is not an agentmesh agent file (format '" + j.text("format") + "')");
        }
        if (j.integer("version") != 1) {
            throw new IdentityException(IdentityException.Reason.UNSUPPORTED_VERSION, what + " has version "
                    + j.integer("version") + ", this agentmesh reads version 1; use a newer agentmesh");
        }
        byte[] raw = j.hex("rootPublicKey", VerifyingKey.LENGTH);
        VerifyingKey key;
        try {
            key = new VerifyingKey(raw);
        } catch (IdentityException e) {
            throw j.fail("field 'rootPublicKey': " + e.getMessage());
        }
        if (!AgentId.of(key).toString().equals(j.text("agentId"))) {
            throw j.fail("field 'agentId' " + j.text("agentId") + " does not match rootPublicKey (agent "
                    + AgentId.of(key) + ")");
        }
        return key;
    }

    public AgentId agentId() throws IOException {
        return AgentId.of(agentPublicKey());
    }

    // ---- node ----

    /** Makes and stores a new node key; returns it. */
    public SigningKey createNodeKey(SecureRandom random, Optional<char[]> passphrase) throws IOException {
        SigningKey key = Ed25519.generate(random);
        writeNodeKey(key, passphrase, random);
        return key;
    }

    /** Stores {@code key} as this directory's node key; refuses to replace an existing one. */
    public void writeNodeKey(SigningKey key, Optional<char[]> passphrase, SecureRandom random) throws IOException {
        SecureFiles.ensurePrivateDirectory(dir);
        writeKey(nodeKeyFile(), PrivateKeyFile.Kind.NODE, key, passphrase, random, "a node key");
    }

    public boolean hasNodeKey() {
        return Files.exists(nodeKeyFile());
    }

    public SigningKey readNodeKey(Optional<char[]> passphrase) throws IOException {
        return readKey(nodeKeyFile(), PrivateKeyFile.Kind.NODE, "node key", KEY_HINT, passphrase);
    }

    /** Whether {@code node.key} is encrypted (so the caller can warn about a plain one, or ask for a passphrase). */
    public boolean isNodeKeyEncrypted() throws IOException {
        Path file = nodeKeyFile();
        String text = new String(SecureFiles.read(file, "node key", KEY_HINT), StandardCharsets.UTF_8);
        return PrivateKeyFile.encrypted(PrivateKeyFile.Kind.NODE, "node key file " + file, KEY_HINT, text);
    }

    /** The node's public key, read without the passphrase. */
    public VerifyingKey nodePublicKey() throws IOException {
        Path file = nodeKeyFile();
        String text = new String(SecureFiles.read(file, "node key", KEY_HINT), StandardCharsets.UTF_8);
        return PrivateKeyFile.publicKey(PrivateKeyFile.Kind.NODE, "node key file " + file, KEY_HINT, text);
    }

    public NodeId nodeId() throws IOException {
        return NodeId.of(nodePublicKey());
    }

    // ---- operational backup key ----

    public Path backupKeyFile() {
        return dir.resolve(BACKUP_KEY_FILE);
    }

    /**
     * Makes and stores this node's operational backup key seed (a private key file of kind {@code backup}, encrypted
     * when a passphrase is given, as the node key is); refuses to replace an existing one, whose backups it opens.
     */
    public SigningKey createBackupKey(SecureRandom random, Optional<char[]> passphrase) throws IOException {
        SigningKey key = Ed25519.generate(random);
        SecureFiles.ensurePrivateDirectory(dir);
        writeKey(backupKeyFile(), PrivateKeyFile.Kind.BACKUP, key, passphrase, random, "a backup key");
        return key;
    }

    public boolean hasBackupKey() {
        return Files.exists(backupKeyFile());
    }

    public SigningKey readBackupKey(Optional<char[]> passphrase) throws IOException {
        return readKey(backupKeyFile(), PrivateKeyFile.Kind.BACKUP, "backup key", BACKUP_KEY_HINT, passphrase);
    }

    // ---- certificate ----

    /**
     * Stores this node's certificate, replacing an older one. Refuses one whose signature does not hold, one for
     * another node key than {@code node.key}'s, and one from another agent than {@code agent.json}'s (each when that
     * file exists). Validity times are not checked here: storing a certificate that starts tomorrow is fine.
     */
    public void writeCertificate(NodeCertificate certificate) throws IOException {
        if (!certificate.signatureValid()) {
            throw new IdentityException(IdentityException.Reason.BAD_SIGNATURE, "the certificate for node "
                    + certificate.nodeId() + " has an invalid signature; issue it again with the agent root key");
        }
        if (hasNodeKey() && !nodePublicKey().equals(certificate.nodeKey())) {
            throw new IdentityException(IdentityException.Reason.MALFORMED, "the certificate is for node "
                    + certificate.nodeId() + ", but this directory's node key is node " + nodeId()
                    + "; issue a certificate for " + nodeId());
        }
        if (Files.exists(agentFile()) && !agentPublicKey().equals(certificate.agentRootKey())) {
            throw new IdentityException(IdentityException.Reason.WRONG_AGENT, "the certificate is from agent "
                    + certificate.agentId() + ", but this directory belongs to agent " + agentId()
                    + "; issue it with that agent's root key");
        }
        SecureFiles.ensurePrivateDirectory(dir);
        SecureFiles.writeAtomically(certificateFile(), utf8(certificate.toJson()), true, "the node certificate");
    }

    /** This node's certificate; its shape is checked, its signature and times are {@link NodeCertificate#verify}'s. */
    public NodeCertificate readCertificate() throws IOException {
        Path file = certificateFile();
        String text = new String(SecureFiles.read(file, "node certificate",
                ". Enroll this node: issue a certificate for it with the agent root key"), StandardCharsets.UTF_8);
        return NodeCertificate.fromJson("node certificate file " + file, IdentityException.Reason.CORRUPT_FILE,
                PUBLIC_HINT, text);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- incarnations ----

    /**
     * Hands out the next incarnation number of this node key (1 for the first store) and records it durably before
     * returning, so a node that loses or restores its state never writes under an actor id it used before
     * (DESIGN.md invariant 5). The counter lives here, beside the key, because it must survive the state directory.
     */
    public long nextIncarnation() throws IOException {
        Path file = dir.resolve(INCARNATION_FILE);
        long last = 0;
        if (Files.exists(file)) {
            String text = new String(SecureFiles.read(file, "incarnation file", ". It holds the highest incarnation"
                    + " number used; write a number larger than any this node used (or a large one, e.g. 1000)"),
                    StandardCharsets.UTF_8).strip();
            try {
                last = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IdentityException(IdentityException.Reason.CORRUPT_FILE, "incarnation file " + file
                        + " does not hold a number; write a number larger than any this node used", e);
            }
            if (last < 0) {
                throw new IdentityException(IdentityException.Reason.CORRUPT_FILE, "incarnation file " + file
                        + " holds a negative number");
            }
        }
        long next = last + 1;
        SecureFiles.writeAtomically(file, utf8(Long.toString(next) + "\n"), true, "the incarnation counter");
        return next;
    }

    @Override
    public String toString() {
        return "IdentityDirectory[" + dir + "]";
    }
}
