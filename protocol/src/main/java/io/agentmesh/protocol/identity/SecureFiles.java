package io.agentmesh.protocol.identity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Owner-only, crash-safe file writes for the identity directory.
 *
 * <p>A write goes to a temporary file in the same directory (created 0600 from the start, so the secret is never
 * readable by others, not even for a moment), is fsynced, renamed over the target (atomic on POSIX: a reader or a
 * crash sees the old file or the new one, never half of one), and then the directory is fsynced so the rename itself
 * survives a power cut. On a file system without POSIX permissions (Windows) the files are written the same way
 * without mode bits.
 */
final class SecureFiles {
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    /** Identity files are a few hundred bytes; anything much larger is not one of ours. */
    static final int MAX_FILE_BYTES = 64 * 1024;

    private SecureFiles() {
    }

    /**
     * Creates {@code dir} (and missing parents) with mode 0700, or checks that an existing one is not open to other
     * users: they could otherwise swap a certificate or the agent key file, which are not secret but are trusted.
     */
    static void ensurePrivateDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            if (posix(dir.toAbsolutePath().getRoot())) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
                Files.setPosixFilePermissions(dir, DIR_MODE); // in case a umask took bits away
            } else {
                Files.createDirectories(dir);
            }
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new IdentityException(IdentityException.Reason.CORRUPT_FILE, dir
                    + " is a file, not an identity directory; choose another path");
        }
        if (posix(dir)) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            if (mode.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                throw new IdentityException(IdentityException.Reason.UNSAFE_PERMISSIONS, "identity directory " + dir
                        + " is open to other users (mode " + PosixFilePermissions.toString(mode)
                        + "); run: chmod 700 " + dir);
            }
        }
    }

    /**
     * Writes {@code content} to {@code target} atomically with mode 0600.
     *
     * @param replace whether an existing file may be replaced; keys never are (losing a key loses an identity)
     */
    static void writeAtomically(Path target, byte[] content, boolean replace, String what) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw alreadyExists(target, what, null);
        }
        boolean posix = posix(dir);
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(FILE_MODE)}
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", attrs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (replace) {
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("cannot replace " + target + " atomically on this file system; keep the "
                            + "identity directory on a local disk", e);
                }
            } else {
                // link(2) fails if the target exists, so two writers cannot both believe they created the key.
                try {
                    Files.createLink(target, tmp);
                } catch (FileAlreadyExistsException e) {
                    throw alreadyExists(target, what, e);
                } catch (UnsupportedOperationException | FileSystemException e) {
                    // No hard links on this file system: fall back to check-then-rename (checked above already).
                    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                        throw alreadyExists(target, what, null);
                    }
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            if (posix) {
                // fsync the directory so the rename is durable; only POSIX systems can open a directory for it.
                try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                    d.force(true);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static IdentityException alreadyExists(Path target, String what, Exception cause) {
        return new IdentityException(IdentityException.Reason.ALREADY_EXISTS, target + " already exists; agentmesh"
                + " does not overwrite " + what + ". Move it away first if you really mean to replace it", cause);
    }

    /** Reads a small file, with errors that name it. */
    static byte[] read(Path file, String what, String hint) throws IOException {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new IdentityException(IdentityException.Reason.CORRUPT_FILE, file + " is " + size
                        + " bytes, too large to be " + what + hint);
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IdentityException(IdentityException.Reason.MISSING_FILE, "no " + what + " at " + file + hint, e);
        }
    }

    /** Refuses a secret file that other users can read or write, as ssh does. */
    static void requireOwnerOnly(Path file) throws IOException {
        if (!posix(file)) {
            return;
        }
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException e) {
            return; // reported by read() with a better message
        }
        if (mode.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
            throw new IdentityException(IdentityException.Reason.UNSAFE_PERMISSIONS, file
                    + " holds a private key and is open to other users (mode " + PosixFilePermissions.toString(mode)
                    + "); run: chmod 600 " + file);
        }
    }

    private static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix")
                && Files.getFileAttributeView(path, PosixFileAttributeView.class) != null;
    }
}
