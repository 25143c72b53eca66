package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;

import static io.agentmesh.protocol.identity.IdentityAssertions.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdentityDirectoryTest {
    /** Tiny Argon2 costs so tests stay fast; production uses {@link KdfParams#DEFAULT}. */
    private static final KdfParams FAST = new KdfParams(64, 1, 1);
    private static final long T0 = 1_767_225_600_000L;
    private static final long YEAR = 365L * 86_400_000L;
    private final SecureRandom random = new SecureRandom();

    @TempDir
    Path tmp;

    private IdentityDirectory dir() {
        return IdentityDirectory.of(tmp.resolve("identity")).withKdf(FAST);
    }

    private static Optional<char[]> pass(String s) {
        return Optional.of(s.toCharArray());
    }

    @Test
    void anEncryptedNodeKeyRoundTrips() throws IOException {
        IdentityDirectory d = dir();
        SigningKey key = d.createNodeKey(random, pass("correct horse"));
        assertEquals(key, d.readNodeKey(pass("correct horse")));
        assertEquals(key.verifyingKey(), d.nodePublicKey());
        assertEquals(NodeId.of(key.verifyingKey()), d.nodeId());
        String text = Files.readString(d.nodeKeyFile());
        assertTrue(text.contains("\"encryption\" : \"argon2id-aes256gcm\""), text);
        assertTrue(d.isNodeKeyEncrypted());
        assertTrue(text.contains("\"memoryKiB\" : 64"), text);
        assertFalse(text.contains(java.util.HexFormat.of().formatHex(key.seed())), "seed must not be in clear");
    }

    @Test
    void aPlainNodeKeyRoundTripsAndIsMarkedUnencrypted() throws IOException {
        IdentityDirectory d = dir();
        SigningKey key = d.createNodeKey(random, Optional.empty());
        assertEquals(key, d.readNodeKey(Optional.empty()));
        assertEquals(key, d.readNodeKey(pass("ignored for a plain file")));
        assertTrue(Files.readString(d.nodeKeyFile()).contains("\"encryption\" : \"none\""));
        assertFalse(d.isNodeKeyEncrypted());
    }

    @Test
    void aWrongPassphraseIsReportedWithTheFileName() throws IOException {
        IdentityDirectory d = dir();
        d.createNodeKey(random, pass("right"));
        IdentityException e = assertThrows(IdentityException.class, () -> d.readNodeKey(pass("wrong")));
        assertEquals(IdentityException.Reason.WRONG_PASSPHRASE, e.reason());
        assertTrue(e.getMessage().startsWith("wrong passphrase for node key file " + d.nodeKeyFile()), e.getMessage());
    }

    @Test
    void anEncryptedKeyWithoutAPassphraseAsksForOne() throws IOException {
        IdentityDirectory d = dir();
        d.createNodeKey(random, pass("right"));
        assertRefused(IdentityException.Reason.PASSPHRASE_REQUIRED, "is encrypted",
                () -> d.readNodeKey(Optional.empty()));
    }

    @Test
    void aTruncatedKeyFileIsReportedAsCorruptWithTheFileNameAndWhatToDo() throws IOException {
        IdentityDirectory d = dir();
        d.createNodeKey(random, pass("pw"));
        byte[] full = Files.readAllBytes(d.nodeKeyFile());
        for (int len : new int[]{0, 1, full.length / 2, full.length - 3}) {
            Files.write(d.nodeKeyFile(), java.util.Arrays.copyOf(full, len));
            IdentityException e = assertThrows(IdentityException.class, () -> d.readNodeKey(pass("pw")),
                    "truncated to " + len);
            assertEquals(IdentityException.Reason.CORRUPT_FILE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains(d.nodeKeyFile().toString()), e.getMessage());
            assertTrue(e.getMessage().contains("Restore the file from a backup"), e.getMessage());
        }
    }

    @Test
    void aTamperedCiphertextIsRejected() throws IOException {
        IdentityDirectory d = dir();
        d.createNodeKey(random, pass("pw"));
        String text = Files.readString(d.nodeKeyFile());
        int at = text.indexOf("\"ciphertext\" : \"") + 16;
        char c = text.charAt(at);
        Files.writeString(d.nodeKeyFile(), text.substring(0, at) + (c == '0' ? '1' : '0') + text.substring(at + 1));
        assertRefused(IdentityException.Reason.WRONG_PASSPHRASE, "or the file was altered",
                () -> d.readNodeKey(pass("pw")));
    }

    @Test
    void aKeyFileUnderTheWrongNameIsRejected() throws IOException {
        IdentityDirectory d = dir();
        d.createAgent(random, Optional.empty());
        Files.copy(d.agentRootKeyFile(), d.nodeKeyFile());
        Files.setPosixFilePermissions(d.nodeKeyFile(), PosixFilePermissions.fromString("rw-------"));
        assertRefused(IdentityException.Reason.CORRUPT_FILE, "holds a 'agent-root' key, expected a 'node' key",
                () -> d.readNodeKey(Optional.empty()));
    }

    @Test
    void filesAreOwnerOnlyAndTheDirectoryIs0700() throws IOException {
        IdentityDirectory d = dir();
        SigningKey root = d.createAgent(random, pass("pw"));
        SigningKey node = d.createNodeKey(random, pass("pw"));
        d.writeCertificate(NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, T0, T0 + YEAR));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.path())));
        for (Path f : new Path[]{d.agentRootKeyFile(), d.agentFile(), d.nodeKeyFile(), d.certificateFile()}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
        }
        try (var listing = Files.list(d.path())) {
            assertEquals(4, listing.count(), "no temporary files are left behind");
        }
    }

    @Test
    void aPrivateKeyReadableByOthersIsRefused() throws IOException {
        IdentityDirectory d = dir();
        d.createNodeKey(random, Optional.empty());
        Files.setPosixFilePermissions(d.nodeKeyFile(), PosixFilePermissions.fromString("rw-r--r--"));
        assertRefused(IdentityException.Reason.UNSAFE_PERMISSIONS, "chmod 600 " + d.nodeKeyFile(),
                () -> d.readNodeKey(Optional.empty()));
    }

    @Test
    void anExistingDirectoryOpenToOthersIsRefused() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertRefused(IdentityException.Reason.UNSAFE_PERMISSIONS, "chmod 700",
                () -> IdentityDirectory.of(open).withKdf(FAST).createNodeKey(random, Optional.empty()));
    }

    @Test
    void keysAreNeverOverwritten() throws IOException {
        IdentityDirectory d = dir();
        SigningKey first = d.createNodeKey(random, Optional.empty());
        IdentityException e = assertThrows(IdentityException.class,
                () -> d.createNodeKey(random, Optional.empty()));
        assertEquals(IdentityException.Reason.ALREADY_EXISTS, e.reason());
        assertEquals(first, d.readNodeKey(Optional.empty()));
    }

    @Test
    void aMissingFileSaysWhatIsMissing() {
        IdentityDirectory d = dir();
        assertRefused(IdentityException.Reason.MISSING_FILE, "no node key at " + d.nodeKeyFile(),
                () -> d.readNodeKey(Optional.empty()));
        IdentityException cert = assertThrows(IdentityException.class, d::readCertificate);
        assertTrue(cert.getMessage().contains("Enroll this node"), cert.getMessage());
    }

    @Test
    void theAgentRootAndItsPublicKeyRoundTrip() throws IOException {
        IdentityDirectory d = dir();
        SigningKey root = d.createAgent(random, pass("pw"));
        assertTrue(d.hasAgentRootKey());
        assertEquals(root, d.readAgentRoot(pass("pw")));
        assertEquals(root.verifyingKey(), d.agentPublicKey());
        assertEquals(AgentId.of(root.verifyingKey()), d.agentId());
        assertTrue(Files.readString(d.agentFile()).contains(d.agentId().toString()));
    }

    @Test
    void aRecoveredRootKeyCanBeStoredAgain() throws IOException {
        SigningKey root = dir().createAgent(random, Optional.empty());
        String words = RecoveryPhrase.of(root).words();
        IdentityDirectory elsewhere = IdentityDirectory.of(tmp.resolve("restored")).withKdf(FAST);
        elsewhere.writeAgentRoot(RecoveryPhrase.parse(words).signingKey(), pass("new"), random);
        assertEquals(root, elsewhere.readAgentRoot(pass("new")));
    }

    @Test
    void aNodeWithoutTheRootSecretKnowsItsAgentAndCertificate() throws IOException {
        SigningKey root = Ed25519.generate(random);
        IdentityDirectory d = dir();
        SigningKey node = d.createNodeKey(random, pass("pw"));
        d.writeAgentPublicKey(root.verifyingKey());
        NodeCertificate cert = NodeCertificate.issue(root, node.verifyingKey(), Role.LEARNER, T0, T0 + YEAR);
        d.writeCertificate(cert);
        assertFalse(d.hasAgentRootKey());
        assertEquals(cert, d.readCertificate());
        d.readCertificate().verify(d.agentPublicKey(), T0 + 1);
        // renewal replaces the certificate
        NodeCertificate renewed = NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, T0, T0 + 2 * YEAR,
                T0 + YEAR / 2);
        d.writeCertificate(renewed);
        assertEquals(renewed, d.readCertificate());
    }

    @Test
    void aCertificateForAnotherNodeOrAgentIsNotStored() throws IOException {
        SigningKey root = Ed25519.generate(random);
        SigningKey otherRoot = Ed25519.generate(random);
        IdentityDirectory d = dir();
        SigningKey node = d.createNodeKey(random, Optional.empty());
        d.writeAgentPublicKey(root.verifyingKey());
        SigningKey otherNode = Ed25519.generate(random);
        IdentityException wrongNode = assertThrows(IdentityException.class, () -> d.writeCertificate(
                NodeCertificate.issue(root, otherNode.verifyingKey(), Role.VOTER, T0, T0 + YEAR)));
        assertTrue(wrongNode.getMessage().contains("this directory's node key is node " + d.nodeId()),
                wrongNode.getMessage());
        IdentityException wrongAgent = assertThrows(IdentityException.class, () -> d.writeCertificate(
                NodeCertificate.issue(otherRoot, node.verifyingKey(), Role.VOTER, T0, T0 + YEAR)));
        assertEquals(IdentityException.Reason.WRONG_AGENT, wrongAgent.reason());
        assertFalse(Files.exists(d.certificateFile()));
        IdentityException switchAgent = assertThrows(IdentityException.class,
                () -> d.writeAgentPublicKey(otherRoot.verifyingKey()));
        assertEquals(IdentityException.Reason.ALREADY_EXISTS, switchAgent.reason());
    }

    @Test
    void aCorruptCertificateFileNamesTheFile() throws IOException {
        SigningKey root = Ed25519.generate(random);
        IdentityDirectory d = dir();
        SigningKey node = d.createNodeKey(random, Optional.empty());
        d.writeCertificate(NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, T0, T0 + YEAR));
        byte[] full = Files.readAllBytes(d.certificateFile());
        Files.write(d.certificateFile(), java.util.Arrays.copyOf(full, full.length - 20));
        assertRefused(IdentityException.Reason.CORRUPT_FILE, d.certificateFile().toString(), d::readCertificate);
    }

    @Test
    void argon2ParametersComeFromTheFile() throws IOException {
        IdentityDirectory writer = dir().withKdf(new KdfParams(128, 2, 2));
        SigningKey key = writer.createNodeKey(random, pass("pw"));
        assertTrue(Files.readString(writer.nodeKeyFile()).contains("\"parallelism\" : 2"));
        assertEquals(key, IdentityDirectory.of(writer.path()).readNodeKey(pass("pw")));
    }

    @Test
    void hostileArgon2ParametersInAFileAreRefusedBeforeAnyWork() throws IOException {
        IdentityDirectory d = dir();
        d.createNodeKey(random, pass("pw"));
        String text = Files.readString(d.nodeKeyFile());
        Files.writeString(d.nodeKeyFile(), text.replace("\"memoryKiB\" : 64", "\"memoryKiB\" : 999999999"));
        assertRefused(IdentityException.Reason.CORRUPT_FILE, "out of range", () -> d.readNodeKey(pass("pw")));
    }

    @Test
    void defaultArgon2ParametersAreMemoryHard() {
        assertTrue(KdfParams.DEFAULT.memoryKiB() >= 64 * 1024);
        assertTrue(KdfParams.DEFAULT.iterations() >= 3);
    }

    @Test
    void theSamePassphraseInAnotherUnicodeFormOpensTheFile() throws IOException {
        IdentityDirectory d = dir();
        SigningKey key = d.createNodeKey(random, pass("caf\u00e9"));      // precomposed é
        assertEquals(key, d.readNodeKey(pass("cafe\u0301")));               // e + combining acute
    }

    @Test
    void keyFilesAreJsonWithAFormatAndVersion() throws IOException {
        IdentityDirectory d = dir();
        d.createNodeKey(random, Optional.empty());
        String text = new String(Files.readAllBytes(d.nodeKeyFile()), StandardCharsets.UTF_8);
        assertTrue(text.contains("\"format\" : \"agentmesh-private-key\""), text);
        assertTrue(text.contains("\"version\" : 1"), text);
        assertTrue(text.contains("\"kind\" : \"node\""), text);
        assertTrue(text.contains("\"id\" : \"" + d.nodeId() + "\""), text);
    }
}
