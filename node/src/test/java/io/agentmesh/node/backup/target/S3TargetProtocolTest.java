package io.agentmesh.node.backup.target;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What S3Target sends and how it reads answers no loopback server of ours produces: AWS's 412 for If-None-Match and
 * throttling. A scripted HTTP server plays S3.
 */
class S3TargetProtocolTest {
    private static final String SLOW_DOWN = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
            + "<Message>Please reduce your request rate.</Message></Error>";
    private static final String PRECONDITION = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>"
            + "<Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold"
            + "</Message></Error>";

    private final MockWebServer server = new MockWebServer();
    private S3Target target;

    @BeforeEach
    void start() throws Exception {
        server.start();
        target = S3Target.open((TargetUri.S3) TargetUri.parse("s3://bkt/p?endpoint=http://127.0.0.1:" + server.getPort()),
                new S3Credentials("id", "secret"));
    }

    @AfterEach
    void stop() {
        target.close();
        server.close();
    }

    private static MockResponse xml(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/xml").body(body).build();
    }

    private static MockResponse status(int code) {
        return new MockResponse.Builder().code(code).build();
    }

    private static MockResponse object(String body) {
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/octet-stream").body(body)
                .build();
    }

    private RecordedRequest next() throws InterruptedException {
        RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(r, "no request within 5 s");
        return r;
    }

    @Test
    void aPutChecksFirstThenSendsIfNoneMatchAndContentMd5OnThePathStyleKey() throws Exception {
        byte[] b = "manifest bytes".getBytes(StandardCharsets.US_ASCII);
        server.enqueue(status(404));
        server.enqueue(status(200));
        assertEquals(PutOutcome.CREATED, target.put("man/1.age", b));
        RecordedRequest head = next();
        assertEquals("HEAD", head.getMethod());
        assertEquals("/bkt/p/man/1.age", head.getUrl().encodedPath());
        RecordedRequest put = next();
        assertEquals("PUT", put.getMethod());
        assertEquals("/bkt/p/man/1.age", put.getUrl().encodedPath());
        assertEquals("*", put.getHeaders().get("If-None-Match"));
        assertEquals(Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(b)),
                put.getHeaders().get("Content-MD5"));
        assertNull(put.getHeaders().get("x-amz-sdk-checksum-algorithm"), "no flexible checksum unless required");
        assertTrue(put.getHeaders().get("Authorization").startsWith("AWS4-HMAC-SHA256 Credential=id/"));
    }

    @Test
    void aPreconditionFailedPutComparesWithWhatTheOtherWriterStored() throws Exception {
        byte[] b = "segment".getBytes(StandardCharsets.US_ASCII);
        server.enqueue(status(404));
        server.enqueue(xml(412, PRECONDITION));
        server.enqueue(object("segment"));
        assertEquals(PutOutcome.ALREADY_PRESENT, target.put("seg/a/1-2.age", b));

        server.enqueue(status(404));
        server.enqueue(xml(412, PRECONDITION));
        server.enqueue(object("SEGMENT"));
        ObjectConflictException e = assertThrows(ObjectConflictException.class, () -> target.put("seg/a/1-2.age", b));
        assertEquals("seg/a/1-2.age", e.objectName());
        assertEquals(6, server.getRequestCount());
    }

    @Test
    void throttlingIsRetriedByTheStandardRetryModeUpToThreeAttempts() throws Exception {
        server.enqueue(status(404));
        server.enqueue(xml(503, SLOW_DOWN));
        server.enqueue(xml(503, SLOW_DOWN));
        server.enqueue(status(200));
        assertEquals(PutOutcome.CREATED, target.put("man/2.age", new byte[]{1}));
        assertEquals(4, server.getRequestCount());

        server.enqueue(status(404));
        server.enqueue(xml(503, SLOW_DOWN));
        server.enqueue(xml(503, SLOW_DOWN));
        server.enqueue(xml(503, SLOW_DOWN));
        BackupTargetException e = assertThrows(BackupTargetException.class,
                () -> target.put("man/3.age", new byte[]{1}));
        assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("man/3.age")
                && e.getMessage().startsWith("s3://bkt/p at http://127.0.0.1:"), e.getMessage());
        assertTrue(!e.getMessage().contains("secret"), e.getMessage());
        assertEquals(8, server.getRequestCount());
    }
}
