package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stock {@code age} tool (Debian package, installed by {@code scripts/ensure-age} when missing) opens a backup
 * object with the key derived from the recovery phrase, and what it encrypts to the phrase recipient opens here: the
 * recovery path that needs no agentmesh binary (docs/backup.md).
 */
class AgeCliInteropTest {
    private static final long TIMEOUT_SECONDS = 300;
    private static String age;

    @BeforeAll
    static void ensureAge() throws Exception {
        Path script = repoRoot().resolve("scripts/ensure-age");
        Result r = run(List.of("sh", script.toString()), null, TIMEOUT_SECONDS);
        assertEquals(0, r.exit, "scripts/ensure-age failed: " + r.err);
        age = r.out.strip().lines().reduce((a, b) -> b).orElseThrow();
    }

    private final RecoveryPhrase phrase = RecoveryPhrase.of(SigningKey.fromSeed(BackupFixture.filled(21)));
    private final AgeIdentity identity = BackupKeys.phraseIdentity(RecoveryPhrase.parse(phrase.words()));

    @Test
    void theAgeToolDecryptsAnObjectWithThePhraseDerivedKey(@TempDir Path dir) throws Exception {
        byte[] plain = ("agentmesh backup object " + "x".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
        byte[] ct = AgeCrypto.encrypt(plain, List.of(identity.recipient(),
                BackupKeys.operationalIdentity(SigningKey.fromSeed(BackupFixture.filled(22))).recipient()));
        Path key = dir.resolve("phrase.key");
        Files.writeString(key, identity.secretKeyText() + "\n");
        Path obj = dir.resolve("obj.age");
        Files.write(obj, ct);
        Path out = dir.resolve("obj.plain");
        Result r = run(List.of(age, "-d", "-i", key.toString(), "-o", out.toString(), obj.toString()), null, 60);
        assertEquals(0, r.exit, r.err);
        assertArrayEquals(plain, Files.readAllBytes(out));
    }

    @Test
    void whatTheAgeToolEncryptsToThePhraseRecipientOpensHere(@TempDir Path dir) throws Exception {
        byte[] plain = "written by the age tool".getBytes(StandardCharsets.UTF_8);
        Path in = dir.resolve("in");
        Files.write(in, plain);
        Path out = dir.resolve("in.age");
        Result r = run(List.of(age, "-r", identity.recipient().text(), "-o", out.toString(), in.toString()), null,
                60);
        assertEquals(0, r.exit, r.err);
        assertArrayEquals(plain, AgeCrypto.decrypt("in.age", Files.readAllBytes(out), List.of(identity), 1 << 20));
    }

    @Test
    void theAgeToolAgreesOnThePhraseRecipient(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("phrase.key");
        Files.writeString(key, identity.secretKeyText() + "\n");
        Path keygen = Path.of(age).resolveSibling("age-keygen");
        assertTrue(Files.isExecutable(keygen), "the age package ships age-keygen");
        Result r = run(List.of(keygen.toString(), "-y", key.toString()), null, 60);
        assertEquals(0, r.exit, r.err);
        assertEquals(identity.recipient().text(), r.out.strip());
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result run(List<String> cmd, Path cwd, long timeoutSeconds) throws IOException,
            InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Path err = Files.createTempFile("age-err", ".txt");
        Path out = Files.createTempFile("age-out", ".txt");
        pb.redirectError(err.toFile()).redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        p.getOutputStream().close();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
            Files.deleteIfExists(out);
        }
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/ensure-age"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("scripts/ensure-age not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
