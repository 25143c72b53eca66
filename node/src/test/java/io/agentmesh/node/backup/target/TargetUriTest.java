package io.agentmesh.node.backup.target;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TargetUriTest {

    @Test
    void aFileUriIsAnAbsoluteDirectory() {
        assertEquals(new TargetUri.Directory(Path.of("/mnt/nas/agentmesh")), TargetUri.parse("file:///mnt/nas/agentmesh"));
        assertEquals(new TargetUri.Directory(Path.of("/mnt/nas")), TargetUri.parse("file:///mnt/nas/"));
    }

    @Test
    void anS3UriHasBucketPrefixEndpointAndRegion() {
        assertEquals(new TargetUri.S3("my-bucket", "agent-7/prod", Optional.of(URI.create("http://127.0.0.1:9000")),
                        "eu-west-1"),
                TargetUri.parse("s3://my-bucket/agent-7/prod/?endpoint=http://127.0.0.1:9000&region=eu-west-1"));
        assertEquals(new TargetUri.S3("bucket.one", "", Optional.empty(), TargetUri.DEFAULT_REGION),
                TargetUri.parse("s3://bucket.one"));
        assertEquals(Optional.of(URI.create("https://s3.example.com")),
                ((TargetUri.S3) TargetUri.parse("s3://b12/p?endpoint=https%3A%2F%2Fs3.example.com%2F")).endpoint());
    }

    @Test
    void anythingElseIsRefusedWithWhatWasExpected() {
        String[] bad = {
            "", "   ", "/mnt/nas", "mnt/nas", "file:mnt/nas", "file://host/mnt/nas", "file:///", "file:///a/../b",
            "file:///mnt?x=1", "file:///mnt#f", "http://bucket/x", "S3://bucket", "s3://Bucket", "s3://ab",
            "s3://bucket_x/p", "s3://user@bucket/p", "s3://bucket:9000/p", "s3://bucket/P", "s3://bucket/a//b",
            "s3://bucket/a%20b", "s3://bucket/p?endpoint=ftp://h", "s3://bucket/p?endpoint=http://h/path",
            "s3://bucket/p?endpoint=http://h&endpoint=http://i", "s3://bucket/p?bucket=x", "s3://bucket/p?region",
            "s3://bucket/p?region=EU", "s3://bucket/p?", "s3://bucket/p#frag", "rest+restic://x",
        };
        for (String text : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetUri.parse(text),
                    text);
            assertTrue(e.getMessage().startsWith("bad backup target URI"), e.getMessage());
            assertTrue(e.getMessage().contains("expected file:///absolute/path or s3://"), e.getMessage());
        }
    }

    @Test
    void theDescriptionShowsWhereAndNothingElse() {
        assertEquals("s3://b12/p at http://127.0.0.1:9000 (region us-east-1)",
                TargetUri.parse("s3://b12/p?endpoint=http://127.0.0.1:9000").describe());
        assertEquals("directory /srv/bk", TargetUri.parse("file:///srv/bk").describe());
    }
}
