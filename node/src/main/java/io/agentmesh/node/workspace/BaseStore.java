package io.agentmesh.node.workspace;

import io.agentmesh.state.Limits;
import io.agentmesh.state.WorkspacePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.zip.CRC32;

/**
 * The workspace mirror's bases kept on this node's disk, so that a restarted mirror still knows, for each path,
 * what was last both in its workspace directory and in the document.
 *
 * <p>One file per path in one flat directory, named by the SHA-256 of the path (a workspace path may be 512
 * characters and may be a file where another path needs a directory, neither of which a shadow tree could hold):
 * a header line {@value #MAGIC}, the path, the CRC-32 of the content, then the content. Each file is written to a
 * temporary file, fsynced and renamed over the old one, so a reader finds the old base or the new, never half; the
 * checksum catches anything else (a disk that lost a write): such a file is dropped and its path merged as one with
 * no base. A file {@value #ROOT_FILE} names the workspace directory the bases belong to: bases of another directory
 * (the node was started with a different {@code --workspace}) are dropped rather than applied to it.
 *
 * <p>Bounded like the workspace: at most {@code maxFiles} bases are loaded, each at most
 * {@link Limits#MAX_WORKSPACE_FILE_BYTES} of content. The mirror's thread only.
 */
final class BaseStore {
    private static final Logger log = LoggerFactory.getLogger(BaseStore.class);
    static final String MAGIC = "agentmesh-workspace-base 1";
    static final String ROOT_FILE = "workspace-root";
    static final String SUFFIX = ".base";
    private static final int MAX_HEADER_BYTES = 64 + 4 * Limits.MAX_WORKSPACE_PATH_LENGTH + 16;
    private static final int MAX_ROOT_FILE_BYTES = 64 * 1024;

    private final Path dir;
    private final Path root;
    private final String name;
    private final int maxFiles;

    /**
     * @param dir      where the bases are kept (created when missing)
     * @param root     the workspace directory (real path) they belong to
     * @param name     the node's short id, for log lines
     * @param maxFiles bases loaded at most (the mirror's file limit)
     */
    BaseStore(Path dir, Path root, String name, int maxFiles) {
        this.dir = dir;
        this.root = root;
        this.name = name;
        this.maxFiles = maxFiles;
    }

    Path dir() {
        return dir;
    }

