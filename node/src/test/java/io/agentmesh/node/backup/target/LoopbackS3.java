package io.agentmesh.node.backup.target;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static org.awaitility.Awaitility.await;

/**
 * S3 on loopback for tests: s3proxy in this JVM over a jclouds filesystem store in {@code dir} (a bucket is a
 * directory there), signed requests with one key pair.
 */
public final class LoopbackS3 implements AutoCloseable {
    private final BlobStoreContext context;
    private final S3Proxy proxy;

    private LoopbackS3(BlobStoreContext context, S3Proxy proxy) {
        this.context = context;
        this.proxy = proxy;
    }

    public static LoopbackS3 start(Path dir, String keyId, String secret) throws Exception {
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", dir.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem").credentials("unused", "unused")
                .overrides(props).build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, keyId, secret)
                .v4MaxNonChunkedRequestSize(128L * 1024 * 1024).build();
        LoopbackS3 s3 = new LoopbackS3(context, proxy);
        try {
            proxy.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> "STARTED".equals(proxy.getState()));
        } catch (Exception | Error e) {
            s3.close();
            throw e;
        }
        return s3;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    /** The store behind it, to make buckets and look at what was written. */
    public BlobStore store() {
        return context.getBlobStore();
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.stop();
        } finally {
            context.close();
        }
    }
}
