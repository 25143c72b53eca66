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
import java.util.HashMap;
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
 * characters and may be a file where another path needs a directory, neither of which a shadow tree could hold).
 * A file is a snapshot followed by updates. The snapshot: a header line {@value #MAGIC}, the path, the CRC-32 of
 * the content, its length in bytes, then the content; it is written to a temporary file, fsynced and renamed over
 * the old one, so a reader finds the old file or the new, never half. An update is appended and fsynced: a line
 * {@code +<prefix> <suffix> <bytes> <result crc> <crc>} (the snapshot's or last update's text keeps its first
 * {@code prefix} and last {@code suffix} UTF-16 chars, and {@code bytes} bytes of UTF-8 replace what lies between)
 * and those bytes. So a one-line edit of a 1 MiB file appends about a hundred bytes instead of rewriting the
 * megabyte; a new snapshot replaces the file once {@value #MAX_UPDATES} updates or half the snapshot's size in
 * updates have been appended (and for any file under a few KiB, where a snapshot is as cheap).
 *
 * <p>Checks on load: the snapshot's checksum; each update's checksum, and the checksum of the text it produces
 * (so an update is never applied to a text it was not made from). An update cut short at the end of the file (the
 * node died while appending it) is ignored: the base is the one before, one sync behind, as after a crash between
 * writing a file and saving its base (see WorkspaceMirror#loadBases). Anything else wrong drops the file, and its
 * path is merged as one with no base. A file {@value #ROOT_FILE} names the workspace directory the bases belong to:
 * bases of another directory (the node was started with a different {@code --workspace}) are dropped rather than
 * applied to it. Files of the first format ({@value #MAGIC_V1}: the content after the checksum, no updates) are
 * read, and replaced by a snapshot at their next save.
 *
 * <p>Bounded like the workspace: at most {@code maxFiles} bases are loaded, each at most
 * {@link Limits#MAX_WORKSPACE_FILE_BYTES} of content and half as much again of updates. It remembers the last text
 * saved for each path (the mirror's own strings, not copies) to make the next update. The mirror's thread only.
 */
final class BaseStore {
    private static final Logger log = LoggerFactory.getLogger(BaseStore.class);
    static final String MAGIC = "agentmesh-workspace-base 2";
    static final String MAGIC_V1 = "agentmesh-workspace-base 1";
    /** Updates appended to a snapshot before the next save writes a new snapshot instead. */
    static final int MAX_UPDATES = 64;
    /** Largest update line (five numbers and their separators). */
    private static final int MAX_UPDATE_LINE_BYTES = 80;
    static final String ROOT_FILE = "workspace-root";
    static final String SUFFIX = ".base";
    private static final int MAX_HEADER_BYTES = 64 + 4 * Limits.MAX_WORKSPACE_PATH_LENGTH + 16;
    private static final int MAX_ROOT_FILE_BYTES = 64 * 1024;

    private final Path dir;
    private final Path root;
    private final String name;
    private final int maxFiles;
    /** Per path, what its file on disk holds now, when this run read or wrote it (see {@link Saved}). */
    private final Map<String, Saved> saved = new HashMap<>();

    /**
     * A path's file as this run last read or wrote it: the text it gives, how many updates follow the snapshot and
     * their bytes, the snapshot's bytes. {@code updates} of {@link Integer#MAX_VALUE}: the next save writes a
     * snapshot (a file of the first format, or one whose last update was cut short).
     */
    private record Saved(String content, int updates, long updateBytes, long snapshotBytes) {
    }

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
        saved.clear();
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
        int cutShort = 0;
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
                    saved.put(read.path(), read.saved());
                    if (read.cutShort()) {
                        cutShort++;
                    }
                } else {
                    Files.deleteIfExists(entry); // now ignored, or no longer a workspace path
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("node {} workspace cannot read its saved bases in {} ({}); files on disk and in the document are"
                    + " merged keeping every line of both", name, dir, e.toString());
            saved.clear();
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
        if (cutShort > 0) {
            log.info("node {} workspace: {} saved bases in {} end in an update cut short (the node stopped while"
                    + " saving it); each is taken one sync behind, which the merge at start absorbs", name, cutShort,
                    dir);
        }
        return bases;
    }

    /**
     * Saves {@code content} as the base of {@code path}, durably: an update appended to its file when this run knows
     * what the file holds and the update is small, a new snapshot otherwise. Either way a reader finds the old base
     * or the new, never half.
     */
    void save(String path, String content) throws IOException {
        // Forgotten until the write succeeds: after a failed one the file's state is unknown and the next save
        // writes a snapshot.
        Saved before = saved.remove(path);
        if (before != null && before.updates() <= MAX_UPDATES && before.content().equals(content)) {
            saved.put(path, before); // already durable as it is
            return;
        }
        if (before != null && before.updates() < MAX_UPDATES) {
            Update update = Update.between(before.content(), content);
            byte[] insert = update.insert().getBytes(StandardCharsets.UTF_8);
            if (before.updateBytes() + insert.length + MAX_UPDATE_LINE_BYTES <= before.snapshotBytes() / 2) {
                byte[] record = update.encode(insert, crc(content.getBytes(StandardCharsets.UTF_8)));
                try (FileChannel ch = FileChannel.open(dir.resolve(fileName(path)), StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
                    ByteBuffer buffer = ByteBuffer.wrap(record);
                    while (buffer.hasRemaining()) {
                        ch.write(buffer);
                    }
                    ch.force(false);
                }
                saved.put(path, new Saved(content, before.updates() + 1, before.updateBytes() + record.length,
                        before.snapshotBytes()));
                return;
            }
        }
        long bytes = writeSnapshot(path, content);
        saved.put(path, new Saved(content, 0, 0, bytes));
    }

    private long writeSnapshot(String path, String content) throws IOException {
        byte[] body = content.getBytes(StandardCharsets.UTF_8);
        byte[] header = (MAGIC + "\n" + path + "\n" + Long.toHexString(crc(body)) + "\n" + body.length + "\n")
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
        return header.length + body.length;
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * One update: keep the first {@code prefix} and the last {@code suffix} UTF-16 chars of the text before, put
     * {@code insert} between. Never splits a surrogate pair, so {@code insert} is always well-formed text.
     */
    record Update(int prefix, int suffix, String insert) {
        static Update between(String before, String after) {
            int max = Math.min(before.length(), after.length());
            int prefix = 0;
            while (prefix < max && before.charAt(prefix) == after.charAt(prefix)) {
                prefix++;
            }
            if (prefix > 0 && Character.isHighSurrogate(before.charAt(prefix - 1))) {
                prefix--;
            }
            int suffix = 0;
            while (suffix < max - prefix
                    && before.charAt(before.length() - 1 - suffix) == after.charAt(after.length() - 1 - suffix)) {
                suffix++;
            }
            if (suffix > 0 && Character.isLowSurrogate(before.charAt(before.length() - suffix))) {
                suffix--;
            }
            return new Update(prefix, suffix, after.substring(prefix, after.length() - suffix));
        }

        /** The text after this update, or null when it does not fit {@code before}. */
        String applyTo(String before) {
            if (prefix < 0 || suffix < 0 || (long) prefix + suffix > before.length()) {
                return null;
            }
            return before.substring(0, prefix) + insert + before.substring(before.length() - suffix);
        }

        byte[] encode(byte[] insertBytes, long resultCrc) {
            String fields = "+" + prefix + " " + suffix + " " + insertBytes.length + " " + Long.toHexString(resultCrc);
            CRC32 crc = new CRC32();
            crc.update(fields.getBytes(StandardCharsets.US_ASCII));
            crc.update(insertBytes);
            byte[] line = (fields + " " + Long.toHexString(crc.getValue()) + "\n").getBytes(StandardCharsets.US_ASCII);
            byte[] out = new byte[line.length + insertBytes.length];
            System.arraycopy(line, 0, out, 0, line.length);
            System.arraycopy(insertBytes, 0, out, line.length, insertBytes.length);
            return out;
        }
    }

    /** Forgets the base of {@code path} (no longer on disk and in the document both). */
    void remove(String path) throws IOException {
        saved.remove(path);
        Files.deleteIfExists(dir.resolve(fileName(path)));
    }

    /** Drops every saved base. */
    void clear() {
        saved.clear();
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

    private record Entry(String path, String content, String problem, Saved saved, boolean cutShort) {
        static Entry bad(String problem) {
            return new Entry(null, null, problem, null, false);
        }
    }

    private static Entry read(Path entry) throws IOException {
        byte[] bytes;
        // A snapshot (header and content) and at most half its size again in updates, plus one update's line.
        long most = (MAX_HEADER_BYTES + 16 + (long) Limits.MAX_WORKSPACE_FILE_BYTES) * 3 / 2 + MAX_UPDATE_LINE_BYTES;
        try (InputStream in = Files.newInputStream(entry, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes((int) most + 1);
        } catch (NoSuchFileException e) {
            return Entry.bad("vanished");
        }
        if (bytes.length > most) {
            return Entry.bad("larger than a base may be");
        }
        int l1 = indexOf(bytes, 0, MAX_HEADER_BYTES);
        int l2 = l1 < 0 ? -1 : indexOf(bytes, l1 + 1, MAX_HEADER_BYTES);
        int l3 = l2 < 0 ? -1 : indexOf(bytes, l2 + 1, MAX_HEADER_BYTES);
        if (l3 < 0) {
            return Entry.bad("no " + MAGIC + " header");
        }
        String magic = new String(bytes, 0, l1, StandardCharsets.UTF_8);
        Optional<String> pathRead = utf8(bytes, l1 + 1, l2);
        if (pathRead.isEmpty() || WorkspacePath.problem(pathRead.get()).isPresent()) {
            return Entry.bad("not a workspace path");
        }
        String path = pathRead.get();
        if (!entry.getFileName().toString().equals(fileName(path))) {
            return Entry.bad("named for another path");
        }
        String crcText = new String(bytes, l2 + 1, l3 - l2 - 1, StandardCharsets.US_ASCII);
        int contentStart;
        int contentEnd;
        if (magic.equals(MAGIC_V1)) {
            contentStart = l3 + 1;
            contentEnd = bytes.length;
        } else if (magic.equals(MAGIC)) {
            int l4 = indexOf(bytes, l3 + 1, 16);
            long length = l4 < 0 ? -1 : parseLong(new String(bytes, l3 + 1, l4 - l3 - 1, StandardCharsets.US_ASCII));
            if (length < 0 || length > Limits.MAX_WORKSPACE_FILE_BYTES || l4 + 1 + length > bytes.length) {
                return Entry.bad("no valid content length");
            }
            contentStart = l4 + 1;
            contentEnd = (int) (contentStart + length);
        } else {
            return Entry.bad("no " + MAGIC + " header");
        }
        if (contentEnd - contentStart > Limits.MAX_WORKSPACE_FILE_BYTES) {
            return Entry.bad("larger than a workspace file may be");
        }
        byte[] body = java.util.Arrays.copyOfRange(bytes, contentStart, contentEnd);
        if (!crcText.equals(Long.toHexString(crc(body)))) {
            return Entry.bad("checksum mismatch");
        }
        Optional<String> snapshot = utf8(body, 0, body.length);
        if (snapshot.isEmpty()) {
            return Entry.bad("not UTF-8");
        }
        String content = snapshot.get();
        if (magic.equals(MAGIC_V1)) {
            return new Entry(path, content, null, new Saved(content, Integer.MAX_VALUE, 0, 0), false);
        }
        int updates = 0;
        int at = contentEnd;
        while (at < bytes.length) {
            // An update cut short (no whole line, or fewer bytes than it announces, or a bad checksum on the last
            // bytes of the file) is what a crash while appending leaves: the base before it stands.
            int eol = indexOf(bytes, at, MAX_UPDATE_LINE_BYTES);
            if (eol < 0) {
                return bytes.length - at < MAX_UPDATE_LINE_BYTES ? cutShort(path, content)
                        : Entry.bad("an update without a valid line");
            }
            String[] f = new String(bytes, at, eol - at, StandardCharsets.US_ASCII).split(" ", -1);
            long prefix = f.length == 5 && f[0].startsWith("+") ? parseLong(f[0].substring(1)) : -1;
            long suffix = f.length == 5 ? parseLong(f[1]) : -1;
            long size = f.length == 5 ? parseLong(f[2]) : -1;
            if (prefix < 0 || suffix < 0 || size < 0 || size > Limits.MAX_WORKSPACE_FILE_BYTES) {
                return Entry.bad("an update with a malformed line");
            }
            if (eol + 1 + size > bytes.length) {
                return cutShort(path, content);
            }
            byte[] insertBytes = java.util.Arrays.copyOfRange(bytes, eol + 1, (int) (eol + 1 + size));
            int next = (int) (eol + 1 + size);
            CRC32 check = new CRC32();
            check.update((f[0] + " " + f[1] + " " + f[2] + " " + f[3]).getBytes(StandardCharsets.US_ASCII));
            check.update(insertBytes);
            if (!f[4].equals(Long.toHexString(check.getValue()))) {
                return next == bytes.length ? cutShort(path, content) : Entry.bad("an update's checksum mismatch");
            }
            Optional<String> insert = utf8(insertBytes, 0, insertBytes.length);
            String after = insert.isEmpty() || prefix > Integer.MAX_VALUE || suffix > Integer.MAX_VALUE ? null
                    : new Update((int) prefix, (int) suffix, insert.get()).applyTo(content);
            if (after == null) {
                return Entry.bad("an update that does not fit its text");
            }
            byte[] afterBytes = after.getBytes(StandardCharsets.UTF_8);
            if (afterBytes.length > Limits.MAX_WORKSPACE_FILE_BYTES) {
                return Entry.bad("larger than a workspace file may be");
            }
            if (!f[3].equals(Long.toHexString(crc(afterBytes)))) {
                return Entry.bad("an update made from another text");
            }
            content = after;
            updates++;
            at = next;
        }
        return new Entry(path, content, null, new Saved(content, updates, at - contentEnd, contentEnd), false);
    }

    private static Entry cutShort(String path, String content) {
        return new Entry(path, content, null, new Saved(content, Integer.MAX_VALUE, 0, 0), true);
    }

    /** Index of the first newline in {@code bytes} from {@code from}, looking at most {@code within} bytes. */
    private static int indexOf(byte[] bytes, int from, int within) {
        int end = (int) Math.min(bytes.length, (long) from + within);
        for (int i = from; i < end; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** A non-negative decimal, or -1. */
    private static long parseLong(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }

    private static Optional<String> utf8(byte[] bytes, int from, int to) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, from, to - from))
                    .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
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
