package io.agentmesh.node.backup.target;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.time.SystemClock;
import org.jclouds.blobstore.BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract against an S3 server on loopback: s3proxy (from Maven Central, in this JVM) over jclouds' filesystem
 * store, which, like some S3-compatible servers, does not enforce If-None-Match. Each test gets its own bucket.
 */
class S3TargetTest extends BackupTargetContract {
    static final String KEY_ID = "test-key-id";
    static final String SECRET = "test-secret-never-printed";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @TempDir
    static Path storeDir;
    private static LoopbackS3 s3;
    private static String endpoint;

    private String bucket;

    @BeforeAll
    static void startS3Server() throws Exception {
        s3 = LoopbackS3.start(storeDir, KEY_ID, SECRET);
        endpoint = s3.endpoint();
    }

    @AfterAll
    static void stopS3Server() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    private static BlobStore store() {
        return s3.store();
    }

    private String uri() {
        return "s3://" + bucket + "/agent-1?endpoint=" + endpoint + "&region=us-east-1";
    }

    @Override
    protected BackupTarget newTarget() {
        bucket = "bk-" + BUCKETS.incrementAndGet();
        store().createContainerInLocation(null, bucket);
        return S3Target.open((TargetUri.S3) TargetUri.parse(uri()), new S3Credentials(KEY_ID, SECRET));
    }

    @Override
    protected String childUri() {
        return uri();
    }

    @Override
    protected Map<String, String> childEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", KEY_ID, "AWS_SECRET_ACCESS_KEY", SECRET);
    }

    @Test
    void objectsLiveUnderTheUrisKeyPrefix() throws Exception {
        target.put("man/1.age", new byte[]{1});
        assertTrue(store().blobExists(bucket, "agent-1/man/1.age"));
        assertFalse(store().blobExists(bucket, "man/1.age"));
    }

    @Test
    void directoryPlaceholdersAndForeignKeysAreNotListed() throws Exception {
        target.put("seg/a/1.age", new byte[]{1});
        Files.createDirectories(storeDir.resolve(bucket).resolve("agent-1/seg/empty-dir"));
        store().putBlob(bucket, store().blobBuilder("agent-1/seg/README.TXT").payload(new byte[]{2}).build());
        store().putBlob(bucket, store().blobBuilder("other/seg/x.age").payload(new byte[]{3}).build());
        assertEquals(List.of("seg/a/1.age"), target.list("seg/", 10));
    }

    @Test
    void wrongCredentialsFailWithTheTargetNamedAndNoSecretInTheMessage() {
        try (S3Target wrong = S3Target.open((TargetUri.S3) TargetUri.parse(uri()),
                new S3Credentials(KEY_ID, "a-wrong-secret"))) {
            BackupTargetException e = assertThrows(BackupTargetException.class,
                    () -> wrong.put("man/1.age", new byte[]{1}));
            assertTrue(e.getMessage().contains("s3://" + bucket + "/agent-1"), e.getMessage());
            assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
            assertFalse(e.getMessage().contains("a-wrong-secret"), e.getMessage());
        }
    }

    /**
     * Two targets from one backup.json, a directory and this S3 server, plus a third S3 target whose server is down:
     * each is opened and written on its own, and the dead one's failure touches neither of the others.
     */
    @Test
    void targetsFromOneConfigWorkIndependently(@TempDir Path nas) throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        String json = new ObjectMapper().writeValueAsString(Map.of("targets", List.of(
                Map.of("id", "nas", "uri", nas.toUri().toString()),
                Map.of("id", "s3", "uri", uri(), "accessKeyIdEnv", "BK_ID", "secretAccessKeyEnv", "BK_SECRET"),
                Map.of("id", "dead", "uri", "s3://" + bucket + "?endpoint=http://127.0.0.1:" + deadPort,
                        "accessKeyIdEnv", "BK_ID", "secretAccessKeyEnv", "BK_SECRET"))));
        Path file = Files.writeString(nas.resolveSibling(nas.getFileName() + "-backup.json"), json);
        BackupConfig config = BackupConfig.read(file);
        Map<String, String> env = Map.of("BK_ID", KEY_ID, "BK_SECRET", SECRET);
        byte[] b = bytes(7, 1000);
        try (BackupTarget dir = Targets.open(config.targets().get(0), env, new SystemClock());
             BackupTarget s3 = Targets.open(config.targets().get(1), env, new SystemClock());
             BackupTarget dead = Targets.open(config.targets().get(2), env, new SystemClock())) {
            BackupTargetException e = assertThrows(BackupTargetException.class, () -> dead.put("man/1.age", b));
            assertTrue(e.getMessage().contains("127.0.0.1:" + deadPort), e.getMessage());
            assertEquals(PutOutcome.CREATED, dir.put("man/1.age", b));
            assertEquals(PutOutcome.CREATED, s3.put("man/1.age", b));
            assertArrayEquals(b, dir.get("man/1.age").orElseThrow());
            assertArrayEquals(b, s3.get("man/1.age").orElseThrow());
            dir.delete("man/1.age");
            assertArrayEquals(b, s3.get("man/1.age").orElseThrow());
        }
    }
}