    /**
     * The bases saved by the last run, for the paths {@code keep} accepts. Never fails: a missing, unreadable or
     * damaged store (or damaged entries) gives fewer bases, and one log line says so; those paths are then merged
     * as files with no base.
     */
    Map<String, String> load(Predicate<String> keep) {
        Map<String, String> bases = new LinkedHashMap<>();
        boolean existed = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            log.warn("node {} workspace cannot create its base directory {} ({}); files on disk and in the document"
                    + " are merged keeping every line of both, and the next restart does the same", name, dir,
                    e.toString());
            return bases;
        }
        if (!existed) {
            writeRootFile();
            log.info("node {} workspace has no saved bases in {} (first start with this workspace, or the directory"
                    + " was removed): files on disk and in the document are merged keeping every line of both", name,
                    dir);
            return bases;
        }
        Optional<String> savedRoot = readRootFile();
        if (savedRoot.isPresent() && !savedRoot.get().equals(root.toString())) {
            clear();
            writeRootFile();
            log.info("node {} workspace: the saved bases in {} belong to workspace {}, not {}; dropped, files on disk"
                    + " and in the document are merged keeping every line of both", name, dir, savedRoot.get(), root);
            return bases;
        }
        int damaged = 0;
        int skipped = 0;
        String firstProblem = null;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                if (file.contains(IgnoreRules.TEMP_MARKER)) {
                    Files.deleteIfExists(entry); // a write cut short by a crash: the old base is still in place
                    continue;
                }
                if (!file.endsWith(SUFFIX)) {
                    continue;
                }
                if (bases.size() >= maxFiles) {
                    skipped++;
                    continue;
                }
                Entry read = read(entry);
                if (read.problem() != null) {
                    damaged++;
                    if (firstProblem == null) {
                        firstProblem = file + ": " + read.problem();
                    }
                    Files.deleteIfExists(entry);
                } else if (keep.test(read.path())) {
                    bases.put(read.path(), read.content());
                } else {
                    Files.deleteIfExists(entry); // now ignored, or no longer a workspace path
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("node {} workspace cannot read its saved bases in {} ({}); files on disk and in the document are"
                    + " merged keeping every line of both", name, dir, e.toString());
            return new LinkedHashMap<>();
        }
        if (savedRoot.isEmpty()) {
            writeRootFile();
        }
        if (damaged > 0 || skipped > 0) {
            log.warn("node {} workspace: {} saved bases in {} were damaged (first: {}) and {} past the limit of {};"
                    + " those files are merged keeping every line of disk and document", name, damaged, dir,
                    firstProblem, skipped, maxFiles);
        }
        return bases;
    }

    /** Saves {@code content} as the base of {@code path}: atomically, the old base or the new, never half. */
    void save(String path, String content) throws IOException {
        byte[] body = content.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(body);
        byte[] header = (MAGIC + "\n" + path + "\n" + Long.toHexString(crc.getValue()) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        Path target = dir.resolve(fileName(path));
        Path temp = dir.resolve("." + fileName(path) + IgnoreRules.TEMP_MARKER
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer[] parts = {ByteBuffer.wrap(header), ByteBuffer.wrap(body)};
                while (parts[1].hasRemaining()) {
                    ch.write(parts);
                }
                ch.force(false);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Forgets the base of {@code path} (no longer on disk and in the document both). */
    void remove(String path) throws IOException {
        Files.deleteIfExists(dir.resolve(fileName(path)));
    }

    /** Drops every saved base. */
    void clear() {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (!entry.getFileName().toString().equals(ROOT_FILE)) {
                    Files.deleteIfExists(entry);
                }
            }
        } catch (IOException e) {
            log.warn("node {} workspace cannot clear its saved bases in {}: {}", name, dir, e.toString());
        }
    }

    static String fileName(String path) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest) + SUFFIX;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private record Entry(String path, String content, String problem) {
        static Entry bad(String problem) {
            return new Entry(null, null, problem);
        }
    }

    private static Entry read(Path entry) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(entry, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_HEADER_BYTES + Limits.MAX_WORKSPACE_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            return Entry.bad("vanished");
        }
        if (bytes.length > MAX_HEADER_BYTES + Limits.MAX_WORKSPACE_FILE_BYTES) {
            return Entry.bad("larger than a workspace file may be");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return Entry.bad("not UTF-8");
        }
        int l1 = text.indexOf('\n');
        int l2 = l1 < 0 ? -1 : text.indexOf('\n', l1 + 1);
        int l3 = l2 < 0 ? -1 : text.indexOf('\n', l2 + 1);
        if (l3 < 0 || !text.substring(0, l1).equals(MAGIC)) {
            return Entry.bad("no " + MAGIC + " header");
        }
        String path = text.substring(l1 + 1, l2);
        if (WorkspacePath.problem(path).isPresent()) {
            return Entry.bad("not a workspace path");
        }
        if (!entry.getFileName().toString().equals(fileName(path))) {
            return Entry.bad("named for another path");
        }
        String content = text.substring(l3 + 1);
        CRC32 crc = new CRC32();
        crc.update(content.getBytes(StandardCharsets.UTF_8));
        if (!text.substring(l2 + 1, l3).equals(Long.toHexString(crc.getValue()))) {
            return Entry.bad("checksum mismatch");
        }
        if (content.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_WORKSPACE_FILE_BYTES) {
            return Entry.bad("larger than a workspace file may be");
        }
        return new Entry(path, content, null);
    }

    private Optional<String> readRootFile() {
        Path file = dir.resolve(ROOT_FILE);
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(new String(in.readNBytes(MAX_ROOT_FILE_BYTES), StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void writeRootFile() {
        Path file = dir.resolve(ROOT_FILE);
        Path temp = dir.resolve("." + ROOT_FILE + IgnoreRules.TEMP_MARKER
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.writeString(temp, root + "\n", StandardOpenOption.CREATE_NEW);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("node {} workspace cannot write {}: {}", name, file, e.toString());
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // left for the next start's cleanup
            }
        }
    }
}
