package io.agentmesh.state.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a store file from being opened twice at once: by this process (a registry) and by another process (an OS
 * lock on {@code <file>.lock}).
 *
 * <p>Two writers on one SQLite file would not corrupt it, but two nodes sharing a store would both write under the
 * same actor and reuse sequence numbers (DESIGN.md invariant 5), which peers would reject as equivocation. The
 * registry exists because POSIX record locks belong to the process: a second open in the same JVM would see the
 * lock as its own, and closing its channel would silently drop the first owner's lock.
 *
 * <p>The lock file is never deleted: deleting it would let two processes each lock a different inode of the same
 * name. The OS drops the lock when the process dies, kill -9 included.
 */
final class StoreLock implements AutoCloseable {
    private static final Set<Path> OPEN_IN_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    static StoreLock acquire(Path storeFile) {
        Path key = canonical(storeFile);
        if (!OPEN_IN_THIS_PROCESS.add(key)) {
            throw new StoreException(storeFile + " is already open in this process; a store has one owner at a time."
                    + " Close the other instance first.");
        }
        Path lockFile = key.resolveSibling(key.getFileName() + ".lock");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new StoreException(storeFile + " is in use by another process (it holds " + lockFile
                        + "). Stop that node first; two nodes must never share a store.");
            }
            return new StoreLock(key, channel, lock);
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(channel);
            OPEN_IN_THIS_PROCESS.remove(key);
            throw new StoreException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            OPEN_IN_THIS_PROCESS.remove(key);
            throw e;
        }
    }

    /**
     * Whether a running node (this process or another) holds {@code storeFile}'s lock: then its state must be read
     * through that node rather than opened. Never takes the lock for longer than the test.
     */
    static boolean heldByARunningNode(Path storeFile) {
        Path absolute = storeFile.toAbsolutePath().normalize();
        Path key;
        try {
            key = absolute.getParent().toRealPath().resolve(absolute.getFileName());
        } catch (IOException e) {
            return false;
        }
        if (OPEN_IN_THIS_PROCESS.contains(key)) {
            // Opening our own channel here and closing it would drop the owner's POSIX lock.
            return true;
        }
        Path lockFile = key.resolveSibling(key.getFileName() + ".lock");
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (IOException | OverlappingFileLockException e) {
            return false;
        }
    }

    private static Path canonical(Path storeFile) {
        Path absolute = storeFile.toAbsolutePath().normalize();
        try {
            Files.createDirectories(absolute.getParent());
            return absolute.getParent().toRealPath().resolve(absolute.getFileName());
        } catch (IOException e) {
            throw new StoreException("cannot create or resolve the directory of " + storeFile + ": " + e.getMessage(),
                    e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing was acquired through it.
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // Closing the channel below releases it as well.
        } finally {
            closeQuietly(channel);
            OPEN_IN_THIS_PROCESS.remove(key);
        }
    }
}
