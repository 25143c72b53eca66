package io.agentmesh.node.backup.target;

import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backup target in a local or network-mounted directory. Each object is a file at its name's path under the root.
 *
 * <p>A put writes a temporary file in the object's own directory, fsyncs it, links it to its final name (a hard link
 * fails if the name exists, which makes the put atomic and if-absent; where the file system has no hard links, an
 * atomic rename after an existence check), removes the temporary name and fsyncs the directory. A writer killed
 * before the link leaves only a temporary file: its name ends in {@value #TEMP_SUFFIX}, which is never a valid object
 * name, so listings skip it; the first put into that directory by a later process removes temporaries older than
 * {@code staleTempAfterMs}, and {@link #removeStaleTemporaries} removes them all at once. No lock file, ever.
 */
public final class DirectoryTarget implements BackupTarget {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryTarget.class);
    /** The suffix of temporary files: upper case, so never part of an object name. */
    public static final String TEMP_SUFFIX = ".TMP";
    /** Long enough that a slow writer on a NAS is not robbed of its temporary file mid-write. */
    public static final long DEFAULT_STALE_TEMP_AFTER_MS = 60L * 60 * 1000;
    private static final int COMPARE_CHUNK_BYTES = 1024 * 1024;
    /** Directories already swept for stale temporaries by this process; cleared when it grows past this. */
    private static final int MAX_SWEPT_DIRS = 4096;

    private final Path root;
    private final Clock clock;
    private final long staleTempAfterMs;
    private final SecureRandom random = new SecureRandom();
    private final Set<Path> swept = ConcurrentHashMap.newKeySet();

    private DirectoryTarget(Path root, Clock clock, long staleTempAfterMs) {
        this.root = root;
        this.clock = clock;
        this.staleTempAfterMs = staleTempAfterMs;
    }

    /**
     * Opens the directory {@code root}, which must exist: an unmounted NAS would otherwise silently become a
     * directory on the local disk. Throws {@link IllegalArgumentException} when it does not exist or is not a
     * directory.
     */
    public static DirectoryTarget open(Path root, Clock clock, long staleTempAfterMs) {
        if (staleTempAfterMs < 0) {
            throw new IllegalArgumentException("staleTempAfterMs must be >= 0, got " + staleTempAfterMs);
        }
        Path abs = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            throw new IllegalArgumentException("backup directory " + abs + " does not exist or is not a directory"
                    + " (create it, or mount the share, first)");
        }
        return new DirectoryTarget(abs, clock, staleTempAfterMs);
    }

    public static DirectoryTarget open(Path root, Clock clock) {
        return open(root, clock, DEFAULT_STALE_TEMP_AFTER_MS);
    }

    public Path root() {
        return root;
    }

    @Override
    public PutOutcome put(String name, byte[] bytes) throws BackupTargetException {
        ObjectNames.require(name);
        ObjectNames.requireSize(name, bytes);
        Path file = root.resolve(name);
        Path dir = file.getParent();
        Path tmp = null;
        try {
            makeDirectories(dir);
            sweepOnce(dir);
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return compareExisting(name, file, bytes);
            }
            byte[] suffix = new byte[8];
            random.nextBytes(suffix);
            tmp = dir.resolve(file.getFileName() + "." + HexFormat.of().formatHex(suffix) + TEMP_SUFFIX);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException e) {
                return compareExisting(name, file, bytes);
            } catch (UnsupportedOperationException | FileSystemException e) {
                // No hard links here (some NAS shares): an atomic rename after the existence check. Two writers of
                // one name race only with the same bytes, since names carry the hash of their bytes.
                if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                    return compareExisting(name, file, bytes);
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                tmp = null;
            }
            if (tmp != null) {
                Files.deleteIfExists(tmp);
                tmp = null;
            }
            syncDirectory(dir);
            return PutOutcome.CREATED;
        } catch (BackupTargetException e) {
            throw e;
        } catch (IOException e) {
            throw new BackupTargetException(describe() + ": cannot put object " + name + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // A later put or removeStaleTemporaries removes it.
                }
            }
        }
    }

    @Override
    public Optional<byte[]> get(String name) throws BackupTargetException {
        ObjectNames.require(name);
        Path file = root.resolve(name);
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            long size = Files.size(file);
            if (size > ObjectNames.MAX_OBJECT_BYTES) {
                throw new BackupTargetException(describe() + ": object " + name + " is " + size + " bytes, more than"
                        + " the " + ObjectNames.MAX_OBJECT_BYTES + " a backup object may have");
            }
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (BackupTargetException e) {
            throw e;
        } catch (IOException e) {
            throw new BackupTargetException(describe() + ": cannot read object " + name + ": " + e, e);
        }
    }

    @Override
    public List<String> list(String prefix, int maxNames) throws BackupTargetException {
        ObjectNames.requirePrefix(prefix);
        if (maxNames < 1) {
            throw new IllegalArgumentException("maxNames must be >= 1, got " + maxNames);
        }
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try {
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String rel = relative(dir);
                    if (rel.isEmpty()) {
                        return FileVisitResult.CONTINUE;
                    }
                    String asPrefix = rel + "/";
                    return asPrefix.startsWith(prefix) || prefix.startsWith(asPrefix) ? FileVisitResult.CONTINUE
                            : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String rel = relative(file);
                    if (attrs.isRegularFile() && rel.startsWith(prefix) && ObjectNames.isValid(rel)) {
                        if (names.size() >= maxNames) {
                            throw new TooMany();
                        }
                        names.add(rel);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // removed while we walked (a prune or a temp file)
                    }
                    throw exc;
                }
            });
        } catch (TooMany e) {
            throw new BackupTargetException(describe() + ": more than " + maxNames + " objects start with \"" + prefix
                    + "\"");
        } catch (IOException e) {
            throw new BackupTargetException(describe() + ": cannot list \"" + prefix + "\": " + e, e);
        }
        names.sort(null);
        return List.copyOf(names);
    }

    @Override
    public Optional<Long> lastModifiedMs(String name) throws BackupTargetException {
        ObjectNames.require(name);
        Path file = root.resolve(name);
        try {
            return Optional.of(Files.getLastModifiedTime(file, java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis());
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new BackupTargetException(describe() + ": cannot read the time of object " + name + ": " + e, e);
        }
    }

    @Override
    public void delete(String name) throws BackupTargetException {
        ObjectNames.require(name);
        Path file = root.resolve(name);
        try {
            if (Files.deleteIfExists(file)) {
                syncDirectory(file.getParent());
            }
        } catch (IOException e) {
            throw new BackupTargetException(describe() + ": cannot delete object " + name + ": " + e, e);
        }
    }

    /**
     * Removes every temporary file under the root last modified more than {@code olderThanMs} ago (by this target's
     * clock): what writers killed mid-put left behind. Returns how many it removed. An operator or a scheduled job
     * may run it; puts also sweep their own directory once per process.
     */
    public int removeStaleTemporaries(long olderThanMs) throws BackupTargetException {
        long cutoff = clock.nowMillis() - olderThanMs;
        int[] removed = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isRegularFile() && file.getFileName().toString().endsWith(TEMP_SUFFIX)
                            && attrs.lastModifiedTime().toMillis() <= cutoff && Files.deleteIfExists(file)) {
                        removed[0]++;
                        LOG.info("{}: removed {}, a temporary file a killed writer left", describe(), relative(file));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }
            });
        } catch (IOException e) {
            throw new BackupTargetException(describe() + ": cannot remove stale temporary files: " + e, e);
        }
        return removed[0];
    }

    @Override
    public String describe() {
        return "directory " + root;
    }

    @Override
    public void close() {
        // Nothing is held open between calls.
    }

    @Override
    public String toString() {
        return describe();
    }

    private String relative(Path p) {
        return root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
    }

    private PutOutcome compareExisting(String name, Path file, byte[] bytes) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new ObjectConflictException(describe(), name, "it is not a regular file");
        }
        long size = Files.size(file);
        if (size != bytes.length) {
            throw new ObjectConflictException(describe(), name, "it holds " + size + " bytes, this put has "
                    + bytes.length);
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.min(COMPARE_CHUNK_BYTES, Math.max(1, bytes.length)));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            int pos = 0;
            while (pos < bytes.length) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    throw new ObjectConflictException(describe(), name, "it shrank while being compared");
                }
                if (!Arrays.equals(buf.array(), 0, n, bytes, pos, pos + n)) {
                    throw new ObjectConflictException(describe(), name, "same size, different bytes from offset "
                            + pos);
                }
                pos += n;
            }
        }
        return PutOutcome.ALREADY_PRESENT;
    }

    /** Creates the missing directories from the root down, fsyncing each parent so the new entry is durable. */
    private void makeDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path current = root;
        for (Path seg : root.relativize(dir)) {
            Path next = current.resolve(seg);
            if (!Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(next);
                    syncDirectory(current);
                } catch (FileAlreadyExistsException e) {
                    if (!Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                        throw new BackupTargetException(describe() + ": " + root.relativize(next)
                                + " exists and is not a directory");
                    }
                }
            }
            current = next;
        }
    }

    private void sweepOnce(Path dir) throws IOException {
        if (swept.size() >= MAX_SWEPT_DIRS) {
            swept.clear();
        }
        if (!swept.add(dir)) {
            return;
        }
        long cutoff = clock.nowMillis() - staleTempAfterMs;
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
            for (Path t : temps) {
                try {
                    if (Files.getLastModifiedTime(t, LinkOption.NOFOLLOW_LINKS).toMillis() <= cutoff
                            && Files.deleteIfExists(t)) {
                        LOG.info("{}: removed {}, a temporary file a killed writer left over {} ms ago", describe(),
                                relative(t), staleTempAfterMs);
                    }
                } catch (NoSuchFileException ignored) {
                    // Another writer finished or swept it.
                }
            }
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Stops a listing walk once it has more names than asked for. */
    private static final class TooMany extends IOException {
        TooMany() {
            super("too many names");
        }
    }
}
