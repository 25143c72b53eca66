package io.agentmesh.node.backup.target;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A backup target in an S3 bucket under a key prefix, on AWS or an S3-compatible server (MinIO, s3proxy, Ceph, R2...),
 * through the AWS SDK v2's synchronous client.
 *
 * <p>Client choices: the JDK's URL connection HTTP client (no Netty, whose version the node pins for its own
 * transport, and no Apache HttpClient: one object at a time needs no connection pool tuning); path-style addressing
 * (what S3-compatible servers expect); request checksums and response validation only when the operation requires
 * them, since the SDK's default since 2.30 breaks some S3-compatible servers — integrity comes from Content-MD5 on
 * every put instead, which every S3 implementation checks; the SDK's STANDARD retry mode (up to 3 attempts with
 * jittered exponential backoff, throttling and 5xx retried), inside bounded per-attempt and per-call timeouts.
 *
 * <p>A put is a single PutObject, which S3 makes visible whole or not at all, so a writer killed mid-upload leaves
 * nothing. It checks first (HEAD) and sends {@code If-None-Match: *}: AWS enforces that header, but some servers
 * (s3proxy's filesystem store) ignore it, so the HEAD is what makes a repeated put a no-op there.
 */
public final class S3Target implements BackupTarget {
    private static final int LIST_PAGE_KEYS = 1000;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);
    /** One attempt may carry a 64 MiB object over a slow uplink. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(12);

    private final S3Client s3;
    private final TargetUri.S3 where;
    private final String keyPrefix;

    private S3Target(S3Client s3, TargetUri.S3 where) {
        this.s3 = s3;
        this.where = where;
        this.keyPrefix = where.prefix().isEmpty() ? "" : where.prefix() + "/";
    }

    /** A target for {@code where}, signing with {@code credentials}. Opens no connection yet. */
    public static S3Target open(TargetUri.S3 where, S3Credentials credentials) {
        S3ClientBuilder b = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(CONNECT_TIMEOUT)
                        .socketTimeout(SOCKET_TIMEOUT).build())
                .region(Region.of(where.region()))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(credentials.accessKeyId(), credentials.secretAccessKey())))
                .overrideConfiguration(ClientOverrideConfiguration.builder().retryStrategy(RetryMode.STANDARD)
                        .apiCallAttemptTimeout(ATTEMPT_TIMEOUT).apiCallTimeout(CALL_TIMEOUT).build());
        where.endpoint().ifPresent(b::endpointOverride);
        return new S3Target(b.build(), where);
    }

    @Override
    public PutOutcome put(String name, byte[] bytes) throws BackupTargetException {
        ObjectNames.require(name);
        ObjectNames.requireSize(name, bytes);
        String key = keyPrefix + name;
        try {
            if (exists(key)) {
                return compareExisting(name, key, bytes);
            }
            s3.putObject(r -> r.bucket(where.bucket()).key(key).ifNoneMatch("*").contentLength((long) bytes.length)
                    .contentMD5(Base64.getEncoder().encodeToString(md5(bytes))), RequestBody.fromBytes(bytes));
            return PutOutcome.CREATED;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                // Another writer created it between our HEAD and our PUT (412), or is writing it right now (409).
                return compareExisting(name, key, bytes);
            }
            throw failure("put", name, e);
        } catch (SdkException e) {
            throw failure("put", name, e);
        }
    }

    @Override
    public Optional<byte[]> get(String name) throws BackupTargetException {
        ObjectNames.require(name);
        try {
            return read(name, keyPrefix + name);
        } catch (SdkException e) {
            throw failure("get", name, e);
        }
    }

    @Override
    public List<String> list(String prefix, int maxNames) throws BackupTargetException {
        ObjectNames.requirePrefix(prefix);
        if (maxNames < 1) {
            throw new IllegalArgumentException("maxNames must be >= 1, got " + maxNames);
        }
        List<String> names = new ArrayList<>();
        String token = null;
        try {
            do {
                String page = token;
                ListObjectsV2Response resp = s3.listObjectsV2(r -> r.bucket(where.bucket()).prefix(keyPrefix + prefix)
                        .maxKeys(LIST_PAGE_KEYS).continuationToken(page));
                for (S3Object o : resp.contents()) {
                    String name = o.key().substring(keyPrefix.length());
                    // Directory placeholders ("seg/") and foreign keys are not objects of ours.
                    if (!ObjectNames.isValid(name)) {
                        continue;
                    }
                    if (names.size() >= maxNames) {
                        throw new BackupTargetException(describe() + ": more than " + maxNames + " objects start"
                                + " with \"" + prefix + "\"");
                    }
                    names.add(name);
                }
                token = Boolean.TRUE.equals(resp.isTruncated()) ? resp.nextContinuationToken() : null;
            } while (token != null);
        } catch (SdkException e) {
            throw failure("list", "\"" + prefix + "\"", e);
        }
        names.sort(null);
        return List.copyOf(names);
    }

    @Override
    public Optional<Long> lastModifiedMs(String name) throws BackupTargetException {
        ObjectNames.require(name);
        try {
            HeadObjectResponse head = s3.headObject(r -> r.bucket(where.bucket()).key(keyPrefix + name));
            return head.lastModified() == null ? Optional.empty() : Optional.of(head.lastModified().toEpochMilli());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("head", name, e);
        } catch (SdkException e) {
            throw failure("head", name, e);
        }
    }

    @Override
    public void delete(String name) throws BackupTargetException {
        ObjectNames.require(name);
        try {
            s3.deleteObject(r -> r.bucket(where.bucket()).key(keyPrefix + name));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw failure("delete", name, e);
            }
        } catch (SdkException e) {
            throw failure("delete", name, e);
        }
    }

    @Override
    public String describe() {
        return where.describe();
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return describe();
    }

    private boolean exists(String key) {
        try {
            HeadObjectResponse head = s3.headObject(r -> r.bucket(where.bucket()).key(key));
            return head != null;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private Optional<byte[]> read(String name, String key) throws BackupTargetException {
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(r -> r.bucket(where.bucket()).key(key));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
        try (in) {
            Long length = in.response().contentLength();
            if (length != null && length > ObjectNames.MAX_OBJECT_BYTES) {
                in.abort();
                throw tooLarge(name, length);
            }
            byte[] bytes = in.readNBytes(ObjectNames.MAX_OBJECT_BYTES + 1);
            if (bytes.length > ObjectNames.MAX_OBJECT_BYTES) {
                in.abort();
                throw tooLarge(name, bytes.length);
            }
            return Optional.of(bytes);
        } catch (IOException e) {
            if (e instanceof BackupTargetException b) {
                throw b;
            }
            throw new BackupTargetException(describe() + ": cannot read object " + name + ": " + e, e);
        }
    }

    private PutOutcome compareExisting(String name, String key, byte[] bytes) throws BackupTargetException {
        Optional<byte[]> existing;
        try {
            existing = read(name, key);
        } catch (SdkException e) {
            throw failure("compare", name, e);
        }
        if (existing.isEmpty()) {
            throw new BackupTargetException(describe() + ": object " + name + " was reported to exist but could not"
                    + " be read; try again");
        }
        byte[] have = existing.get();
        if (have.length != bytes.length) {
            throw new ObjectConflictException(describe(), name, "it holds " + have.length + " bytes, this put has "
                    + bytes.length);
        }
        if (!Arrays.equals(have, bytes)) {
            throw new ObjectConflictException(describe(), name, "same size, different bytes");
        }
        return PutOutcome.ALREADY_PRESENT;
    }

    private BackupTargetException tooLarge(String name, long size) {
        return new BackupTargetException(describe() + ": object " + name + " is " + size + " bytes, more than the "
                + ObjectNames.MAX_OBJECT_BYTES + " a backup object may have");
    }

    /** The SDK's message names the operation and status, never the credentials. */
    private BackupTargetException failure(String op, String what, SdkException e) {
        String status = e instanceof S3Exception s ? " (HTTP " + s.statusCode() + ")" : "";
        return new BackupTargetException(describe() + ": cannot " + op + " " + what + status + ": "
                + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }

    private static byte[] md5(byte[] bytes) {
        try {
            return MessageDigest.getInstance("MD5").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no MD5, which every JDK must have", e);
        }
    }
}
